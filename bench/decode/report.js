// The decode benchmark's targets and markdown table.

import { settle } from '../lib/report.js';

/** @import { Target } from '../lib/types.js' */
/** @import { DecodeResult } from './main.js' */

/**
 * A 10 MB line decodes in at most twice the time of a bare JSON.parse, in both shapes.
 * @param {DecodeResult[]} decode
 * @returns {Target[]}
 */
export function decodeTargets(decode) {
  return settle(
    ['string', 'structured'].map((shape) => {
      const d = decode.find((entry) => entry.shape === shape && entry.bytes === 10 * 1000 * 1000);
      const ours = d?.ms.ours ?? Number.NaN;
      const parse = d?.ms['JSON.parse'] ?? Number.NaN;
      return {
        name: `10 MB decode (${shape}): ours ≤ 2× JSON.parse`,
        ratio: ours / parse,
        op: '<=',
        bound: 2.0,
      };
    }),
  );
}

/**
 * The markdown table of the decode benchmark, as lines.
 * @param {DecodeResult[]} decode
 */
export function decodeTables(decode) {
  /** @type {string[]} */
  const lines = [];
  const out = (line = '') => lines.push(line);
  out('### Decode of one message fed in 64 KiB chunks (median of 10 runs, ms)');
  out();
  out(
    '| Message | ours createNdjsonDecoder | SDK ReadBuffer | JSON.parse (lower bound) | ours / JSON.parse | SDK / JSON.parse |',
  );
  out('|---|---:|---:|---:|---:|---:|');
  for (const d of decode) {
    const [ours = Number.NaN, sdk = Number.NaN, p = Number.NaN] = [d.ms.ours, d.ms.sdk, d.ms['JSON.parse']];
    out(
      `| ${d.bytes / 1e6} MB, ${d.shape} | ${ours.toFixed(2)} | ${sdk.toFixed(2)} | ${p.toFixed(2)} | ` +
        `${(ours / p).toFixed(2)}× | ${(sdk / p).toFixed(2)}× |`,
    );
  }
  out();
  return lines;
}
