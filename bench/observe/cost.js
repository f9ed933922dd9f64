// What the journal and the control socket cost on the data path (docs/observability.md): our
// transport against the bench's echo servers, stdio (the small scenario, ~200 B params, 64 in
// flight) and Streamable HTTP (JSON responses), rounds interleaved in one process between
//   off  journal: false, no control socket;
//   on   the journal with a file (rotated at 1 MiB), published on the control socket, and a
//        client attached to it watching every journal entry.
// Both record nothing per message (entries are lifecycle events), so both should run alike.
//
//   npm run build && node --expose-gc bench/observe/cost.js [rounds]

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { attachAgent, createTransport, listAgents } from '../../dist/index.js';
import { HTTP_SCENARIOS, startEchoServer } from '../http/setup.js';
import { transportClient } from '../lib/clients.js';
import { measureRound } from '../lib/driver.js';
import { median } from '../lib/stats.js';
import { SCENARIOS, SERVER } from '../stdio/setup.js';

/** @import { BenchClient, BenchTransport } from '../lib/types.js' */

const rounds = Number(process.argv[2] ?? 7);
const folder = mkdtempSync(join(tmpdir(), 'lifeline-observe-cost-'));
process.env.XDG_RUNTIME_DIR = folder;
const journalFile = join(folder, 'journal.jsonl');
const http = await startEchoServer();

/** @param {boolean} on */
function observeOptions(on) {
  return on
    ? { journal: { file: journalFile, maxBytes: 1024 * 1024 }, control: { name: 'bench' } }
    : { journal: /** @type {const} */ (false) };
}

/** @type {Record<string, (on: boolean) => BenchClient>} */
const targets = {
  stdio: (on) =>
    transportClient(
      'ours',
      /** @type {BenchTransport} */ (
        createTransport({
          command: process.execPath,
          args: [SERVER],
          heartbeat: { intervalMs: 0 },
          ...observeOptions(on),
        })
      ),
    ),
  http: (on) =>
    transportClient(
      'ours',
      /** @type {BenchTransport} */ (
        createTransport({
          type: 'http',
          url: http.url('json'),
          heartbeat: { intervalMs: 0 },
          ...observeOptions(on),
        })
      ),
      { serverPid: http.pid, handshake: true },
    ),
};
const scenarios = {
  stdio: { ...SCENARIOS.small, rounds },
  http: { ...HTTP_SCENARIOS.json, rounds },
};

/** @type {Record<string, number[]>} */
const results = {};
let watched = 0;
for (const target of /** @type {const} */ (['stdio', 'http'])) {
  for (let round = 0; round < rounds; round += 1) {
    for (const on of round % 2 === 0 ? [false, true] : [true, false]) {
      const make = targets[target];
      if (make === undefined) continue;
      /** @type {Awaited<ReturnType<typeof attachAgent>> | undefined} */
      let watcher;
      const result = await measureRound(() => {
        const client = make(on);
        if (on) {
          // Attach once the transport has started (and so published): right after the first start.
          const start = client.start.bind(client);
          client.start = async () => {
            await start();
            const [agent] = listAgents();
            if (agent === undefined) throw new Error('not published');
            watcher = await attachAgent(agent);
            await watcher.watch(() => {
              watched += 1;
            });
          };
        }
        return client;
      }, scenarios[target]);
      watcher?.close();
      if (result.failed)
        throw new Error(
          `${target} round ${round} (${on ? 'on' : 'off'}) failed at ${result.phase}: ${result.error}`,
        );
      const key = `${target} ${on ? 'on' : 'off'}`;
      const list = results[key] ?? [];
      list.push(result.callsPerSec);
      results[key] = list;
      process.stderr.write(`  ${key} round ${round + 1}: ${Math.round(result.callsPerSec)} calls/s\n`);
    }
  }
}
await http.close();
rmSync(folder, { recursive: true, force: true });

console.log(`${rounds} rounds each, interleaved (medians of calls/s)\n`);
console.log('| target | off | on (journal file + control socket + a watcher) | on vs off |');
console.log('|---|---|---|---|');
for (const target of ['stdio', 'http']) {
  const off = median(results[`${target} off`] ?? []);
  const on = median(results[`${target} on`] ?? []);
  console.log(`| ${target} | ${Math.round(off)} | ${Math.round(on)} | ${((on / off) * 100).toFixed(1)}% |`);
}
console.log(`\njournal entries the watchers heard: ${watched}`);
