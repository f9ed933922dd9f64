/**
 * The errors a caller gets for what it asked of the transport itself, before anything reaches a
 * link: a configuration that does not hold, a message that is not JSON-RPC, a resumption the
 * link cannot honour, a message sent in the wrong state, a full queue.
 */

import { hasBrand, LifelineError, type LifelineErrorOptions } from './base.js';
import { ErrorCode, type StateErrorCode } from './codes.js';

const kConfigError = Symbol.for('mcp-lifeline.error.ConfigError');

/** The configuration is invalid (`LIFELINE_ERR_INVALID_CONFIG`); nothing was started. */
export class ConfigError extends LifelineError {
  override name = 'ConfigError';
  declare readonly code: typeof ErrorCode.InvalidConfig;
  /** Every problem found, one line each, naming the key and what was expected. */
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(ErrorCode.InvalidConfig, `Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.problems = problems;
  }

  get [kConfigError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kConfigError);
  }
}

const kInvalidMessageError = Symbol.for('mcp-lifeline.error.InvalidMessageError');

/** An outbound message is not a valid JSON-RPC 2.0 envelope; it never reached the wire. */
export class InvalidMessageError extends LifelineError {
  override name = 'InvalidMessageError';
  declare readonly code: typeof ErrorCode.InvalidMessage;

  constructor(reason: string) {
    super(ErrorCode.InvalidMessage, `Refusing to send an invalid JSON-RPC message: ${reason}`);
  }

  get [kInvalidMessageError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kInvalidMessageError);
  }
}

const kResumptionUnsupportedError = Symbol.for('mcp-lifeline.error.ResumptionUnsupportedError');

/**
 * `send()` got a `resumptionToken` this link cannot honour. Only Streamable HTTP in the 2025 era
 * resumes a response stream (a GET with `Last-Event-ID`); stdio, WebSocket, Docker, legacy
 * HTTP+SSE and the 2026-07-28 era have no such stream. The message is not sent: sending the
 * request afresh instead would run it a second time.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#resumability-and-redelivery
 */
export class ResumptionUnsupportedError extends LifelineError {
  override name = 'ResumptionUnsupportedError';
  declare readonly code: typeof ErrorCode.ResumptionUnsupported;

  constructor(reason: string) {
    super(ErrorCode.ResumptionUnsupported, `Cannot resume a response stream: ${reason}`);
  }

  get [kResumptionUnsupportedError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kResumptionUnsupportedError);
  }
}

const kStateError = Symbol.for('mcp-lifeline.error.StateError');

/**
 * A message was sent in a state that cannot take it (before start, after close, or failed), or
 * queued notifications were dropped because the connection closed or gave up.
 */
export class StateError extends LifelineError {
  override name = 'StateError';
  declare readonly code: StateErrorCode;

  /** Takes only a StateError's codes. */
  constructor(code: StateErrorCode, message: string, options: LifelineErrorOptions = {}) {
    super(code, message, options);
  }

  get [kStateError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kStateError);
  }
}

const kQueueFullError = Symbol.for('mcp-lifeline.error.QueueFullError');

/** The outbound queue is full (by count or bytes) while the link is down. */
export class QueueFullError extends LifelineError {
  override name = 'QueueFullError';
  declare readonly code: typeof ErrorCode.QueueFull;

  constructor(limit: string) {
    super(ErrorCode.QueueFull, `Outbound queue full (${limit}); message rejected while the link is down`, {
      retryable: true,
    });
  }

  get [kQueueFullError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kQueueFullError);
  }
}
