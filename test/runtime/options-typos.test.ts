// Issue 14, point 4: a misspelled or conflicting key given to createTransport() in code is
// refused as it is in a config file, with every problem of the configuration in one
// ConfigError, each naming its path, and "did you mean" for a near miss. Keys whose value is
// undefined count as absent.

import { afterEach, describe, expect, it } from 'vitest';
import { ConfigError, createTransport, ErrorCode, type LifelineTransport } from '../../src/index.js';
import { closest, editDistance } from '../../src/runtime/options/did-you-mean.js';
import type { TransportConfig } from '../../src/runtime/options/resolve.js';

const transports: LifelineTransport[] = [];
afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
});

/** Every problem createTransport() refuses a configuration with (fails when it is accepted). */
function problemsOf(config: unknown): readonly string[] {
  let transport: LifelineTransport;
  try {
    transport = createTransport(config as TransportConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.InvalidConfig);
    return (error as ConfigError).problems;
  }
  transports.push(transport);
  throw new Error(`expected a ConfigError; ${JSON.stringify(config)} was accepted`);
}

const HTTPS = 'https://example.com/mcp';
const CAUSE =
  'type: cannot infer the transport; give `command` (stdio), `url` (http, ws) or `image` (docker)';

describe('createTransport: misspelled keys', () => {
  it.each<[string, unknown, string[]]>([
    [
      'a misspelled command, and typos at the top and inside reconnect',
      { comand: 'node', reconect: {}, reconnect: { initalDelayMs: 1 } },
      [
        CAUSE,
        'comand: unknown key; did you mean "command"?',
        'reconect: unknown key; did you mean "reconnect"?',
        'reconnect.initalDelayMs: unknown key; did you mean "initialDelayMs"?',
      ],
    ],
    [
      'five mistakes around a misspelled command',
      { comand: 'node', agrs: ['x'], timeout: {}, heartbeat: { intervalMs: -1 }, queue: { maxMesages: 1 } },
      [
        CAUSE,
        'comand: unknown key; did you mean "command"?',
        'agrs: unknown key; did you mean "args"?',
        'timeout: unknown key; did you mean "timeouts"?',
        'heartbeat.intervalMs: expected a number >= 0, got -1',
        'queue.maxMesages: unknown key; did you mean "maxMessages"?',
      ],
    ],
    [
      'a typo in every policy object of a stdio configuration',
      {
        command: 'node',
        reconnect: { maxAttempt: 3, jiter: 0 },
        timeouts: { connect: 5 },
        heartbeat: { interval: 1, timeoutms: 5 },
        queue: { maxbytes: 1 },
        limits: { maxMessagesBytes: 3 },
      },
      [
        'reconnect.maxAttempt: unknown key; did you mean "maxAttempts"?',
        'reconnect.jiter: unknown key; did you mean "jitter"?',
        'timeouts.connect: unknown key; did you mean "connectMs"?',
        'heartbeat.interval: unknown key; did you mean "intervalMs"?',
        'heartbeat.timeoutms: unknown key; did you mean "timeoutMs"?',
        'queue.maxbytes: unknown key; did you mean "maxBytes"?',
        'limits.maxMessagesBytes: unknown key; did you mean "maxMessageBytes"?',
      ],
    ],
    [
      'a policy key written at the top instead of inside its object',
      { command: 'node', maxAttempts: 3 },
      ['maxAttempts: unknown key; did you mean "reconnect.maxAttempts"?'],
    ],
    [
      'a key far from any, listing what the transport takes',
      { url: HTTPS, retries: 3 },
      [
        'retries: unknown key; expected one of type, url, headers, allowInsecure, redirect, authProvider, oauth, reconnect, timeouts, heartbeat, queue, limits, inspect, logger, clock, seed, name, journal, control',
      ],
    ],
    [
      'a far typo inside a policy object, listing its keys',
      { url: 'wss://example.com/mcp', timeouts: { deadline: 5 } },
      ['timeouts.deadline: unknown key; expected one of connectMs, closeMs, requestMs'],
    ],
    [
      'typos of the HTTP keys',
      { url: HTTPS, header: {}, allowInsecured: true, redirects: 'follow' },
      [
        'header: unknown key; did you mean "headers"?',
        'allowInsecured: unknown key; did you mean "allowInsecure"?',
        'redirects: unknown key; did you mean "redirect"?',
      ],
    ],
    [
      'typos of the Docker keys, at the top and inside docker',
      { image: 'mcp/fetch', volume: [], docker: { cpu: 1, memory: 1 << 30, socket: '/x' } },
      [
        'volume: unknown key; did you mean "volumes"?',
        'docker.cpu: unknown key; did you mean "cpus"?',
        'docker.memory: unknown key; did you mean "memoryBytes"?',
        'docker.socket: unknown key; did you mean "socketPath"?',
      ],
    ],
    [
      'another transport’s keys, by name and by the transports that take them',
      { command: 'node', headers: { a: 'b' }, redirect: 'follow' },
      [
        'headers: not an option of the stdio transport (http, sse, ws only)',
        'redirect: not an option of the stdio transport (http, sse only)',
      ],
    ],
    [
      'a misspelled key in a differently cased spelling',
      { command: 'node', Cwd: '/tmp', InheritEnv: true },
      ['Cwd: unknown key; did you mean "cwd"?', 'InheritEnv: unknown key; did you mean "inheritEnv"?'],
    ],
    [
      'a misspelled key even when its value is undefined',
      { command: 'node', reconect: undefined },
      ['reconect: unknown key; did you mean "reconnect"?'],
    ],
  ])('names every problem: %s', (_, config, expected) => {
    expect(problemsOf(config)).toEqual(expected);
  });

  it('puts every problem in the message, one line each', () => {
    let error: unknown;
    try {
      createTransport({ comand: 'node', reconect: {}, reconnect: { initalDelayMs: 1 } } as never);
    } catch (caught) {
      error = caught;
    }
    expect((error as ConfigError).message).toBe(
      [
        'Invalid configuration:',
        `  - ${CAUSE}`,
        '  - comand: unknown key; did you mean "command"?',
        '  - reconect: unknown key; did you mean "reconnect"?',
        '  - reconnect.initalDelayMs: unknown key; did you mean "initialDelayMs"?',
      ].join('\n'),
    );
  });
});

