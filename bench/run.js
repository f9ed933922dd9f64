// `npm run bench`: builds, then runs the stdio round-trip benchmark, the >10 MiB check, the
// decode benchmark, the Streamable HTTP benchmark (round trips, then the growth check over
// 100,000 calls), the WebSocket benchmark (round trips, growth, memory per idle connection) and
// the Docker benchmark (start to open, round trips, against the same server over stdio; skipped
// with a notice where no engine can run); prints markdown tables and the targets; writes
// .bench-out/results.json.
// A benchmark, not a test: it asserts nothing and exits 0 whether targets are met or not.
//
// Sections can be picked by name: `node --expose-gc bench/run.js websocket` (or any of
// stdio, decode, http, websocket, docker, herd; several at once). Without a name, all of them run.

import { execFileSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { runDecode } from './decode.js';
import { dockerTables, dockerTargets, runDocker } from './docker.js';
import { herdTables, herdTargets, runHerd } from './herd.js';
import { httpTables, httpTargets, runHttp } from './http.js';
import { cpuFigure, measuredText, metText, settle } from './lib/report.js';
import { round, sleep, thousands } from './lib.js';
import { childPids, runLargeCheck, runStdio, SCENARIOS, VARIANT_NAMES } from './stdio.js';
import { runWebSocket, wsTables, wsTargets } from './websocket.js';

const SECTIONS = ['stdio', 'decode', 'http', 'websocket', 'docker', 'herd'];
const picked = process.argv.slice(2).filter((arg) => !arg.startsWith('-'));
const unknown = picked.filter((name) => !SECTIONS.includes(name));
if (unknown.length > 0) {
  console.error(`unknown section ${unknown.join(', ')}; sections: ${SECTIONS.join(', ')} (none: all)`);
  process.exit(2);
}
const runs = (section) => picked.length === 0 || picked.includes(section);

const OUT_DIR = fileURLToPath(new URL('../.bench-out/', import.meta.url));
const MiB = 1024 * 1024;
const began = performance.now();
const log = (line) => console.error(line); // progress on stderr, tables on stdout

const cpus = os.cpus();
const machine = {
  node: process.version,
  v8: process.versions.v8,
  platform: `${os.platform()} ${os.release()} ${os.arch()}`,
  cpus: cpus.length,
  cpuModel: cpus[0]?.model ?? 'unknown',
  totalMemGiB: round(os.totalmem() / 1024 ** 3, 1),
  exposeGc: typeof globalThis.gc === 'function',
  loadAvgAtStart: os.loadavg().map((x) => round(x, 2)),
  ...sourceRevision(),
};

/** The commit measured, and whether src/ had uncommitted changes (read-only git calls). */
function sourceRevision() {
  const git = (...args) =>
    execFileSync('git', ['--no-optional-locks', ...args], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  try {
    return {
      commit: git('rev-parse', '--short', 'HEAD'),
      srcDirty: git('status', '--porcelain', '--', 'src') !== '',
    };
  } catch {
    return { commit: 'unknown', srcDirty: undefined };
  }
}
log(
  `mcp-lifeline bench: node ${machine.node}, ${machine.cpus} × ${machine.cpuModel}, ` +
    `load average ${machine.loadAvgAtStart.join(' ')}${machine.exposeGc ? '' : ' (no --expose-gc)'}`,
);

let stdio;
let large;
let decode;
let http;
let websocket;
let docker;
let herd;
if (runs('stdio')) {
  log('stdio round trips (ours, sdk, raw interleaved) ...');
  stdio = await runStdio({ log });
  log('above 10 MiB: a 12 MiB echo ...');
  large = await runLargeCheck({ log });
}
if (runs('decode')) {
  log('decode (64 KiB chunks, median of 10) ...');
  decode = runDecode({ runs: 10, log });
}
if (runs('http')) {
  log('Streamable HTTP round trips (ours, sdk, raw interleaved), then growth over 100,000 calls ...');
  http = await runHttp({ log });
}
if (runs('websocket')) {
  log(
    'WebSocket round trips (ours, sdk, raw interleaved), growth over 100,000 calls, then memory of 1,000 idle connections ...',
  );
  websocket = await runWebSocket({ log });
}
if (runs('docker')) {
  log('Docker: start to open, then round trips (ours, SDK over docker run -i, raw, ours over stdio) ...');
  docker = await runDocker({ log });
}
if (runs('herd')) {
  log(
    'Reconnect spread: 100 supervised WebSocket connections, their shared backend killed and restarted ...',
  );
  herd = await runHerd({ log });
}

machine.loadAvgAtEnd = os.loadavg().map((x) => round(x, 2));
await sleep(200); // let exit events land
const leftover = childPids();
const totalSeconds = (performance.now() - began) / 1000;

// --- targets ---

const targets = [];
if (stdio !== undefined) {
  const small = stdio.small.variants;
  const big = stdio.large.variants;
  targets.push(
    {
      name: 'small messages: ours ≥ 1.0× SDK throughput',
      ratio: small.ours.callsPerSec / small.sdk.callsPerSec,
      op: '>=',
      bound: 1.0,
    },
    {
      name: 'small messages: ours ≥ 0.9× raw throughput',
      ratio: small.ours.callsPerSec / small.raw.callsPerSec,
      op: '>=',
      bound: 0.9,
    },
    {
      name: '9 MiB messages: ours ≥ 0.9× raw throughput',
      ratio: big.ours.callsPerSec / big.raw.callsPerSec,
      op: '>=',
      bound: 0.9,
    },
  );
}
if (decode !== undefined) {
  const decodeOf = (shape) => decode.find((d) => d.shape === shape && d.bytes === 10 * 1000 * 1000);
  targets.push(
    ...['string', 'structured'].map((shape) => ({
      name: `10 MB decode (${shape}): ours ≤ 2× JSON.parse`,
      ratio: decodeOf(shape).ms.ours / decodeOf(shape).ms['JSON.parse'],
      op: '<=',
      bound: 2.0,
    })),
  );
}
settle(targets);
// Each with its own `met` (and `measured`, `why`).
if (http !== undefined) targets.push(...httpTargets(http));
if (websocket !== undefined) targets.push(...wsTargets(websocket));
if (docker !== undefined) targets.push(...dockerTargets(docker));
if (herd !== undefined) targets.push(...herdTargets(herd));

// --- tables ---

const lines = [];
const out = (line = '') => lines.push(line);

out(`## mcp-lifeline benchmarks`);
out();
out(
  `node ${machine.node} (V8 ${machine.v8}), ${machine.platform}, ${machine.cpus} CPUs (${machine.cpuModel}), ` +
    `${machine.totalMemGiB} GiB; commit ${machine.commit}${machine.srcDirty ? ' + uncommitted src changes' : ''}; load average ${machine.loadAvgAtStart.join(' ')} at start, ` +
    `${machine.loadAvgAtEnd.join(' ')} at end; total ${totalSeconds.toFixed(0)} s.`,
);
out();
if (stdio !== undefined) {
  out('### Round trips over stdio (echo server, windowed)');
  out();
  out(
    '| Payload | Variant | calls/s (median round) | range over rounds | payload MiB/s | p50 ms | p99 ms | vs SDK | vs raw | client CPU µs/call | server CPU µs/call |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const key of Object.keys(stdio)) {
    const s = stdio[key];
    const v = s.variants;
    for (const [variant, r] of Object.entries(v)) {
      const payload = `${s.label}, ${s.window} in flight, ${s.count} after ${s.warmup} warm-up, ${s.rounds} rounds`;
      out(
        `| ${variant === 'ours' ? payload : ''} | ${VARIANT_NAMES[variant]} | ${thousands(r.callsPerSec)} | ` +
          `${thousands(r.minCallsPerSec)}–${thousands(r.maxCallsPerSec)} | ` +
          `${((r.callsPerSec * s.paramsBytes) / MiB).toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
          `${(r.callsPerSec / v.sdk.callsPerSec).toFixed(2)}× | ${(r.callsPerSec / v.raw.callsPerSec).toFixed(2)}× | ` +
          `${cpuFigure(r.clientCpuUsPerCall)} | ${cpuFigure(r.serverCpuUsPerCall)} |`,
      );
    }
  }
  out();
  out(
    'Latency: per request, send() call → its answer in onmessage (performance.now()), from the median round; ' +
      'with 40 samples, p99 (nearest rank) is the slowest request. payload MiB/s counts params one way. ' +
      'CPU µs/call: user+system time of the client (this process) and of the echo server over the measured ' +
      'requests, divided by their number, median over rounds.',
  );
  out();
  out('### Above the SDK limit: one 12 MiB echo');
  out();
  out('| Transport | Answered | Time | What happened |');
  out('|---|---|---:|---|');
  for (const variant of ['ours', 'sdk']) {
    const r = large[variant];
    const what = r.answered
      ? `echo intact: ${r.intact}`
      : r.closedByTransport
        ? 'no answer: the transport closed itself (onclose fired)'
        : `no answer: ${r.timeout}`;
    const errors = r.transportErrors.length > 0 ? `; onerror: ${r.transportErrors.join(' / ')}` : '';
    const label = variant === 'ours' ? 'ours (limits.maxMessageBytes 32 MiB)' : 'SDK StdioClientTransport';
    out(`| ${label} | ${r.answered ? 'yes' : 'no'} | ${r.ms.toFixed(0)} ms | ${what}${errors} |`);
  }
  out();
}
if (decode !== undefined) {
  out('### Decode of one message fed in 64 KiB chunks (median of 10 runs, ms)');
  out();
  out(
    '| Message | ours createNdjsonDecoder | SDK ReadBuffer | JSON.parse (lower bound) | ours / JSON.parse | SDK / JSON.parse |',
  );
  out('|---|---:|---:|---:|---:|---:|');
  for (const d of decode) {
    const p = d.ms['JSON.parse'];
    out(
      `| ${d.bytes / 1e6} MB, ${d.shape} | ${d.ms.ours.toFixed(2)} | ${d.ms.sdk.toFixed(2)} | ${p.toFixed(2)} | ` +
        `${(d.ms.ours / p).toFixed(2)}× | ${(d.ms.sdk / p).toFixed(2)}× |`,
    );
  }
  out();
}
if (http !== undefined) {
  for (const line of httpTables(http)) out(line);
  out();
}
if (websocket !== undefined) {
  for (const line of wsTables(websocket)) out(line);
  out();
}
if (docker !== undefined) {
  for (const line of dockerTables(docker)) out(line);
  out();
}
if (herd !== undefined) {
  for (const line of herdTables(herd)) out(line);
  out();
}
out('### Targets');
out();
out('| Target | Measured | Met |');
out('|---|---:|---|');
for (const t of targets) out(`| ${t.name} | ${measuredText(t)} | ${metText(t)} |`);
out();
out(
  `Child processes left after the run: ${leftover.length}${leftover.length ? ` (${leftover.join(', ')})` : ''}.`,
);

console.log(lines.join('\n'));

// --- machine-readable results ---

const results = {
  date: new Date().toISOString(),
  command: picked.length === 0 ? 'npm run bench' : `node --expose-gc bench/run.js ${picked.join(' ')}`,
  sections: SECTIONS.filter(runs),
  machine,
  totalSeconds,
  settings: Object.fromEntries(
    Object.entries(SCENARIOS).map(([key, s]) => [
      key,
      {
        paramsBytes: JSON.stringify(s.params).length,
        warmup: s.warmup,
        count: s.count,
        window: s.window,
        rounds: s.rounds,
        variants: s.variants,
      },
    ]),
  ),
  stdio,
  large,
  decode,
  http,
  websocket,
  docker,
  herd,
  targets,
  childProcessesLeft: leftover,
};
mkdirSync(OUT_DIR, { recursive: true });
writeFileSync(new URL('results.json', `file://${OUT_DIR}`), `${JSON.stringify(results, null, 2)}\n`);
writeFileSync(new URL('results.md', `file://${OUT_DIR}`), `${lines.join('\n')}\n`);
log(`results: .bench-out/results.json (and results.md), ${totalSeconds.toFixed(0)} s`);
