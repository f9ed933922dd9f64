// Experiment (not part of `npm run bench`): what would an ASCII fast path and an uninitialized
// join buffer do for createNdjsonDecoder on large messages? It copies the built package to
// .bench-out/variants/<name>/ (gitignored), patches the copy's dist/codec/ndjson.js, and times
// the patched decoders against the unpatched one and JSON.parse, interleaved.
//
//   npm run build && node --expose-gc bench/experiment-decode.js [runs=15]
//
// Nothing under src/ or dist/ is changed.

import { cpSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { createNdjsonDecoder } from '../dist/codec/index.js';
import { buildLine } from './decode.js';
import { collectGarbage, median } from './lib.js';

const DIST = fileURLToPath(new URL('../dist/', import.meta.url));
const VARIANTS_DIR = fileURLToPath(new URL('../.bench-out/variants/', import.meta.url));

const PATCHES = {
  // Pure-ASCII lines (most JSON: non-ASCII text is usually \u-escaped or absent) are decoded as
  // latin1, a plain byte copy; buffer.isAscii (simdutf) decides. Others keep the UTF-8 decoder.
  ascii: (source) =>
    source
      .replace(
        "import { CodecError, ErrorCode } from '../errors.js';",
        "import { Buffer, isAscii } from 'node:buffer';\nimport { CodecError, ErrorCode } from '../errors.js';",
      )
      .replace(
        'const text = utf8.decode(line);',
        'const text = isAscii(line) ? Buffer.from(line.buffer, line.byteOffset, line.length).latin1Slice() : utf8.decode(line);',
      ),
  // The joined line is overwritten in full: no need to zero it first.
  'alloc-unsafe': (source) =>
    source
      .replace(
        "import { CodecError, ErrorCode } from '../errors.js';",
        "import { Buffer as NodeBuffer } from 'node:buffer';\nimport { CodecError, ErrorCode } from '../errors.js';",
      )
      .replace('const out = new Uint8Array(total);', 'const out = NodeBuffer.allocUnsafe(total);'),
};

async function buildVariant(name, patches) {
  const dir = `${VARIANTS_DIR}${name}/`;
  rmSync(dir, { recursive: true, force: true });
  cpSync(DIST, dir, { recursive: true });
  const file = `${dir}codec/ndjson.js`;
  const original = readFileSync(file, 'utf8');
  let patched = original;
  for (const patch of patches) {
    const next = PATCHES[patch](patched);
    if (next === patched)
      throw new Error(`${name}: patch ${patch} no longer applies to dist/codec/ndjson.js`);
    patched = next;
  }
  writeFileSync(file, patched);
  return (await import(`${dir}codec/index.js`)).createNdjsonDecoder;
}

function viaDecoder(create) {
  return (chunks) => {
    let message;
    const decoder = create({
      maxMessageBytes: 32 * 1024 * 1024,
      onMessage: (m) => {
        message = m;
      },
    });
    for (const chunk of chunks) decoder.feed(chunk);
    return message;
  };
}

const decoders = {
  ours: viaDecoder(createNdjsonDecoder),
  'ours+ascii': viaDecoder(await buildVariant('ascii', ['ascii'])),
  'ours+alloc-unsafe': viaDecoder(await buildVariant('alloc-unsafe', ['alloc-unsafe'])),
  'ours+both': viaDecoder(await buildVariant('ascii-alloc-unsafe', ['ascii', 'alloc-unsafe'])),
  'JSON.parse': (_chunks, text) => JSON.parse(text),
};

const runs = Number(process.argv[2] ?? 15);
console.log(`one message in 64 KiB chunks, median of ${runs} interleaved runs, ms (ratio to JSON.parse)\n`);
console.log(`| Message | ${Object.keys(decoders).join(' | ')} |`);
console.log(
  `|---|${Object.keys(decoders)
    .map(() => '---:')
    .join('|')}|`,
);
for (const shape of ['string', 'structured']) {
  for (const bytes of [1e6, 10e6]) {
    const line = buildLine(shape, bytes);
    const buffer = Buffer.from(line);
    const chunks = [];
    for (let offset = 0; offset < buffer.length; offset += 65536)
      chunks.push(Buffer.from(buffer.subarray(offset, offset + 65536)));
    const text = line.slice(0, -1);
    const times = Object.fromEntries(Object.keys(decoders).map((k) => [k, []]));
    for (const [name, decode] of Object.entries(decoders)) {
      if (decode(chunks, text)?.id !== 1) throw new Error(`${name} failed`);
    }
    for (let i = 0; i < runs; i += 1) {
      for (const [name, decode] of Object.entries(decoders)) {
        collectGarbage();
        const began = performance.now();
        decode(chunks, text);
        times[name].push(performance.now() - began);
      }
    }
    const parse = median(times['JSON.parse']);
    const cells = Object.keys(decoders).map((name) => {
      const ms = median(times[name]);
      return `${ms.toFixed(2)} (${(ms / parse).toFixed(2)}×)`;
    });
    console.log(`| ${bytes / 1e6} MB, ${shape} | ${cells.join(' | ')} |`);
  }
}
