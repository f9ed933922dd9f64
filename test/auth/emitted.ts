// Everything a transport lets out, as text, for the secrets check (issue 15: tokens, refresh tokens, codes and
// verifiers never reach logs, errors, status, snapshots or the inspector feed): a logger that keeps every line
// at every level, an XState `inspect` observer, status snapshots, errors, and a cycle-safe serializer that also
// reads what JSON.stringify skips (an error's message, stack and cause).

import type { Logger } from '../../src/index.js';

/** The parts of an XState `InspectionEvent` an inspector shows. */
interface InspectedEvent {
  type: string;
  event?: unknown;
  snapshot?: unknown;
  action?: unknown;
}

/** What a transport emitted, by where it came from. */
export class Emitted {
  readonly #parts: Record<string, string[]> = {};

  /** A logger keeping every call at every level, debug included (pino-style `(fields, message)`). */
  readonly logger: Logger = {
    debug: (...args: unknown[]) => this.add('log', ['debug', ...args]),
    info: (...args: unknown[]) => this.add('log', ['info', ...args]),
    warn: (...args: unknown[]) => this.add('log', ['warn', ...args]),
    error: (...args: unknown[]) => this.add('log', ['error', ...args]),
  };

  /**
   * An XState inspection observer (`createTransport({ inspect })`): keeps what an inspector shows of each
   * event (its type, the event, the snapshot, the action), not the live actor objects it points to.
   */
  readonly inspect = (event: InspectedEvent): void =>
    this.add('inspect', {
      type: event.type,
      event: event.event,
      snapshot: event.snapshot,
      action: event.action,
    });

  /** Keeps `value` (any shape) as text under `source`. */
  add(source: string, value: unknown): void {
    let list = this.#parts[source];
    if (list === undefined) {
      list = [];
      this.#parts[source] = list;
    }
    list.push(serialize(value));
  }

  /** How many things came from `source`. */
  count(source: string): number {
    return this.#parts[source]?.length ?? 0;
  }

  /** How much came from each source: items and characters. */
  sizes(): Record<string, { items: number; chars: number }> {
    const sizes: Record<string, { items: number; chars: number }> = {};
    for (const [source, list] of Object.entries(this.#parts))
      sizes[source] = { items: list.length, chars: list.reduce((sum, text) => sum + text.length, 0) };
    return sizes;
  }

  /** Everything from `source`, or from all sources, as one text. */
  text(source?: string): string {
    if (source !== undefined) return (this.#parts[source] ?? []).join('\n');
    return Object.values(this.#parts)
      .map((list) => list.join('\n'))
      .join('\n');
  }

  /** Which of `secrets` appear anywhere (by source), for a readable failure. */
  leaks(secrets: Iterable<string>): Array<{ source: string; secretStart: string }> {
    const found: Array<{ source: string; secretStart: string }> = [];
    for (const secret of secrets) {
      for (const [source, list] of Object.entries(this.#parts)) {
        if (list.some((text) => text.includes(secret)))
          found.push({ source, secretStart: secret.slice(0, 6) });
      }
    }
    return found;
  }
}

/**
 * Text of a value, cycle-safe and depth-limited: every string in it, including an error's message, stack
 * and cause; for a value with `toJSON`, what that returns (what a serializer would write).
 */
export function serialize(value: unknown): string {
  const seen = new WeakSet<object>();
  const out: string[] = [];
  const walk = (v: unknown, depth: number): void => {
    if (typeof v === 'string') out.push(v);
    else if (typeof v === 'number' || typeof v === 'boolean' || typeof v === 'bigint') out.push(String(v));
    else if (v === null || v === undefined || typeof v === 'function' || typeof v === 'symbol') return;
    else if (typeof v === 'object') {
      if (seen.has(v) || depth > 12) return;
      seen.add(v);
      if (v instanceof Error) {
        out.push(v.name, v.message, v.stack ?? '');
        walk(v.cause, depth + 1);
      }
      // What serializing it gives (an actor snapshot, a ref, a LifelineError), not its live internals.
      const toJSON = (v as { toJSON?: unknown }).toJSON;
      if (typeof toJSON === 'function') {
        walk(toJSON.call(v), depth + 1);
        return;
      }
      if (v instanceof Map) for (const [key, item] of v) walk([key, item], depth + 1);
      else if (v instanceof Set) for (const item of v) walk(item, depth + 1);
      for (const key of Object.getOwnPropertyNames(v)) {
        out.push(key);
        let item: unknown;
        try {
          item = (v as Record<string, unknown>)[key];
        } catch {
          continue;
        }
        walk(item, depth + 1);
      }
    }
  };
  walk(value, 0);
  return out.join(' ');
}
