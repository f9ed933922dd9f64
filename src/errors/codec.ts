/**
 * The codec's error: a message rejected while framing or parsing it. Its codes are shared with
 * {@link LinkError}, which fails a request with them when the request's own answer is unusable.
 */

import { hasBrand, LifelineError, type LifelineErrorOptions } from './base.js';
import type { CodecErrorCode } from './codes.js';

const kCodecError = Symbol.for('mcp-lifeline.error.CodecError');

/** A message in the codec was rejected: bad JSON, a broken envelope, or over the size limit. */
export class CodecError extends LifelineError {
  override name = 'CodecError';
  declare readonly code: CodecErrorCode;

  /** Takes only a CodecError's codes. */
  constructor(code: CodecErrorCode, message: string, options: LifelineErrorOptions = {}) {
    super(code, message, options);
  }

  get [kCodecError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kCodecError);
  }
}
