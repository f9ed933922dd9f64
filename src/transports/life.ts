/**
 * The life of one network link: live, closing, or down (reported once). Shared by the
 * Streamable HTTP, HTTP+SSE and WebSocket links.
 */

import type { AnyEventObject } from 'xstate';
import type { LinkError } from '../errors.js';

/**
 * Links reported down at most this many per event-loop turn. A shared backend that dies takes
 * every link to it down in the same turn, and each report is a burst of synchronous work (a
 * machine transition, the link actor stopped, the requests in flight failed): 1,000 of them in
 * one turn held the event loop for half a second (docs/benchmarks.md, "1,000 connections").
 */
const DOWN_PER_TURN = 16;
/** Reports waiting for a turn, oldest first. */
const waitingDown: (() => void)[] = [];

function reportSomeDown(): void {
  const now = waitingDown.splice(0, DOWN_PER_TURN);
  if (waitingDown.length > 0) setImmediate(reportSomeDown);
  for (const report of now) report();
}

export class LinkLife {
  readonly #sendBack: (event: AnyEventObject) => void;
  /** The link went down (or was shut down): nothing more is sent on it. */
  finished = false;
  /** The machine asked it to close. */
  closing = false;

  constructor(sendBack: (event: AnyEventObject) => void) {
    this.#sendBack = sendBack;
  }

  /** Whether the link still carries messages. */
  get live(): boolean {
    return !this.finished && !this.closing;
  }

  /**
   * Reports `link.down` once. It is sent after the current I/O callbacks, so the rejection of
   * an undelivered send reaches the runtime first (which keeps that message for the next
   * link) and the link's end does not fail it as lost; when many links go down at once, a
   * few per turn ({@link DOWN_PER_TURN}).
   */
  down(error: LinkError): void {
    if (!this.live) return;
    this.finished = true;
    waitingDown.push(() => this.#sendBack({ type: 'link.down', error }));
    if (waitingDown.length === 1) setImmediate(reportSomeDown);
  }
}
