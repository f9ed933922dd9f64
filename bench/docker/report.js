// The Docker benchmark's targets and markdown tables (used by bench/run.js and the entry).

import { cell, cpuFigure, roundTripTable, settle, throughputRatio } from '../lib/report.js';
import { median, thousands } from '../lib.js';
import { CLI_VARIANTS, DOCKER_STARTS, DOCKER_VARIANT_NAMES, DOCKER_VARIANTS } from './setup.js';

/** The median of a per-round figure over the rounds that did not fail. */
const roundMedian = (r, field) =>
  r.failed ? Number.NaN : median(r.rounds.filter((x) => !x.failed).map((x) => x[field] ?? Number.NaN));

/**
 * The Docker targets: ours answers its first request about as soon as the SDK running `docker
 * run -i` (median; both wait for the same create, attach and start, so 10% is left for the noise
 * of a shared machine), runs at least as many calls/s as the SDK and 0.8× the raw `docker run
 * -i` loop (the bound of the WebSocket target), and leaves no container behind after any close.
 */
export function dockerTargets(docker) {
  if (docker.skipped !== undefined) return [];
  const targets = [];
  const s = docker.starts?.variants;
  if (s !== undefined) {
    const failed = s.ours.failed || s.sdk.failed;
    targets.push(
      {
        name: 'Docker start: ours ≤ 1.1× the SDK over `docker run -i --rm` (start() → first answer, median)',
        ratio: failed ? Number.NaN : s.ours.answerMs.median / s.sdk.answerMs.median,
        op: '<=',
        bound: 1.1,
        why: failed ? `failed: ${cell(s.ours.error ?? s.sdk.error)}` : undefined,
      },
      {
        name: `Docker close: no container left after any of ${docker.starts.starts} closes (ours)`,
        ratio: s.ours.failed ? Number.NaN : s.ours.containersLeft,
        op: '<=',
        bound: 0,
        measured: s.ours.failed ? 'n/a' : String(s.ours.containersLeft),
      },
    );
  }
  for (const m of Object.values(docker.modes ?? {})) {
    const v = m.variants;
    for (const [other, bound, what] of [
      ['sdk', 1.0, 'the SDK over `docker run -i --rm`'],
      ['raw', 0.8, 'the raw `docker run -i --rm` loop'],
    ])
      targets.push({
        name: `Docker round trips: ours ≥ ${bound.toFixed(1)}× ${what} throughput`,
        ratio: throughputRatio(v.ours, v[other]),
        op: '>=',
        bound,
        why: v.ours.failed || v[other].failed ? `failed: ${cell(v.ours.error ?? v[other].error)}` : undefined,
      });
  }
  return settle(targets);
}

const ratioText = (ratio) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');
const ms = (value) => (Number.isFinite(value) ? value.toFixed(0) : 'n/a');

function startLines(docker, out) {
  const { starts, variants } = docker.starts;
  out(
    `### Docker: start to open (${starts} starts of each variant, interleaved, after ${DOCKER_STARTS.warmup} warm-up start each)`,
  );
  out();
  out(
    '| Variant | start() resolved, median ms | p90 | first answer, median ms | p90 | close, median ms | p90 | containers left after a close |',
  );
  out('|---|---:|---:|---:|---:|---:|---:|---:|');
  for (const [variant, r] of Object.entries(variants)) {
    const name = DOCKER_VARIANT_NAMES[variant];
    if (r.failed) {
      out(`| ${name} | ERROR: ${cell(r.error)} | | | | | | |`);
      continue;
    }
    const note = r.failedStarts > 0 ? ` (${r.failedStarts} starts failed: ${cell(r.firstFailure)})` : '';
    out(
      `| ${name}${note} | ${ms(r.openMs.median)} | ${ms(r.openMs.p90)} | ${ms(r.answerMs.median)} | ` +
        `${ms(r.answerMs.p90)} | ${ms(r.closeMs.median)} | ${ms(r.closeMs.p90)} | ${variant === 'ours-stdio' ? 'n/a' : r.containersLeft} |`,
    );
  }
  out();
  const steps = variants['raw-attach']?.steps;
  out(
    "start() resolved: the transport's `start()` (the raw attach client: create, attach and start done; ours: the same, " +
      "the link up). The SDK's and the raw CLI's `start()` resolve once the `docker` process is spawned, before any " +
      'container exists, so **first answer** (from the call to `start()` to the answer of one echo request sent right ' +
      'after it) is the figure to compare. close: `close()` until it resolved; then the containers of this process ' +
      'on the engine, in any state, were counted.' +
      (steps === undefined
        ? ''
        : ` The raw attach client's engine calls (medians): create ${ms(steps.create)} ms, attach ${ms(steps.attach)} ms, ` +
          `start ${ms(steps.start)} ms.`),
  );
  out();
}

