// The Docker benchmark's targets and markdown tables (used by bench/run.js and the entry).

import { cell, cpuFigure, roundTripTable, settle, throughputRatio } from '../lib/report.js';
import { median, thousands } from '../lib/stats.js';
import { CLI_VARIANTS, DOCKER_STARTS, DOCKER_VARIANT_NAMES, DOCKER_VARIANTS } from './setup.js';

/** @import { ModeResult, RoundMeasured, Target, VariantSummary } from '../lib/types.js' */
/** @import { DockerResult } from './main.js' */
/** @typedef {Exclude<DockerResult, { skipped: string }>} DockerRan */
/** @typedef {(line?: string) => void} Out */

/**
 * The median of a per-round figure over the rounds that did not fail.
 * @param {VariantSummary} r
 * @param {'engineCpuUsPerCall' | 'cliCpuUsPerCall'} field
 */
const roundMedian = (r, field) =>
  r.failed
    ? Number.NaN
    : median(
        /** @type {RoundMeasured[]} */ (r.rounds.filter((x) => !x.failed)).map((x) => x[field] ?? Number.NaN),
      );

/**
 * The Docker targets: ours answers its first request about as soon as the SDK running `docker
 * run -i` (median; both wait for the same create, attach and start, so 10% is left for the noise
 * of a shared machine), runs at least as many calls/s as the SDK and 0.8× the raw `docker run
 * -i` loop (the bound of the WebSocket target), and leaves no container behind after any close.
 */
/**
 * @param {DockerResult} docker
 * @returns {Target[]}
 */
export function dockerTargets(docker) {
  if (docker.skipped !== undefined) return [];
  /** @type {Target[]} */
  const targets = [];
  const s = docker.starts?.variants;
  if (s !== undefined) {
    const [ours, sdk] = [s.ours, s.sdk];
    const measuredOurs = ours === undefined || ours.failed ? undefined : ours;
    const measuredSdk = sdk === undefined || sdk.failed ? undefined : sdk;
    const failure = (ours?.failed && ours.error) || (sdk?.failed && sdk.error) || 'a variant did not run';
    targets.push(
      {
        name: 'Docker start: ours ≤ 1.1× the SDK over `docker run -i --rm` (start() → first answer, median)',
        ratio:
          measuredOurs === undefined || measuredSdk === undefined
            ? Number.NaN
            : measuredOurs.answerMs.median / measuredSdk.answerMs.median,
        op: '<=',
        bound: 1.1,
        why: measuredOurs === undefined || measuredSdk === undefined ? `failed: ${cell(failure)}` : undefined,
      },
      {
        name: `Docker close: no container left after any of ${docker.starts?.starts} closes (ours)`,
        ratio: measuredOurs === undefined ? Number.NaN : measuredOurs.containersLeft,
        op: '<=',
        bound: 0,
        measured: measuredOurs === undefined ? 'n/a' : String(measuredOurs.containersLeft),
      },
    );
  }
  for (const m of Object.values(docker.modes ?? {})) {
    const v = m.variants;
    for (const [other, bound, what] of /** @type {const} */ ([
      ['sdk', 1.0, 'the SDK over `docker run -i --rm`'],
      ['raw', 0.8, 'the raw `docker run -i --rm` loop'],
    ])) {
      const [ours, them] = [v.ours, v[other]];
      const failure = (ours?.failed && ours.error) || (them?.failed && them.error);
      targets.push({
        name: `Docker round trips: ours ≥ ${bound.toFixed(1)}× ${what} throughput`,
        ratio: throughputRatio(ours, them),
        op: '>=',
        bound,
        why: failure ? `failed: ${cell(failure)}` : undefined,
      });
    }
  }
  return settle(targets);
}

const ratioText = (/** @type {number} */ ratio) => (Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a');
const ms = (/** @type {number | undefined} */ value) =>
  value !== undefined && Number.isFinite(value) ? value.toFixed(0) : 'n/a';

/**
 * @param {DockerRan & { starts: NonNullable<DockerRan['starts']> }} docker
 * @param {Out} out
 */
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
  const attach = variants['raw-attach'];
  const steps = attach === undefined || attach.failed ? undefined : attach.steps;
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

/**
 * @param {Record<string, ModeResult>} modes
 * @param {Out} out
 */
function cpuLines(modes, out) {
  for (const m of Object.values(modes)) {
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
      const figure = (/** @type {number | undefined} */ us) => (us === undefined ? '–' : cpuFigure(us));
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

/**
 * The markdown tables of the Docker benchmark, as lines.
 * @param {DockerResult} docker
 */
export function dockerTables(docker) {
  /** @type {string[]} */
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
  if (docker.starts !== undefined) startLines({ ...docker, starts: docker.starts }, out);
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
    cpuLines(docker.modes, out);
  }
  return lines;
}
