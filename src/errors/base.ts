/**
 * The base of the error family: the brand test every class uses, {@link LifelineError} with its
 * options, and the two helpers that look at any thrown value.
 */

import type { ErrorCode } from './codes.js';

/**
 * Whether `value` carries `brand`: the getter every instance of the branded class (and of its
 * subclasses, through the prototype chain) has, whichever copy of the package made it.
 */
export function hasBrand(value: unknown, brand: symbol): boolean {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[brand] === true;
}

const kLifelineError = Symbol.for('mcp-lifeline.error.LifelineError');

/** Options every lifeline error takes. */
export interface LifelineErrorOptions {
  /** The underlying error, when there is one. */
  cause?: unknown;
  /** Whether trying again (a new attempt, a new process) can help. */
  retryable?: boolean;
  /**
   * How long to wait before the next attempt, when the peer said so (an SSE `retry:` field,
   * a `Retry-After` header) or when no wait is needed (0: a session to re-establish). Overrides
   * the backoff for that one retry.
   */
  retryAfterMs?: number;
}

/** The base class of every error mcp-lifeline raises. */
export class LifelineError extends Error {
  override name = 'LifelineError';
  /** The stable `LIFELINE_ERR_*` code. */
  readonly code: ErrorCode;
  /** Whether trying again (a new attempt, a new process) can help. */
  readonly retryable: boolean;
  /** The wait the peer asked for before the next attempt, if any (see {@link LifelineErrorOptions}). */
  readonly retryAfterMs: number | undefined;

  constructor(code: ErrorCode, message: string, options: LifelineErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.retryable = options.retryable ?? false;
    this.retryAfterMs = options.retryAfterMs;
  }

  get [kLifelineError](): true {
    return true;
  }

  /** Branded: an error from another copy of the package matches too (see {@link hasBrand}). */
  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kLifelineError);
  }

  /** A plain object for logs and snapshots: name, code, message, retryable. */
  toJSON(): { name: string; code: ErrorCode; message: string; retryable: boolean } {
    return { name: this.name, code: this.code, message: this.message, retryable: this.retryable };
  }
}

/** Whether a value is a lifeline error with the given code. */
export function hasErrorCode(value: unknown, code: ErrorCode): value is LifelineError {
  return value instanceof LifelineError && value.code === code;
}

/** Turns anything thrown into an Error (for `onerror`). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
