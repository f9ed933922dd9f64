// Issue 14, point 4, for createSupervisor(): misspelled and conflicting keys of the supervisor's
// own configuration, of `defaults` (policy keys only) and of every server are all reported in
// one ConfigError before anything starts, each server's problems under its name as a config
// file's are.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, ErrorCode } from '../../src/errors.js';
import { createSupervisor, type Supervisor, type SupervisorConfig } from '../../src/supervisor/index.js';

const supervisors: Supervisor[] = [];
afterEach(async () => {
  await Promise.all(supervisors.splice(0).map((supervisor) => supervisor.close()));
});

/** Every problem createSupervisor() refuses a configuration with (fails when it is accepted). */
function problemsOf(config: unknown): readonly string[] {
  try {
    supervisors.push(createSupervisor(config as SupervisorConfig));
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.InvalidConfig);
    return (error as ConfigError).problems;
  }
  throw new Error(`expected a ConfigError; ${JSON.stringify(config)} was accepted`);
}

const NODE = { command: process.execPath };
const CAUSE =
  'type: cannot infer the transport; give `command` (stdio), `url` (http, ws) or `image` (docker)';

describe('createSupervisor: misspelled and conflicting keys', () => {
  it.each<[string, unknown, string[]]>([
    [
      'typos in two servers, each under its name',
      {
        servers: {
          fs: { comand: 'mcp-fs', reconect: {} },
          web: { url: 'https://example.com/mcp', reconnect: { initalDelayMs: 100 } },
        },
      },
      [
        `server "fs": ${CAUSE}`,
        'server "fs": comand: unknown key; did you mean "command"?',
        'server "fs": reconect: unknown key; did you mean "reconnect"?',
        'server "web": reconnect.initalDelayMs: unknown key; did you mean "initialDelayMs"?',
      ],
    ],
    [
      'a server given both command and url',
      { servers: { both: { command: 'node', url: 'https://example.com/mcp' } } },
      [
        'server "both": command, url: give only one of command (stdio), url (http, sse, ws) or image (docker), not both',
      ],
    ],
    [
      'a server whose type contradicts its keys',
      { servers: { odd: { type: 'ws', command: 'node' } } },
      ['server "odd": url: missing; type "ws" takes url, not command (stdio)'],
    ],
    [
      'typos in defaults, reported once and not again under each server',
      {
        servers: { a: NODE, b: NODE },
        defaults: { reconect: {}, timeouts: { connect: 1 }, maxAttempts: 3 },
      },
      [
        'defaults.reconect: unknown key; did you mean "reconnect"?',
        'defaults.maxAttempts: unknown key; did you mean "reconnect.maxAttempts"?',
        'defaults.timeouts.connect: unknown key; did you mean "connectMs"?',
      ],
    ],
    [
      'a key that is not a policy key in defaults',
      { servers: { a: NODE }, defaults: { logger: console, heartbeat: { intervalMs: -5 } } },
      [
        'defaults.logger: unknown key; expected one of reconnect, timeouts, heartbeat, queue, limits',
        'defaults.heartbeat.intervalMs: expected a number >= 0, got -5',
      ],
    ],
    [
      "typos in the supervisor's own keys, beside a server's",
      { servers: { a: { ...NODE, sed: 1 } }, sed: 1, closeDeadline: 5, defualts: {} },
      [
        'sed: unknown key; did you mean "seed"?',
        'closeDeadline: unknown key; did you mean "closeDeadlineMs"?',
        'defualts: unknown key; did you mean "defaults"?',
        'server "a": sed: unknown key; did you mean "seed"?',
      ],
    ],
    [
      'a misspelled servers',
      { server: { a: NODE } },
      [
        'server: unknown key; did you mean "servers"?',
        'servers: expected an object of configurations by name, or a list of { name, config }, got undefined',
      ],
    ],
    [
      'loader-style entries with a typo and a missing name',
      { servers: [{ name: 'a', config: { ...NODE, timeouts: { closems: 1 } } }, { config: NODE }] },
      [
        'servers[1]: expected { name, config } with a non-empty name',
        'server "a": timeouts.closems: unknown key; did you mean "closeMs"?',
      ],
    ],
    [
      'a server that is not an object, and a bad close deadline',
      { servers: { a: null }, closeDeadlineMs: -1 },
      [
        'closeDeadlineMs: expected a number >= 0, got -1',
        'server "a": expected a configuration object, got null',
      ],
    ],
  ])('names every problem: %s', (_, config, expected) => {
    expect(problemsOf(config)).toEqual(expected);
  });

  it('accepts keys that hold undefined as absent, in servers and in defaults', () => {
    // As JavaScript callers, and TypeScript ones without exactOptionalPropertyTypes, may pass them.
    const config = {
      servers: {
        a: { ...NODE, url: undefined, reconnect: { maxAttempts: undefined } },
        b: { ...NODE, heartbeat: undefined },
      },
      defaults: { reconnect: { initialDelayMs: 5, maxAttempts: 3 }, timeouts: undefined },
    };
    const supervisor = createSupervisor(config as unknown as SupervisorConfig);
    supervisors.push(supervisor);
    const policy = (name: string) => supervisor.transport(name).actor.getSnapshot().context.policy;
    expect(policy('a').reconnect).toMatchObject({ initialDelayMs: 5, maxAttempts: 3 });
    expect(policy('b').reconnect).toMatchObject({ initialDelayMs: 5, maxAttempts: 3 });
  });
});
