// The decode section of `npm run bench`: one large JSON-RPC response fed in 64 KiB chunks to
// our NDJSON decoder and to the SDK's ReadBuffer, against bare JSON.parse of the whole line (the
// lower bound). The tables and targets are in report.js.
//
// Run alone: node --expose-gc bench/decode/main.js   (or `node --expose-gc bench/run.js decode`)

import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { ReadBuffer } from '@modelcontextprotocol/sdk/shared/stdio.js';
import { createNdjsonDecoder } from '../../dist/codec/index.js';
import { printTargets } from '../lib/report.js';
import { collectGarbage, median } from '../lib/stats.js';
import { decodeTables, decodeTargets } from './report.js';

/** @import { Log, Section } from '../lib/types.js' */
/** @typedef {{ shape: string, bytes: number, chunks: number, ms: Record<string, number>, runsMs: Record<string, number[]> }} DecodeResult */

const CHUNK = 64 * 1024;
const MB = 1000 * 1000;

/** Sizes of the whole line (newline included), in decimal MB: 10 MB stays under the SDK's 10 MiB. */
export const SIZES = [1 * MB, 5 * MB, 10 * MB];
export const SHAPES = ['string', 'structured'];

/**
 * A JSON-RPC response of exactly `bytes` bytes (newline included).
 *   string:     result.content[0].text is one big ASCII string (a tool returning a file);
 *   structured: result.structuredContent.rows is an array of small objects (a tool returning a table).
 */
export function buildLine(/** @type {string} */ shape, /** @type {number} */ bytes) {
  const wrap = (/** @type {string} */ inner) => `{"jsonrpc":"2.0","id":1,"result":${inner}}\n`;
  if (shape === 'string') {
    const empty = wrap('{"content":[{"type":"text","text":""}]}');
    return wrap(`{"content":[{"type":"text","text":"${'x'.repeat(bytes - empty.length)}"}]}`);
  }
  /** @type {string[]} */
  const rows = [];
  let size = wrap('{"structuredContent":{"rows":[]}}').length;
  for (let i = 0; ; i += 1) {
    const row = JSON.stringify({
      id: i,
      name: `item-${i}`,
      price: (i % 1000) / 7,
      tags: ['a', 'bc'],
      ok: i % 2 === 0,
    });
    if (size + row.length + 1 > bytes) break;
    rows.push(row);
    size += row.length + (rows.length > 1 ? 1 : 0);
  }
  const body = wrap(`{"structuredContent":{"rows":[${rows.join(',')}]}}`);
  // Pad with spaces (insignificant JSON whitespace) to the exact size.
  return `${body.slice(0, -1)}${' '.repeat(bytes - body.length)}\n`;
}

function chunksOf(/** @type {Buffer} */ buffer) {
  /** @type {Buffer[]} */
  const chunks = [];
  for (let offset = 0; offset < buffer.length; offset += CHUNK) {
    // A copy per chunk, as a pipe hands out fresh buffers (our decoder keeps them by reference).
    chunks.push(Buffer.from(buffer.subarray(offset, Math.min(buffer.length, offset + CHUNK))));
  }
  return chunks;
}

/** @type {Record<string, (chunks: Buffer[], text: string) => unknown>} */
const DECODERS = {
  ours(chunks) {
    /** @type {unknown} */
    let message;
    const decoder = createNdjsonDecoder({
      maxMessageBytes: 32 * 1024 * 1024,
      onMessage: (m) => {
        message = m;
      },
    });
    for (const chunk of chunks) decoder.feed(chunk);
    return message;
  },
  sdk(chunks) {
    /** @type {unknown} */
    let message;
    const buffer = new ReadBuffer();
    for (const chunk of chunks) {
      buffer.append(chunk);
      for (let m = buffer.readMessage(); m !== null; m = buffer.readMessage()) message = m;
    }
    return message;
  },
  // The lower bound: the line already one string, parsed once (no framing, no UTF-8 decoding).
  'JSON.parse'(_chunks, text) {
    return JSON.parse(text);
  },
};

/**
 * Median decode time (ms) of each decoder for each shape and size.
 * @param {{ runs?: number, log: Log }} options
 * @returns {DecodeResult[]}
 */
export function runDecode({ runs = 10, log }) {
  /** @type {DecodeResult[]} */
  const results = [];
  for (const shape of SHAPES) {
    for (const bytes of SIZES) {
      const line = buildLine(shape, bytes);
      const text = line.slice(0, -1);
      const chunks = chunksOf(Buffer.from(line, 'utf8'));
      /** @type {DecodeResult} */
      const entry = { shape, bytes, chunks: chunks.length, ms: {}, runsMs: {} };
      const decoders = Object.entries(DECODERS);
      for (const [name, decode] of decoders) {
        const decoded = /** @type {{ id?: unknown } | undefined} */ (decode(chunks, text));
        if (decoded?.id !== 1) throw new Error(`${name} did not decode the ${shape} line`);
        entry.runsMs[name] = [];
      }
      // Interleaved (ours, sdk, JSON.parse, ours, ...) so that drift hits all alike; GC before each.
      for (let i = 0; i < runs; i += 1) {
        for (const [name, decode] of decoders) {
          collectGarbage();
          const began = performance.now();
          decode(chunks, text);
          entry.runsMs[name]?.push(performance.now() - began);
        }
      }
      for (const [name] of decoders) entry.ms[name] = median(entry.runsMs[name] ?? []);
      results.push(entry);
      log(
        `  decode ${shape} ${bytes / MB} MB: ` +
          Object.entries(entry.ms)
            .map(([name, ms]) => `${name} ${ms.toFixed(2)} ms`)
            .join(', '),
      );
    }
  }
  return results;
}

/** @type {Section<DecodeResult[]>} */
export const decodeSection = {
  name: 'decode',
  intro: 'decode (64 KiB chunks, median of 10) ...',
  run: async ({ log }) => runDecode({ runs: 10, log }),
  tables: decodeTables,
  targets: decodeTargets,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const decode = runDecode({ log: (line) => console.error(line) });
  console.log(decodeTables(decode).join('\n'));
  printTargets(decodeTargets(decode));
}
