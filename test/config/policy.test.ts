// The lifeline block: defaults and per-server policy, merged one level deep; unknown keys and
// unknown server names are problems.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { configFileError } from './files.js';

const SERVERS = { a: { command: 'node' }, b: { url: 'https://b.example.com/mcp' } };

function load(lifeline: unknown) {
  return parseConfig({ mcpServers: SERVERS, lifeline });
}

function problems(lifeline: unknown, servers: unknown = SERVERS): readonly string[] {
  return configFileError(() => parseConfig({ mcpServers: servers, lifeline })).problems;
}

describe('lifeline policy: merging', () => {
  it('gives every server the defaults, and a server its own keys over them, key by key', () => {
    const loaded = load({
      defaults: { reconnect: { initialDelayMs: 250, maxAttempts: 5 }, queue: { maxBytes: 1024 } },
      servers: { b: { reconnect: { maxAttempts: 0 }, heartbeat: { intervalMs: 0 } } },
    });
    expect(loaded.defaults).toEqual({
      reconnect: { initialDelayMs: 250, maxAttempts: 5 },
      queue: { maxBytes: 1024 },
    });
    expect(loaded.servers.map((server) => server.config)).toEqual([
      { command: 'node', reconnect: { initialDelayMs: 250, maxAttempts: 5 }, queue: { maxBytes: 1024 } },
      {
        url: 'https://b.example.com/mcp',
        reconnect: { initialDelayMs: 250, maxAttempts: 0 },
        queue: { maxBytes: 1024 },
        heartbeat: { intervalMs: 0 },
      },
    ]);
  });

  it('adds no policy keys when there is no lifeline block', () => {
    const loaded = parseConfig({ mcpServers: SERVERS });
    expect(loaded.defaults).toEqual({});
    expect(loaded.servers[0]?.config).toEqual({ command: 'node' });
  });

  it('reads "Infinity" as an unbounded reconnect.maxAttempts (JSON has no Infinity)', () => {
    const loaded = load({
      defaults: { reconnect: { maxAttempts: 3 } },
      servers: { a: { reconnect: { maxAttempts: 'Infinity' } } },
    });
    expect(loaded.servers[0]?.config).toMatchObject({ reconnect: { maxAttempts: Number.POSITIVE_INFINITY } });
    expect(loaded.servers[1]?.config).toMatchObject({ reconnect: { maxAttempts: 3 } });
  });

  it('accepts a policy for a disabled server', () => {
    const servers = { ...SERVERS, off: { command: 'x', disabled: true } };
    expect(parseConfig({ mcpServers: servers, lifeline: { servers: { off: {} } } }).servers).toHaveLength(2);
  });
});

describe('lifeline policy: problems', () => {
  it('reports unknown keys at every level', () => {
    expect(
      problems({
        default: {},
        defaults: { retry: {}, reconnect: { maxAttempt: 3 } },
        servers: { a: { timeout: { connectMs: 1 }, timeouts: { connect: 1 } } },
      }),
    ).toEqual([
      'lifeline.default: unknown key; did you mean "defaults"?',
      'lifeline.defaults.retry: unknown key; expected one of reconnect, timeouts, heartbeat, queue, limits',
      'lifeline.defaults.reconnect.maxAttempt: unknown key; did you mean "maxAttempts"?',
      'lifeline.servers["a"].timeout: unknown key; did you mean "timeouts"?',
      'lifeline.servers["a"].timeouts.connect: unknown key; did you mean "connectMs"?',
    ]);
  });

  it('reports a server name that is not in the list, naming the list', () => {
    expect(problems({ servers: { c: {} } })).toEqual([
      'lifeline.servers["c"]: no server of that name in mcpServers (it has: a, b)',
    ]);
  });

  it('reports bad values as createTransport would, under their place in the block', () => {
    expect(
      problems({
        defaults: { reconnect: { multiplier: 0.5, jitter: 'some' }, heartbeat: 5 },
        servers: { a: { limits: { maxMessageBytes: 0 } }, b: [] },
      }),
    ).toEqual([
      'lifeline.defaults.reconnect.multiplier: expected a number >= 1, got 0.5',
      'lifeline.defaults.reconnect.jitter: expected a number from 0 to 1 or "full", got "some"',
      'lifeline.defaults.heartbeat: expected an object, got 5',
      'lifeline.servers["a"].limits.maxMessageBytes: expected a number >= 1, got 0',
      'lifeline.servers["b"]: expected an object of reconnect, timeouts, heartbeat, queue, limits, got an array',
    ]);
  });

  it('reports a lifeline block or servers map that is not an object', () => {
    expect(problems('on')).toEqual(['lifeline: expected an object with defaults and servers, got a string']);
    expect(problems({ servers: ['a'] })).toEqual([
      'lifeline.servers: expected an object of policies by server name, got an array',
    ]);
  });
});
