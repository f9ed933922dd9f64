/**
 * The in-flight table: every request the client sent and that has not been answered yet,
 * whether it is still queued or already written to a link. It decides who is answered when:
 * a dying link takes down only what was written to it; a close or a give-up takes everything.
 *
 * Requests are keyed by the client's id. A request re-issued on HTTP (its response stream
 * broke) goes out under a new wire id; the table maps that id back so the answer reaches the
 * client under the id it used.
 */

import type { JsonRpcRequest, RequestId } from '../../codec/jsonrpc.js';
import type { LifelineError } from '../../errors.js';
import type { LinkSendOptions } from '../../link/contract.js';

/** The modern-era method whose requests stay open as subscriptions and survive a new link. */
export const LISTEN_METHOD = 'subscriptions/listen';

/** One request in flight. */
export interface RequestEntry {
  request: JsonRpcRequest;
  /** The send options it came with (per-request headers, the abort signal). */
  options: LinkSendOptions | undefined;
  /** Written to the current link (not just queued). */
  written: boolean;
  /** When it was last written (the transport's clock), for the round-trip time. */
  sentAt: number;
  /** When the client sent it (the transport's clock), for its duration in the metrics (0 without them). */
  startedAt: number;
  /** Its latest write has not settled yet: whether it reached the server is not known. */
  writing: boolean;
  /** The link it was written to died while the write was unsettled: decided when the write settles. */
  lost: LostLink | undefined;
  /** The id it travels under now: the client's, or a new one after a re-issue. */
  wireId: RequestId;
  /** How many times it was re-issued under a new id (counted against its budget). */
  reissues: number;
  /** How many re-issues went out again, unspent, because the last one got no response at all. */
  unanswered: number;
  /** How many times it was sent again under the same id after a refused delivery. */
  resends: number;
  /** Removes the abort listener, if one was added. */
  release: (() => void) | undefined;
}

/** How a link died, kept for a request whose write had not settled yet. */
export interface LostLink {
  cause: LifelineError;
  perRequestStreams: boolean;
}

export class RequestTable {
  readonly #entries = new Map<RequestId, RequestEntry>();
  /** Wire id -> client id, for re-issued requests only. */
  readonly #wire = new Map<RequestId, RequestId>();

  get size(): number {
    return this.#entries.size;
  }

  has(id: RequestId): boolean {
    return this.#entries.has(id);
  }

  get(id: RequestId): RequestEntry | undefined {
    return this.#entries.get(id);
  }

  /** The client's id for an id seen on the wire. */
  clientId(wireId: RequestId): RequestId {
    return this.#wire.size === 0 ? wireId : (this.#wire.get(wireId) ?? wireId);
  }

  /** Records a request the client is sending at `now` (queued until `markWritten`). */
  track(
    request: JsonRpcRequest,
    options: LinkSendOptions | undefined,
    now: number,
    release?: () => void,
  ): void {
    this.#entries.set(request.id, {
      request,
      options,
      written: false,
      sentAt: 0,
      startedAt: now,
      writing: false,
      lost: undefined,
      wireId: request.id,
      reissues: 0,
      unanswered: 0,
      resends: 0,
      release,
    });
  }

  /** The request went out on the current link (`wireId` as written). */
  markWritten(wireId: RequestId, now: number): RequestEntry | undefined {
    const entry = this.#entries.get(this.clientId(wireId));
    if (entry !== undefined) {
      entry.written = true;
      entry.writing = true;
      entry.sentAt = now;
    }
    return entry;
  }

  /**
   * Gives a request a new wire id (a re-issue) and returns the message to send. `spent`: the
   * re-issue counts against the request's budget (not when its last attempt got no response).
   */
  reissue(entry: RequestEntry, wireId: RequestId, spent: boolean): JsonRpcRequest {
    if (entry.wireId !== entry.request.id) this.#wire.delete(entry.wireId);
    entry.wireId = wireId;
    if (spent) entry.reissues += 1;
    else entry.unanswered += 1;
    entry.written = false;
    entry.writing = false;
    this.#wire.set(wireId, entry.request.id);
    return { ...entry.request, id: wireId };
  }

  /**
   * The write of `wireId` settled: returns its entry (no longer writing), or undefined when
   * the request was answered or re-issued under another id meanwhile.
   */
  writeSettled(wireId: RequestId): RequestEntry | undefined {
    const entry = this.#entries.get(this.clientId(wireId));
    if (entry === undefined || entry.wireId !== wireId) return undefined;
    entry.writing = false;
    return entry;
  }

  /** Removes a request (answered, failed or cancelled); returns it, or undefined if unknown. */
  settle(id: RequestId): RequestEntry | undefined {
    const entry = this.#entries.get(id);
    if (entry === undefined) return undefined;
    this.#entries.delete(id);
    if (entry.wireId !== id) this.#wire.delete(entry.wireId);
    entry.release?.();
    return entry;
  }

  /** The requests written to the current link, which it will never answer now. */
  written(): RequestEntry[] {
    const out: RequestEntry[] = [];
    for (const entry of this.#entries.values()) if (entry.written) out.push(entry);
    return out;
  }

  /** The connection closed or gave up: removes and returns every request. */
  takeAll(): RequestEntry[] {
    const all = [...this.#entries.values()];
    for (const entry of this.#entries.values()) entry.release?.();
    this.#entries.clear();
    this.#wire.clear();
    return all;
  }
}
