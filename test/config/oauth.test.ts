// The `oauth` block of a remote server entry (issue 15): read into `ServerEntry.oauth` for the lifeline
// command's sign-in, checked with the shared key check (did-you-mean), and never echoing a value (a
// client secret must not reach a terminal through an error).
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell variables as ${…} in plain strings.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { configFileError } from './files.js';

const URL = 'https://mcp.example.com/mcp';

function problems(oauth: unknown, entry: Record<string, unknown> = { url: URL }): readonly string[] {
  return configFileError(() => parseConfig({ mcpServers: { s: { ...entry, oauth } } }, { env: {} })).problems;
}

describe('config files: the oauth block', () => {
  it('is read with variables interpolated, scopes as a list, and kept out of the transport config', () => {
    const loaded = parseConfig(
      {
        mcpServers: {
          s: {
            url: URL,
            oauth: {
              clientId: 'lifeline-ci',
              clientSecret: '${env:CI_SECRET}',
              scopes: 'mcp:tools  mcp:read',
              callbackPort: 33418,
              grant: 'client_credentials',
              resource: 'omit',
            },
          },
          plain: { url: URL },
        },
      },
      { env: { CI_SECRET: 'ci-SECRET-value' } },
    );
    const [s, plain] = loaded.servers;
    expect(s?.oauth).toEqual({
      clientId: 'lifeline-ci',
      clientSecret: 'ci-SECRET-value',
      scopes: ['mcp:tools', 'mcp:read'],
      callbackPort: 33418,
      grant: 'client_credentials',
      resource: 'omit',
    });
    expect(s?.config).not.toHaveProperty('oauth');
    expect(plain?.oauth).toBeUndefined();
    expect(
      parseConfig({ servers: { s: { type: 'sse', url: URL, oauth: { scopes: ['a', 'b'] } } } }).servers[0]
        ?.oauth,
    ).toEqual({ scopes: ['a', 'b'] });
  });

  it.each<[string, unknown, string[]]>([
    [
      'a misspelled key',
      { clientID: 'x', scope: 'a' },
      [
        'server "s": oauth.clientID: unknown key; did you mean "clientId"?',
        'server "s": oauth.scope: unknown key; did you mean "scopes"?',
      ],
    ],
    [
      'an unknown grant',
      { grant: 'password' },
      ['server "s": oauth.grant: expected one of authorization_code, device_code, client_credentials'],
    ],
    [
      'client credentials without a secret',
      { clientId: 'x', grant: 'client_credentials' },
      ['server "s": oauth.grant: client_credentials needs oauth.clientId and oauth.clientSecret'],
    ],
    [
      'a secret without a client',
      { clientSecret: 'lonely-SECRET-1' },
      ['server "s": oauth.clientSecret: goes with oauth.clientId (the client it is the secret of)'],
    ],
    [
      'a secret of the wrong type',
      { clientId: 'x', clientSecret: 12345678 },
      ['server "s": oauth.clientSecret: expected a non-empty string, got a number'],
    ],
    [
      'an unset variable, reported once',
      { clientId: 'x', clientSecret: '${env:NOPE}' },
      ['server "s": oauth.clientSecret: ${env:NOPE} is not set'],
    ],
    [
      'a bad port',
      { callbackPort: 70000 },
      ['server "s": oauth.callbackPort: expected a port number (1-65535), got 70000'],
    ],
    [
      'scopes that are not scopes',
      { scopes: ['ok', 'not ok'] },
      ['server "s": oauth.scopes: expected an array of scopes, or one space-separated string'],
    ],
    ['a resource mode', { resource: 'drop' }, ['server "s": oauth.resource: expected one of send, omit']],
    [
      'not an object',
      'yes',
      ['server "s": oauth: expected an object (clientId, clientSecret, scopes, …), got a string'],
    ],
  ])('reports %s, naming the key', (_name, oauth, expected) => {
    expect(problems(oauth)).toEqual(expected);
  });

  it('belongs to servers reached by URL without their own Authorization header', () => {
    expect(problems({ clientId: 'x' }, { command: 'node' })).toEqual([
      'server "s": oauth: applies to servers reached by url (http, sse, ws); this one is stdio',
    ]);
    expect(
      problems({ clientId: 'x' }, { url: URL, headers: { Authorization: 'Bearer static-SECRET' } }),
    ).toEqual(['server "s": oauth: give either an oauth block or an Authorization header, not both']);
  });

  it('never echoes a value', () => {
    const secret = 'echo-me-SECRET-42';
    const all = [
      ...problems({ clientSecret: secret }),
      ...problems({ clientId: 'x', clientSecret: secret, grant: secret, resource: secret, scopes: 7 }),
    ].join('\n');
    expect(all).not.toContain(secret);
  });
});
