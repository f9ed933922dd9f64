// The stdio benchmark's targets and markdown tables: the round trips per payload, and the
// 12 MiB echo above the SDK's limit.

import { cell, cpuFigure, settle, throughputRatio } from '../lib/report.js';
import { thousands } from '../lib/stats.js';
import { VARIANT_NAMES } from './setup.js';

/** @import { ModeResult, Target } from '../lib/types.js' */
/** @import { LargeOutcome } from './large.js' */
/** @typedef {{ modes: Record<string, ModeResult>, large?: { messageChars: number, ours: LargeOutcome, sdk: LargeOutcome } }} StdioResult */

const MiB = 1024 * 1024;

/**
 * Ours ≥ 1.0× the SDK and ≥ 0.9× the raw loop on small messages, ≥ 0.9× raw on 9 MiB messages.
 * @param {StdioResult} stdio
 * @returns {Target[]}
 */
export function stdioTargets(stdio) {
  const small = stdio.modes.small?.variants ?? {};
  const big = stdio.modes.large?.variants ?? {};
  return settle([
    {
      name: 'small messages: ours ≥ 1.0× SDK throughput',
      ratio: throughputRatio(small.ours, small.sdk),
      op: '>=',
      bound: 1.0,
    },
    {
      name: 'small messages: ours ≥ 0.9× raw throughput',
      ratio: throughputRatio(small.ours, small.raw),
      op: '>=',
      bound: 0.9,
    },
    {
      name: '9 MiB messages: ours ≥ 0.9× raw throughput',
      ratio: throughputRatio(big.ours, big.raw),
      op: '>=',
      bound: 0.9,
    },
  ]);
}

/**
 * The markdown tables of the stdio benchmark, as lines.
 * @param {StdioResult} stdio
 */
export function stdioTables(stdio) {
  /** @type {string[]} */
  const lines = [];
  const out = (line = '') => lines.push(line);
  out('### Round trips over stdio (echo server, windowed)');
  out();
  out(
    '| Payload | Variant | calls/s (median round) | range over rounds | payload MiB/s | p50 ms | p99 ms | vs SDK | vs raw | client CPU µs/call | server CPU µs/call |',
  );
  out('|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|');
  for (const s of Object.values(stdio.modes)) {
    const v = s.variants;
    for (const [variant, r] of Object.entries(v)) {
      const payload =
        variant === 'ours'
          ? `${s.label}, ${s.window} in flight, ${s.count} after ${s.warmup} warm-up, ${s.rounds} rounds`
          : '';
      if (r.failed) {
        out(
          `| ${payload} | ${VARIANT_NAMES[variant]} | ERROR (${r.phase}): ${cell(r.error)} | | | | | | | | |`,
        );
        continue;
      }
      const vs = (/** @type {string} */ other) => {
        const ratio = throughputRatio(r, v[other]);
        return Number.isFinite(ratio) ? `${ratio.toFixed(2)}×` : 'n/a';
      };
      out(
        `| ${payload} | ${VARIANT_NAMES[variant]} | ${thousands(r.callsPerSec)} | ` +
          `${thousands(r.minCallsPerSec)}–${thousands(r.maxCallsPerSec)} | ` +
          `${((r.callsPerSec * s.paramsBytes) / MiB).toFixed(1)} | ${r.p50Ms.toFixed(2)} | ${r.p99Ms.toFixed(2)} | ` +
          `${vs('sdk')} | ${vs('raw')} | ${cpuFigure(r.clientCpuUsPerCall)} | ${cpuFigure(r.serverCpuUsPerCall)} |`,
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
  if (stdio.large === undefined) return lines;
  out('### Above the SDK limit: one 12 MiB echo');
  out();
  out('| Transport | Answered | Time | What happened |');
  out('|---|---|---:|---|');
  for (const variant of /** @type {const} */ (['ours', 'sdk'])) {
    const r = stdio.large[variant];
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
  return lines;
}