function cpuLines(docker, out) {
  for (const m of Object.values(docker.modes)) {
    out('### Docker: CPU per call (µs, median over rounds), by process');
    out();
    out(
      '| Variant | client (this process) | docker CLI | engine: dockerd + containerd + shim | server: node in the container | all | calls/s vs ours over stdio |',
    );
    out('|---|---:|---:|---:|---:|---:|---:|');
    const stdio = m.variants['ours-stdio'];
    for (const [variant, r] of Object.entries(m.variants)) {
      if (r.failed) continue;
      // Not every variant has a docker CLI, nor (over plain stdio) an engine: a dash, counted 0.
      const cli = CLI_VARIANTS.includes(variant) ? roundMedian(r, 'cliCpuUsPerCall') : undefined;
      const engine = variant === 'ours-stdio' ? undefined : roundMedian(r, 'engineCpuUsPerCall');
      const all = r.clientCpuUsPerCall + r.serverCpuUsPerCall + (cli ?? 0) + (engine ?? 0);
      const figure = (us) => (us === undefined ? '–' : cpuFigure(us));
      out(
        `| ${DOCKER_VARIANT_NAMES[variant]} | ${cpuFigure(r.clientCpuUsPerCall)} | ${figure(cli)} | ` +
          `${figure(engine)} | ${cpuFigure(r.serverCpuUsPerCall)} | ${cpuFigure(all)} | ` +
          `${ratioText(throughputRatio(r, stdio))} |`,
      );
    }
    out();
    out(
      "client and server: as in the round-trip table (the server is the echo server's node process, found from the " +
        "container's first process; the main thread's CPU). docker CLI and engine: user + system time of every thread " +
        "of the `docker run` process, and of dockerd, its containerd and the container's shim (/proc/<pid>/stat, 10 ms " +
        "resolution), from the server's first answer to the start of close, divided by the calls in that span " +
        '(warm-up and measured).',
    );
    out();
  }
}

/** The markdown tables of the Docker benchmark, as lines. */
export function dockerTables(docker) {
  const lines = [];
  const out = (line = '') => lines.push(line);
  if (docker.skipped !== undefined) {
    out('### Docker');
    out();
    out(`Skipped: no Docker engine (${cell(docker.skipped)}).`);
    return lines;
  }
  out(
    `Docker: engine ${docker.engineVersion} on ${docker.socketPath} (${docker.startedHere ? 'started for this run, stopped after it' : 'running already'}), ` +
      `image ${docker.image} (the test image with bench/echo-server.mjs as ${docker.echoInImage}), docker CLI ` +
      `${docker.cli.version ?? `missing: ${docker.cli.missing}`}; engine and image ready in ${ms(docker.setupMs)} ms; ` +
      `containers of this process left on the engine at the end: ${docker.containersLeftAtEnd ?? 'n/a'}.`,
  );
  out();
  if (docker.starts !== undefined) startLines(docker, out);
  if (docker.modes !== undefined) {
    roundTripTable(out, {
      heading: '### Docker: round trips (echo server in a container, and over plain stdio)',
      column: 'Messages',
      modes: docker.modes,
      variants: DOCKER_VARIANTS,
      names: DOCKER_VARIANT_NAMES,
      label: (m) =>
        `${m.label} (${m.paramsBytes} B params), ${m.window} in flight, ${thousands(m.count)} calls after ` +
        `${thousands(m.warmup)} warm-up, ${m.rounds} rounds`,
    });
    out(
      'Every variant sends `tools/call` echo requests straight on its transport (no SDK `Client`) to ' +
        'bench/echo-server.mjs, which answers each at once; vs raw: against the raw `docker run -i` loop. A round is a ' +
        'fresh client and a fresh server (container), all in this one process; latency per call from the median ' +
        'round (nearest-rank percentiles).',
    );
    out();
    cpuLines(docker, out);
  }
  return lines;
}
