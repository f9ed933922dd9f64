// Experiment (not part of `npm run bench`): what would batching the stdio link's writes, or
// spawning without `detached`, do for small-message throughput? It copies the built package to
// .bench-out/variants/<name>/ (gitignored), patches the copy's dist/transports/stdio.js, and
// runs the patched copies against the unpatched build and the raw baseline, interleaved.
//
//   npm run build && node --expose-gc bench/experiment-writes.js [rounds=7] [count=20000]
//
// Nothing under src/ or dist/ is changed.

import { spawn } from 'node:child_process';
import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { collectGarbage, drive, median } from './lib.js';
import { oursClient, rawClient, SCENARIOS, SERVER } from './stdio.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const VARIANTS_DIR = fileURLToPath(new URL('../.bench-out/variants/', import.meta.url));

const WRITE = '            return stdin.write(encodeMessage(message)) ? Promise.resolve() : drain.wait();';
const PATCHES = {
  // Cork stdin on the first send of a tick and uncork on the next tick: every message sent in
  // one tick (e.g. all the requests an answer-handler sends) leaves in one writev.
  cork: (source) =>
    source
      .replace(
        WRITE,
        `            if (!corked) {
                corked = true;
                stdin.cork();
                process.nextTick(uncork);
            }
${WRITE}`,
      )
      .replace(
        '        const send = (message) => {',
        `        let corked = false;
        const uncork = () => {
            corked = false;
            stdin.uncork();
        };
        const send = (message) => {`,
      ),
  // The server in the client's session and process group (no setsid).
  'not-detached': (source) => source.replace('detached: true,', 'detached: false,'),
};

function buildVariant(name, patches) {
  const dir = `${VARIANTS_DIR}${name}/`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(DIST, dir, { recursive: true });
  const file = `${dir}transports/stdio.js`;
  const original = readFileSync(file, 'utf8');
  let patched = original;
  for (const patch of patches) patched = PATCHES[patch](patched);
  if (patched === original)
    throw new Error(`${name}: the patch no longer applies to dist/transports/stdio.js`);
  writeFileSync(file, patched);
  return import(`${dir}index.js`);
}

function patchedClient(module, name) {
  return () => {
    const transport = module.createTransport({
      command: process.execPath,
      args: [SERVER],
      heartbeat: { intervalMs: 0 },
    });
    const client = {
      name,
      onResponse: undefined,
      async start() {
        await transport.start();
        client.pid = transport.pid;
      },
      send(id, params) {
        transport.send({ jsonrpc: '2.0', id, method: 'tools/call', params }).catch(() => {});
      },
      close: () => transport.close(),
    };
    transport.onmessage = (message) => client.onResponse?.(message.id, message);
    return client;
  };
}

/** The raw baseline, writing the way the `cork` patch does. */
function rawCork() {
  let child;
  let pieces = [];
  let corked = false;
  const uncork = () => {
    corked = false;
    child.stdin.uncork();
  };
  const client = {
    name: 'raw+cork',
    onResponse: undefined,
    start() {
      child = spawn(process.execPath, [SERVER], { stdio: ['pipe', 'pipe', 'inherit'] });
      child.stdout.on('data', (chunk) => {
        let start = 0;
        let newline = chunk.indexOf(10);
        while (newline !== -1) {
          let line;
          if (pieces.length === 0) line = chunk.toString('utf8', start, newline);
          else {
            pieces.push(chunk.subarray(start, newline));
            line = Buffer.concat(pieces).toString('utf8');
            pieces = [];
          }
          const message = JSON.parse(line);
          client.onResponse?.(message.id, message);
          start = newline + 1;
          newline = chunk.indexOf(10, start);
        }
        if (start < chunk.length) pieces.push(chunk.subarray(start));
      });
      return new Promise((resolve) =>
        child.once('spawn', () => {
          client.pid = child.pid;
          resolve();
        }),
      );
    },
    send(id, params) {
      if (!corked) {
        corked = true;
        child.stdin.cork();
        process.nextTick(uncork);
      }
      child.stdin.write(`${JSON.stringify({ jsonrpc: '2.0', id, method: 'tools/call', params })}\n`);
    },
    close() {
      child.stdin.end();
      return new Promise((resolve) => child.once('exit', resolve));
    },
  };
  return client;
}
const rounds = Number(process.argv[2] ?? 7);
const count = Number(process.argv[3] ?? 20000);
const factories = {
  ours: () => oursClient(),
  'ours+cork': patchedClient(await buildVariant('cork', ['cork']), 'ours+cork'),
  'ours not-detached': patchedClient(
    await buildVariant('not-detached', ['not-detached']),
    'ours not-detached',
  ),
  'ours+cork not-detached': patchedClient(
    await buildVariant('cork-not-detached', ['cork', 'not-detached']),
    'ours+cork not-detached',
  ),
  raw: () => rawClient(),
  'raw+cork': rawCork,
};

const { params, window } = SCENARIOS.small;
const results = Object.fromEntries(Object.keys(factories).map((k) => [k, []]));
for (let round = 0; round < rounds; round += 1) {
  for (const [name, factory] of Object.entries(factories)) {
    collectGarbage();
    const client = factory();
    await client.start();
    await drive(client, { count: 2000, window, params, firstId: 1, timeoutMs: 60_000 });
    const r = await drive(client, { count, window, params, firstId: 2001, timeoutMs: 120_000 });
    await client.close();
    results[name].push(r);
  }
}

console.log(
  `small messages, ${window} in flight, ${count} measured after 2000 warm-up, ${rounds} rounds (medians)\n`,
);
console.log('| Variant | calls/s | range | p50 ms | p99 ms | client CPU µs/call | server CPU µs/call |');
console.log('|---|---:|---:|---:|---:|---:|---:|');
for (const [name, runs] of Object.entries(results)) {
  const m = (key) => median(runs.map((r) => r[key]));
  const calls = runs.map((r) => r.callsPerSec);
  console.log(
    `| ${name} | ${Math.round(m('callsPerSec'))} | ${Math.round(Math.min(...calls))}–${Math.round(Math.max(...calls))} | ` +
      `${m('p50Ms').toFixed(2)} | ${m('p99Ms').toFixed(2)} | ${m('clientCpuUsPerCall').toFixed(2)} | ${m('serverCpuUsPerCall').toFixed(2)} |`,
  );
}