describe('createTransport: conflicting keys', () => {
  it.each<[string, unknown, string[]]>([
    [
      'command with url',
      { command: 'node', url: HTTPS },
      ['command, url: give only one of command (stdio), url (http, sse, ws) or image (docker), not both'],
    ],
    [
      'command with image',
      { command: 'node', image: 'mcp/fetch' },
      ['command, image: give only one of command (stdio), url (http, sse, ws) or image (docker), not both'],
    ],
    [
      'all three, besides a typo',
      { command: 'node', url: HTTPS, image: 'mcp/fetch', sead: 1 },
      [
        'command, url, image: give only one of command (stdio), url (http, sse, ws) or image (docker), not all three',
        'sead: unknown key; did you mean "seed"?',
      ],
    ],
    [
      'type stdio with a url',
      { type: 'stdio', url: HTTPS },
      ['command: missing; type "stdio" takes command, not url (http, sse, ws)'],
    ],
    [
      'type docker with a command',
      { type: 'docker', command: 'node' },
      ['image: missing; type "docker" takes image, not command (stdio)'],
    ],
    [
      'type http with a url and a command',
      { type: 'http', url: HTTPS, command: 'node', cwd: '/srv' },
      [
        'command: not an option of the http transport (stdio only)',
        'cwd: not an option of the http transport (stdio only)',
      ],
    ],
    [
      'type sse with an image',
      { type: 'sse', url: HTTPS, image: 'mcp/fetch' },
      ['image: not an option of the sse transport (docker only)'],
    ],
    [
      'an unknown type, besides a typo in what the url implies',
      { type: 'websocket', url: HTTPS, heartbeat: { intervalMS: 5 } },
      [
        'type: "websocket" is not a transport this version supports (stdio, http, sse, ws, docker)',
        'heartbeat.intervalMS: unknown key; did you mean "intervalMs"?',
      ],
    ],
  ])('names every key involved: %s', (_, config, expected) => {
    expect(problemsOf(config)).toEqual(expected);
  });
});

// As JavaScript callers, and TypeScript ones without exactOptionalPropertyTypes, may pass them.
describe('createTransport: keys that hold undefined', () => {
  it.each<[string, unknown]>([
    ['another transport’s target', { command: process.execPath, url: undefined, image: undefined }],
    ['another transport’s options', { url: HTTPS, args: undefined, cwd: undefined }],
    [
      'policy keys',
      { command: process.execPath, reconnect: { maxAttempts: undefined }, timeouts: undefined },
    ],
  ])('counts them as absent: %s', (_, config) => {
    const transport = createTransport(config as TransportConfig);
    transports.push(transport);
    expect(transport.state).toBe('idle');
  });

  it('keeps the default of a policy key given as undefined', () => {
    const config = { command: process.execPath, reconnect: { maxAttempts: undefined } };
    const transport = createTransport(config as unknown as TransportConfig);
    transports.push(transport);
    expect(transport.actor.getSnapshot().context.policy.reconnect.maxAttempts).toBe(Number.POSITIVE_INFINITY);
  });
});

describe('closest', () => {
  it.each<[string, readonly string[], string | undefined]>([
    ['initalDelayMs', ['initialDelayMs', 'multiplier'], 'initialDelayMs'],
    ['lmiits', ['limits', 'queue'], 'limits'],
    ['MAXATTEMPTS', ['maxDelayMs', 'maxAttempts'], 'maxAttempts'],
    ['memory', ['cpus', 'memoryBytes'], 'memoryBytes'],
    ['max', ['maxDelayMs', 'maxAttempts'], undefined],
    ['env', ['cwd', 'url'], undefined],
    ['retry', ['reconnect', 'timeouts'], undefined],
  ])('reads %s among %j as %s', (word, candidates, expected) => {
    expect(closest(word, candidates)).toBe(expected);
  });

  it('counts a swap of neighbours as one edit', () => {
    expect(editDistance('agrs', 'args')).toBe(1);
    expect(editDistance('comand', 'command')).toBe(1);
    expect(editDistance('', 'url')).toBe(3);
  });
});
