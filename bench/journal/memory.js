// What the journal costs in memory (docs/observability.md, docs/benchmarks.md): 1,000
// connections' journals, each filled to its capacity with a realistic mix of entries (a state
// change carrying a distinct 4 KiB error message, kept cut to 240 characters; an
// attempt; a heartbeat; an error entry), measured as heap growth after a full GC. Reports bytes
// per entry, per full journal, and per empty journal (the ring's slots alone).
//
//   npm run build && node --expose-gc bench/journal/memory.js [connections] [entries]

import { ConnectionJournal } from '../../dist/observe/journal/journal.js';
import { DEFAULT_JOURNAL } from '../../dist/observe/journal/options.js';

const connections = Number(process.argv[2] ?? 1000);
const capacity = Number(process.argv[3] ?? DEFAULT_JOURNAL.entries);
const gc = /** @type {() => void} */ (globalThis.gc);
if (typeof gc !== 'function') throw new Error('run with node --expose-gc');

function heap() {
  gc();
  gc();
  return process.memoryUsage().heapUsed;
}

/**
 * A distinct 4 KiB message (an error quoting a server's stderr), cut by the journal to the
 * longest text it keeps: a journal that kept a view of the whole would show 4 KiB per entry.
 * @param {number} i
 */
function message(i) {
  const head = `connect ECONNREFUSED 127.0.0.1:${3000 + (i % 1000)} (attempt ${i}) `;
  return head + 'x'.repeat(4096);
}

/** @param {ConnectionJournal} journal @param {number} n */
function fill(journal, n) {
  for (let i = 0; i < n; i += 1) {
    switch (i % 4) {
      case 0:
        journal.record({
          kind: 'state',
          from: 'open',
          to: 'reconnecting',
          attempt: i,
          delayMs: 1000,
          error: { code: 'LIFELINE_ERR_PROCESS_EXIT', message: message(i) },
        });
        break;
      case 1:
        journal.record({ kind: 'attempt', attempt: i });
        break;
      case 2:
        journal.record({ kind: 'heartbeat', rttMs: 3 });
        break;
      default:
        journal.error({ code: 'LIFELINE_ERR_NETWORK', message: message(i) });
    }
  }
}

function make() {
  let t = Date.now();
  return new ConnectionJournal({
    name: 'server',
    config: { ...DEFAULT_JOURNAL, entries: capacity },
    now: () => t++,
    secrets: ['not-in-these-messages-0123456789'],
  });
}

const before = heap();
const empty = Array.from({ length: connections }, make);
const afterEmpty = heap();
// Enough to fill both rings (heartbeats have one of their own, of at most 32).
for (const journal of empty) fill(journal, 2 * capacity);
const afterFull = heap();
const held = empty.reduce((sum, journal) => sum + journal.size, 0);
// Twice the capacity: the ring drops the oldest, so memory must not grow further.
for (const journal of empty) fill(journal, 2 * capacity);
const afterOverflow = heap();

const perEmpty = (afterEmpty - before) / connections;
const perFull = (afterFull - before) / connections;
const perEntry = (afterFull - afterEmpty) / held;
const growth = (afterOverflow - afterFull) / connections;
console.log(
  JSON.stringify(
    {
      node: process.version,
      connections,
      capacity,
      entriesHeldPerJournal: held / connections,
      bytesPerEmptyJournal: Math.round(perEmpty),
      bytesPerEntry: Math.round(perEntry),
      bytesPerFullJournal: Math.round(perFull),
      growthPerJournalAfterOverflow: Math.round(growth),
    },
    null,
    2,
  ),
);
if (empty.length !== connections) throw new Error('unreachable');
