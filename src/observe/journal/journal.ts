/**
 * One connection's journal: every event of its life, numbered and stamped with the
 * transport's clock, kept in a bounded ring, told to listeners (the control socket) and, when
 * a file is configured, appended to it as a JSON line. Recording never throws and never waits.
 */

import { type JournalEntry, type JournalEvent, journalError } from './entry.js';
import { acquireJournalFile, type JournalFileLease } from './file.js';
import type { ResolvedJournal } from './options.js';
import { JournalRing } from './ring.js';

/** What a connection's journal is made with. */
export interface ConnectionJournalOptions {
  /** The connection's name (each line of a shared file carries it). */
  name: string;
  config: ResolvedJournal;
  /** The transport's clock. */
  now(): number;
  /** Values that must never be written (env values, header values); see `journalError`. */
  secrets: readonly string[];
  /** Told once when the file cannot be written (the journal goes on in memory). */
  onFileError?(error: Error): void;
}

/**
 * Heartbeat entries kept at most, in a ring of their own: a link probed every 30 s would
 * otherwise push every state change out of a 256-entry ring within about two hours, and the
 * night's outages are what an operator comes for.
 */
export const MAX_HEARTBEAT_ENTRIES = 32;

export class ConnectionJournal {
  readonly name: string;
  readonly secrets: readonly string[];
  readonly #ring: JournalRing;
  readonly #beats: JournalRing;
  readonly #options: ConnectionJournalOptions;
  readonly #listeners = new Set<(entry: JournalEntry) => void>();
  #seq = 0;
  #file: JournalFileLease | undefined;

  constructor(options: ConnectionJournalOptions) {
    this.name = options.name;
    this.secrets = options.secrets;
    this.#options = options;
    this.#ring = new JournalRing(options.config.entries);
    this.#beats = new JournalRing(Math.min(MAX_HEARTBEAT_ENTRIES, options.config.entries));
  }

  /** Entries kept in memory now. */
  get size(): number {
    return this.#ring.size + this.#beats.size;
  }

  /** Entries kept in memory at most. */
  get capacity(): number {
    return this.#ring.capacity + this.#beats.capacity;
  }

  /** Records one event; returns the entry. */
  record(event: JournalEvent): JournalEntry {
    this.#seq += 1;
    const entry = { t: this.#options.now(), seq: this.#seq, ...event } as JournalEntry;
    (entry.kind === 'heartbeat' ? this.#beats : this.#ring).push(entry);
    const path = this.#options.config.file;
    if (path !== undefined) {
      this.#file ??= acquireJournalFile(path, {
        maxBytes: this.#options.config.maxBytes,
        keep: this.#options.config.keep,
        onError: (error) => this.#options.onFileError?.(error),
      });
      this.#file.file.append(JSON.stringify({ connection: this.name, ...entry }));
    }
    for (const listener of this.#listeners) {
      try {
        listener(entry);
      } catch {
        // A listener's bug (a control client gone wrong) must not reach the connection.
      }
    }
    return entry;
  }

  /** Records an error: its code, and its message redacted and cut short. */
  error(error: { code?: unknown; message?: unknown }): void {
    const kept = journalError(error, this.secrets);
    if (kept !== undefined) this.record({ kind: 'error', error: kept });
  }

  /** The entries kept, oldest first (the newest `limit` when given). */
  entries(limit?: number): JournalEntry[] {
    const events = this.#ring.entries(limit);
    if (this.#beats.size === 0) return events;
    const merged = [...events, ...this.#beats.entries(limit)].sort((a, b) => a.seq - b.seq);
    return limit === undefined ? merged : merged.slice(-limit);
  }

  /** Hears every entry from now on; returns the unsubscribe function. */
  subscribe(listener: (entry: JournalEntry) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Writes out what is queued for the file and lets it go (it is taken again by the next entry). */
  async release(): Promise<void> {
    const file = this.#file;
    this.#file = undefined;
    await file?.release();
  }
}
