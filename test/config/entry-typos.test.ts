// Issue 14, point 4, in config files: the lifeline block's typos get the same "did you mean" as
// createTransport() gives in code, and a server entry that names no transport points at the
// key that was probably meant. Other keys of an entry stay unreported: they may be another
// host's own.

import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { configFileError } from './files.js';

function problems(value: unknown): readonly string[] {
  return configFileError(() => parseConfig(value)).problems;
}

const CAUSE = 'type: cannot infer the transport; give command (stdio), url (http, sse, ws) or image (docker)';

describe('config files: misspelled keys', () => {
  it.each<[string, unknown, string[]]>([
    [
      'a misspelled command or url in an entry',
      { mcpServers: { a: { comand: 'node', autoApprove: [] }, b: { uri: 'https://example.com/mcp' } } },
      [
        `server "a": ${CAUSE}`,
        'server "a": comand: unknown key; did you mean "command"?',
        `server "b": ${CAUSE}`,
        'server "b": uri: unknown key; did you mean "url"?',
      ],
    ],
    [
      'typos in the lifeline block, at every level',
      {
        mcpServers: { a: { command: 'node' } },
        lifeline: {
          default: {},
          servers: { a: { reconect: {}, maxAttempts: 3, heartbeat: { intervalMS: 1, timeout: 2 } } },
        },
      },
      [
        'lifeline.default: unknown key; did you mean "defaults"?',
        'lifeline.servers["a"].reconect: unknown key; did you mean "reconnect"?',
        'lifeline.servers["a"].maxAttempts: unknown key; did you mean "reconnect.maxAttempts"?',
        'lifeline.servers["a"].heartbeat.intervalMS: unknown key; did you mean "intervalMs"?',
        'lifeline.servers["a"].heartbeat.timeout: unknown key; did you mean "timeoutMs"?',
      ],
    ],
  ])('names every problem: %s', (_, value, expected) => {
    expect(problems(value)).toEqual(expected);
  });

  it('still leaves out keys of other hosts when the entry names its transport', () => {
    const loaded = parseConfig({ mcpServers: { a: { command: 'node', comandLine: 'x', timeout: 60 } } });
    expect(loaded.servers[0]?.config).toEqual({ command: 'node' });
  });
});
