/**
 * The life of one network link: live, closing, or down (reported once). Shared by the
 * Streamable HTTP, HTTP+SSE and WebSocket links.
 */

import type { AnyEventObject } from 'xstate';
import type { LinkError } from '../errors.js';

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
   * link) and the link's end does not fail it as lost.
   */
  down(error: LinkError): void {
    if (!this.live) return;
    this.finished = true;
    setImmediate(() => this.#sendBack({ type: 'link.down', error }));
  }
}
