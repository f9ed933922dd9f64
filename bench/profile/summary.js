// Summarizes a V8 .cpuprofile: self time by function and by file (a bottom-up view).
//   node bench/profile/summary.js <file.cpuprofile> [top=25]

import { readFileSync } from 'node:fs';

/**
 * The parts of a .cpuprofile read here.
 * @typedef {{
 *   startTime: number, endTime: number, samples: number[],
 *   nodes: { id: number, callFrame: { functionName: string, url: string, lineNumber: number } }[],
 * }} CpuProfile
 */

const [file, topArg = '25'] = process.argv.slice(2);
if (file === undefined) throw new Error('usage: node bench/profile/summary.js <file.cpuprofile> [top]');
/** @type {CpuProfile} */
const profile = JSON.parse(readFileSync(file, 'utf8'));
const top = Number(topArg);

// Sample counts per node id, then time per sample from the time deltas.
/** @type {Map<number, number>} */
const hits = new Map();
for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
const totalMs = (profile.endTime - profile.startTime) / 1000;
const msPerSample = totalMs / profile.samples.length;

/** @type {Map<string, number>} */
const byFunction = new Map();
/** @type {Map<string, number>} */
const byFile = new Map();
for (const node of profile.nodes) {
  const n = hits.get(node.id) ?? 0;
  if (n === 0) continue;
  const { functionName, url, lineNumber } = node.callFrame;
  const short = url.replace(/^.*\/(node_modules|dist|bench)\//, '$1/').replace(/^node:/, 'node:');
  const fn = `${functionName || '(anonymous)'} ${short}${url ? `:${lineNumber + 1}` : ''}`;
  byFunction.set(fn, (byFunction.get(fn) ?? 0) + n);
  const key = url === '' ? `(${functionName})` : short;
  byFile.set(key, (byFile.get(key) ?? 0) + n);
}

function print(/** @type {string} */ title, /** @type {Map<string, number>} */ map) {
  console.log(`\n${title}`);
  const rows = [...map.entries()].sort((a, b) => b[1] - a[1]).slice(0, top);
  for (const [name, n] of rows) {
    const pct = (100 * n) / profile.samples.length;
    console.log(`${pct.toFixed(1).padStart(5)}%  ${(n * msPerSample).toFixed(0).padStart(6)} ms  ${name}`);
  }
}

console.log(`${file}: ${totalMs.toFixed(0)} ms, ${profile.samples.length} samples`);
print('self time by function', byFunction);
print('self time by file', byFile);
