/**
 * A fixed-size ring of journal entries: the newest `capacity` are kept, the oldest dropped.
 * Memory per connection is bounded by construction (docs/observability.md has the measured
 * bytes per entry), and recording is O(1) with no allocation beyond the entry itself.
 */

import type { JournalEntry } from './entry.js';

export class JournalRing {
  readonly capacity: number;
  readonly #slots: (JournalEntry | undefined)[];
  /** Where the next entry goes. */
  #next = 0;
  #size = 0;

  constructor(capacity: number) {
    this.capacity = Math.max(1, Math.floor(capacity));
    this.#slots = new Array<JournalEntry | undefined>(this.capacity).fill(undefined);
  }

  /** Entries held now. */
  get size(): number {
    return this.#size;
  }

  push(entry: JournalEntry): void {
    this.#slots[this.#next] = entry;
    this.#next = (this.#next + 1) % this.capacity;
    if (this.#size < this.capacity) this.#size += 1;
  }

  /** The entries held, oldest first; the newest `limit` when given. */
  entries(limit = this.#size): JournalEntry[] {
    const count = Math.max(0, Math.min(limit, this.#size));
    const out: JournalEntry[] = [];
    for (let i = count; i > 0; i -= 1) {
      const entry = this.#slots[(this.#next - i + this.capacity) % this.capacity];
      if (entry !== undefined) out.push(entry);
    }
    return out;
  }
}
