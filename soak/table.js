// @ts-check
// The soak's one markdown table: a row per transport and client (ours, then the SDK anchor beside it),
// and the notes under it (skipped transports with the reason, versions, anything odd a row saw).

/** @typedef {import('./variant.js').Row} Row */
/** @typedef {{ transport: string, skipped: string }} Skipped */

const HEADER = [
  'Transport',
  'Client',
  'Time s',
  'Calls',
  'Answered',
  'Failed',
  'Hung',
  'Wrong',
  'Faults',
  'Recovered',
  'Recovery p50 / max ms',
  'Failed in flight',
  'Failed beyond in flight',
  'Failures by code',
  'Result',
];

/** @param {number} n */
const thousands = (n) => n.toLocaleString('en-US');

/** `kill 2 · cut 1` @param {Record<string, number>} counts */
const byKind = (counts) =>
  Object.entries(counts)
    .map(([kind, n]) => `${kind} ${n}`)
    .join(' · ') || '0';

/** The three most frequent codes. @param {Record<string, number>} codes */
function topCodes(codes) {
  const entries = Object.entries(codes);
  const shown = entries.slice(0, 3).map(([code, n]) => `${code.replaceAll('|', '/')} ×${thousands(n)}`);
  if (entries.length > 3) shown.push(`${entries.length - 3} more`);
  return shown.join('; ');
}

/** @param {number | undefined} ms */
const msText = (ms) => (ms === undefined ? '–' : ms.toFixed(0));

/** @param {Row} row */
function cells(row) {
  const beyond =
    row.failedBeyond === 0 ? '0' : `${thousands(row.failedBeyond)} (after ${byKind(row.beyondAfter)})`;
  const result = row.client === 'sdk' ? 'anchor' : row.ok ? 'pass' : '**FAIL**';
  return [
    row.transport,
    row.clientName,
    row.seconds.toFixed(1),
    thousands(row.calls),
    thousands(row.answered),
    thousands(row.failed),
    String(row.hung),
    String(row.wrong),
    byKind(row.faults),
    `${row.recovered}/${row.faultCount}`,
    `${msText(row.recoveryP50Ms)} / ${msText(row.recoveryMaxMs)}`,
    thousands(row.failedInFlight),
    beyond,
    topCodes(row.codes),
    result,
  ];
}

/**
 * The table and its notes, as markdown lines.
 * @param {readonly Row[]} rows @param {readonly Skipped[]} skipped @param {readonly string[]} details
 */
export function formatSoakTable(rows, skipped, details) {
  const lines = [
    `| ${HEADER.join(' | ')} |`,
    `|${HEADER.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`,
  ];
  for (const row of rows) lines.push(`| ${cells(row).join(' | ')} |`);
  for (const { transport } of skipped)
    lines.push(
      `| ${transport} | – | ${HEADER.slice(2, -1)
        .map(() => '')
        .join(' | ')} | skipped |`,
    );
  const notes = [];
  for (const { transport, skipped: reason } of skipped) notes.push(`${transport} skipped: ${reason}`);
  for (const row of rows)
    for (const note of row.notes) notes.push(`${row.transport}, ${row.clientName}: ${note}`);
  notes.push(...details);
  if (notes.length > 0) lines.push('', ...notes.map((note) => `- ${note}`));
  return lines;
}
