// The stdio benchmark's clients, behind the one driver's interface (lib/driver.js): ours and
// the SDK's StdioClientTransport driven at the transport level (lib/clients.js
// transportClient: no SDK Client, no handshake; the echo server answers any request), and a
// raw child_process baseline. The Docker benchmark reuses ours and the SDK's.

import { spawn } from 'node:child_process';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { createTransport } from '../../dist/index.js';
import { exitOf, livePids } from '../lib/children.js';
import { clientFields, request, transportClient } from '../lib/clients.js';
import { withTimeout } from '../lib/stats.js';
import { SERVER } from './setup.js';

/** @import { ChildProcessByStdio } from 'node:child_process' */
/** @import { Readable, Writable } from 'node:stream' */
/** @import { BenchClient, BenchTransport, JsonRpc } from '../lib/types.js' */

/**
 * a. mcp-lifeline's createTransport(), driven at the transport level. `extra` is merged into
 * its configuration (the Docker benchmark turns it into a Docker link).
 * @param {Record<string, unknown>} [extra]
 */
export function oursClient(extra = {}) {
  const config = { command: process.execPath, args: [SERVER], heartbeat: { intervalMs: 0 }, ...extra };
  const transport = createTransport(/** @type {import('../../dist/index.js').TransportConfig} */ (config));
  return transportClient('ours', /** @type {BenchTransport} */ (transport));
}

/**
 * b. The SDK's StdioClientTransport (v1), driven the same way.
 * @param {Partial<ConstructorParameters<typeof StdioClientTransport>[0]>} [extra]
 */
export function sdkClient(extra = {}) {
  const transport = new StdioClientTransport({ command: process.execPath, args: [SERVER], ...extra });
  return transportClient('sdk', /** @type {BenchTransport} */ (transport));
}

/**
 * c. The raw baseline: spawn, JSON lines on stdin, stdout split on '\n' by a linear splitter
 * (pieces of a partial line kept in a list, joined once when its newline arrives) + JSON.parse.
 * @returns {BenchClient}
 */
export function rawClient({ detached = false } = {}) {
  /** @type {ChildProcessByStdio<Writable, Readable, null> | undefined} */
  let child;
  /** @type {Buffer[]} */
  let pieces = [];
  /** @type {BenchClient} */
  const client = {
    ...clientFields(detached ? 'raw-detached' : 'raw', undefined),
    start() {
      const started = spawn(process.execPath, [SERVER], { stdio: ['pipe', 'pipe', 'inherit'], detached });
      child = started;
      started.stdin.on('error', (error) => client.errors.push(error.message));
      started.stdout.on('data', (/** @type {Buffer} */ chunk) => {
        let start = 0;
        let newline = chunk.indexOf(10);
        while (newline !== -1) {
          let line;
          if (pieces.length === 0) {
            line = chunk.toString('utf8', start, newline);
          } else {
            pieces.push(chunk.subarray(start, newline));
            line = Buffer.concat(pieces).toString('utf8');
            pieces = [];
          }
          if (line.length > 0) {
            /** @type {JsonRpc} */
            const message = JSON.parse(line);
            client.onResponse?.(Number(message.id), message);
          }
          start = newline + 1;
          newline = chunk.indexOf(10, start);
        }
        if (start < chunk.length) pieces.push(chunk.subarray(start));
      });
      return new Promise((resolve, reject) => {
        started.once('spawn', () => {
          client.pid = started.pid;
          if (started.pid !== undefined) livePids.add(started.pid);
          resolve();
        });
        started.once('error', reject);
      });
    },
    send(id, params) {
      child?.stdin.write(`${JSON.stringify(request(id, params))}\n`);
    },
    async close() {
      if (child === undefined) return;
      const exited = exitOf(child);
      child.stdin.end();
      try {
        await withTimeout(exited, 5000, 'raw child exit');
      } catch {
        child.kill('SIGKILL');
        await exited;
      }
      if (client.pid !== undefined) livePids.delete(client.pid);
    },
  };
  return client;
}

/** @type {Record<string, () => BenchClient>} */
export const FACTORIES = {
  ours: () => oursClient(),
  sdk: () => sdkClient(),
  raw: () => rawClient(),
  // Not in the default run: the raw baseline spawned `detached: true`, as our stdio link spawns
  // its server (own session and process group). For bench/profile/main.js.
  'raw-detached': () => rawClient({ detached: true }),
};
