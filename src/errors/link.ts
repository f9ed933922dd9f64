/**
 * The link's error: {@link LinkError}, what a link actor fails with, and the door its
 * subclasses (src/errors/http.ts, src/errors/auth.ts) pass their own codes through.
 */

import { hasBrand, LifelineError, type LifelineErrorOptions } from './base.js';
import type { LinkErrorCode, LinkFamilyCode } from './codes.js';

/** Options of a {@link LinkError}. */
export interface LinkErrorOptions extends LifelineErrorOptions {
  /**
   * The message that failed certainly never reached the server (connection refused, an
   * expired session): the runtime keeps it for the next link instead of failing it.
   */
  undelivered?: boolean;
}

const kLinkError = Symbol.for('mcp-lifeline.error.LinkError');

/**
 * The link failed. Produced by the link actors; `retryable` says whether a new attempt can
 * help (a missing command, a 401 or a missing image cannot).
 */
export class LinkError extends LifelineError {
  override name = 'LinkError';
  declare readonly code: LinkFamilyCode;
  /** The failed message certainly never reached the server; it can be sent again as it is. */
  readonly undelivered: boolean;

  constructor(code: LinkErrorCode, message: string, options: LinkErrorOptions = {}) {
    super(code, message, options);
    this.undelivered = options.undelivered ?? false;
  }

  get [kLinkError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kLinkError);
  }
}

/**
 * A subclass's own code, handed through the {@link LinkError} constructor, whose parameter
 * lists only a bare `LinkError`'s codes so that `new LinkError(ErrorCode.Http, …)` (an HTTP
 * error without its status) does not compile. Inside the family only: the barrel
 * (src/errors.ts) does not export it.
 */
export function subclassCode(code: LinkFamilyCode): LinkErrorCode {
  return code as LinkErrorCode;
}
