// Issue 16, point 2: `start()` after `failed` kept the previous session's handshake record, so a
// transport started again replayed the old client's `initialize` into the new session. Through
// SDK Clients and a real stdio server (test/fixtures/gated-server.mjs, which records who did each
// handshake on which process): a first client's session, the transport failed, started again as
// a supervisor does, its link restarted, then a second client connects. The new process must see
// the second client's handshake and nothing of the first's.

import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import {
  fixturePath,
  isAlive,
  killAll,
  readPids,
  removeTempFiles,
  tempFile,
  waitFor,
} from '../helpers/processes.js';

const transports: LifelineTransport[] = [];
const clients: Client[] = [];
const pidfiles: string[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
  for (const file of pidfiles.splice(0)) killAll(readPids(file).filter(isAlive));
});
afterAll(removeTempFiles);

/** Each `initialize` the gated server received: `[pid, clientInfo.name]`. */
function handshakes(file: string): [number, string][] {
  if (!existsSync(file)) return [];
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.length > 0)
    .map((line) => {
      const [pid, name] = line.split(' ');
      return [Number(pid), String(name)];
    });
}

describe('start() after failed', () => {
  it('begins a clean session: the next client’s handshake is the only one the new server sees', async () => {
    const gate = tempFile('restart-clean-gate');
    const log = tempFile('restart-clean-handshakes');
    const pidfile = tempFile('restart-clean-pids');
    pidfiles.push(pidfile);
    writeFileSync(gate, '');
    const transport = createTransport({
      command: process.execPath,
      args: [fixturePath('gated-server.mjs')],
      env: { FIXTURE_GATE: gate, FIXTURE_HANDSHAKES: log, FIXTURE_PIDFILE: pidfile },
      stderr: 'ignore',
      // One retry: a server that stays down fails the transport.
      reconnect: { initialDelayMs: 50, jitter: 0, maxAttempts: 1 },
      heartbeat: { intervalMs: 0 },
      timeouts: { closeMs: 200 },
    });
    transports.push(transport);

    const first = new Client({ name: 'first', version: '1.0.0' });
    clients.push(first);
    await first.connect(transport);
    await first.callTool({ name: 'echo', arguments: { message: 'hi' } });
    expect(transport.status.era).toBe('legacy');
    const original = transport.pid as number;

    // The backend goes down and the server is killed: the one retry fails, the transport gives up.
    rmSync(gate);
    process.kill(transport.pid as number, 'SIGKILL');
    await waitFor(() => transport.state === 'failed', { message: 'the transport did not fail' });

    // Back up; started again (as a supervisor does before any client connects), and its link
    // restarted once before the next client comes.
    writeFileSync(gate, '');
    await transport.start();
    const restarted = transport.pid as number;
    process.kill(restarted, 'SIGKILL');
    await waitFor(() => transport.state === 'open' && transport.pid !== restarted, {
      message: 'the link did not come back',
    });
    const server = transport.pid as number;

    const second = new Client({ name: 'second', version: '1.0.0' });
    clients.push(second);
    await second.connect(transport);
    await second.callTool({ name: 'echo', arguments: { message: 'hi' } });

    // The new process saw one handshake, the second client's: the first's was not replayed, on
    // the restarted link or anywhere else.
    expect(handshakes(log)).toEqual([
      [original, 'first'],
      [server, 'second'],
    ]);
    expect(transport.stats.reestablished).toBe(0);
  }, 20_000);
});
