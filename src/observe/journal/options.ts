/**
 * The `journal` option of a transport, a supervisor and a config file's `lifeline` block: how
 * many entries each connection keeps in memory, and the optional JSON-lines file with its
 * size-based rotation. Checked like every other option: one problem per mistake.
 */

/** What `journal` takes. `false` turns the in-memory journal off. */
export interface JournalOptions {
  /** Entries kept in memory per connection (the newest). Default 256. */
  entries?: number;
  /** Append every entry as one JSON line to this file (shared by every connection that names it). */
  file?: string;
  /** Rotate the file before it grows past this many bytes. Default 10 MiB. */
  maxBytes?: number;
  /** Rotated files kept beside it (`file.1` newest … `file.<keep>`). Default 3; 0 keeps none. */
  keep?: number;
}

/** The journal option with its defaults. */
export interface ResolvedJournal {
  entries: number;
  file: string | undefined;
  maxBytes: number;
  keep: number;
}

export const DEFAULT_JOURNAL: ResolvedJournal = {
  entries: 256,
  file: undefined,
  maxBytes: 10 * 1024 * 1024,
  keep: 3,
};

/** The smallest `maxBytes`: one line must always fit in a fresh file. */
export const MIN_JOURNAL_BYTES = 4096;

function isWhole(value: unknown, min: number): boolean {
  return typeof value === 'number' && Number.isInteger(value) && value >= min;
}

/**
 * Checks `journal` and applies its defaults; pushes one problem per mistake (the unknown keys
 * are the caller's, through `checkKeys`). `false` means off: undefined is returned.
 */
export function resolveJournal(value: unknown, problems: string[]): ResolvedJournal | undefined {
  if (value === false) return undefined;
  if (value === undefined || value === true) return DEFAULT_JOURNAL;
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    problems.push('journal: expected an object { entries, file, maxBytes, keep } or false');
    return undefined;
  }
  const { entries, file, maxBytes, keep } = value as JournalOptions;
  if (entries !== undefined && !isWhole(entries, 1))
    problems.push(`journal.entries: expected a whole number >= 1, got ${String(entries)}`);
  if (file !== undefined && (typeof file !== 'string' || file === ''))
    problems.push('journal.file: expected a non-empty path');
  if (maxBytes !== undefined && !isWhole(maxBytes, MIN_JOURNAL_BYTES))
    problems.push(
      `journal.maxBytes: expected a whole number >= ${MIN_JOURNAL_BYTES}, got ${String(maxBytes)}`,
    );
  if (keep !== undefined && !isWhole(keep, 0))
    problems.push(`journal.keep: expected a whole number >= 0, got ${String(keep)}`);
  return {
    entries: entries ?? DEFAULT_JOURNAL.entries,
    file,
    maxBytes: maxBytes ?? DEFAULT_JOURNAL.maxBytes,
    keep: keep ?? DEFAULT_JOURNAL.keep,
  };
}
