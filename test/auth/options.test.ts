import { describe, expect, it } from 'vitest';
import { ConfigError, createTransport, type HttpConfig } from '../../src/index.js';

const provider = { token: async () => 't' };

function problems(config: HttpConfig): readonly string[] {
  try {
    createTransport(config);
  } catch (error) {
    if (error instanceof ConfigError) return error.problems;
    throw error;
  }
  return [];
}

describe('authProvider and oauth options', () => {
  it('are accepted on the HTTP and WebSocket transports', async () => {
    for (const url of ['https://h.example/mcp', 'wss://h.example/mcp']) {
      const transport = createTransport({ url, authProvider: provider, oauth: { resource: 'omit' } });
      await transport.close();
    }
  });

  it('refuse an authProvider together with an Authorization header or URL credentials', () => {
    expect(
      problems({ url: 'https://h/mcp', authProvider: provider, headers: { Authorization: 'Bearer x' } }),
    ).toEqual(['authProvider: give either an authProvider or an Authorization header, not both']);
    expect(problems({ url: 'https://u:p@h/mcp', authProvider: provider })).toEqual([
      'authProvider: give either an authProvider or a user and password in the URL, not both',
    ]);
  });

  it('refuse something that is no provider, and oauth keys and values it does not know', () => {
    const found = problems({
      url: 'https://h/mcp',
      authProvider: {} as never,
      oauth: { resorce: 'omit', refreshScope: 'all' } as never,
    });
    expect(found).toContain(
      'authProvider: expected an OAuthClientProvider (tokens() and clientInformation()) or an AuthProvider (token())',
    );
    expect(found).toContain('oauth.resorce: unknown key; did you mean "resource"?');
    expect(found).toContain('oauth.refreshScope: expected one of granted, none');
  });

  it('refuse tokens over plain http to another host unless allowInsecure', () => {
    expect(problems({ url: 'http://h.example/mcp', authProvider: provider })[0]).toMatch(
      /refusing to send credentials \(an authProvider\) over plain http/,
    );
    expect(problems({ url: 'http://h.example/mcp', authProvider: provider, allowInsecure: true })).toEqual(
      [],
    );
    expect(problems({ url: 'http://127.0.0.1:9/mcp', authProvider: provider })).toEqual([]);
  });
});
