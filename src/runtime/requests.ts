/**
 * The in-flight table: every request the client sent and that has not been answered yet,
 * whether it is still queued or already written to a link. It decides who is answered when:
 * a dying link takes down only what was written to it; a close or a give-up takes everything.
 */

import type { JsonRpcRequest, RequestId } from '../codec/jsonrpc.js';

/** The modern-era method whose requests stay open as subscriptions and survive a new link. */
export const LISTEN_METHOD = 'subscriptions/listen';

interface Entry {
  method: string;
  /** Written to the current link (not just queued). */
  written: boolean;
  /** Kept for requests re-sent on a new link (`subscriptions/listen`). */
  replay: JsonRpcRequest | undefined;
}

export class RequestTable {
  readonly #entries = new Map<RequestId, Entry>();

  get size(): number {
    return this.#entries.size;
  }

  has(id: RequestId): boolean {
    return this.#entries.has(id);
  }

  /** Records a request the client is sending (queued until `markWritten`). */
  track(request: JsonRpcRequest): void {
    this.#entries.set(request.id, {
      method: request.method,
      written: false,
      replay: request.method === LISTEN_METHOD ? request : undefined,
    });
  }

  /** The request went out on the current link. */
  markWritten(id: RequestId): void {
    const entry = this.#entries.get(id);
    if (entry !== undefined) entry.written = true;
  }

  /** Removes a request that got its answer; returns its method, or undefined if unknown. */
  settle(id: RequestId): string | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    return entry.method;
  }

  /**
   * The link died: removes and returns the requests written to it, which will never be
   * answered. Subscriptions stay, to be re-sent on the next link; queued requests stay queued.
   */
  takeLost(): RequestId[] {
    const lost: RequestId[] = [];
    for (const [id, entry] of this.#entries) {
      if (!entry.written) continue;
      if (entry.replay !== undefined) {
        entry.written = false;
      } else {
        this.#entries.delete(id);
        lost.push(id);
      }
    }
    return lost;
  }

  /** The connection closed or gave up: removes and returns every request. */
  takeAll(): RequestId[] {
    const all = [...this.#entries.keys()];
    this.#entries.clear();
    return all;
  }

  /** Subscriptions to re-send on a new link. */
  pendingReplays(): JsonRpcRequest[] {
    const out: JsonRpcRequest[] = [];
    for (const entry of this.#entries.values()) {
      if (entry.replay !== undefined && !entry.written) out.push(entry.replay);
    }
    return out;
  }
}
