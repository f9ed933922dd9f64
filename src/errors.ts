/**
 * The error family of mcp-lifeline.
 *
 * Every error the runtime raises or reports is a {@link LifelineError} with a stable string
 * `code` (`LIFELINE_ERR_*`), listed in docs/errors.md. Each class is branded with its own
 * `Symbol.for('mcp-lifeline.error.<Name>')` key and tests `instanceof` by that brand alone (the
 * undici habit), so errors from two copies of the package match and a minifier that renames the
 * classes changes nothing. Each subclass's constructor takes only the codes it owns; the base
 * class takes any (it is raised itself for `LIFELINE_ERR_RETRIES_EXHAUSTED`).
 *
 * These are local errors. Protocol errors (numeric JSON-RPC codes) travel inside JSON-RPC
 * error responses; the one the runtime synthesizes itself is {@link CONNECTION_LOST_RPC_CODE}.
 *
 * This file is the family's one import path; the classes live in src/errors/, one file per
 * concern: codes.ts (the codes and the JSON-RPC codes), base.ts (the brand and the base class),
 * caller.ts (config, message, resumption, state and queue errors), codec.ts, control.ts, link.ts,
 * http.ts (with the SDK's brands) and auth.ts.
 */

export {
  AuthorizationError,
  type AuthorizationErrorKind,
  type AuthorizationErrorOptions,
  isUnauthorizedError,
  stampAuthSeam,
  UnauthorizedError,
  type UnauthorizedReason,
} from './errors/auth.js';
export { hasBrand, hasErrorCode, LifelineError, type LifelineErrorOptions, toError } from './errors/base.js';
export {
  ConfigError,
  InvalidMessageError,
  QueueFullError,
  ResumptionUnsupportedError,
  StateError,
} from './errors/caller.js';
export { CodecError } from './errors/codec.js';
export {
  CONNECTION_LOST_RPC_CODE,
  type CodecErrorCode,
  ErrorCode,
  type LinkErrorCode,
  REQUEST_FAILED_RPC_CODE,
  type StateErrorCode,
} from './errors/codes.js';
export { ControlError } from './errors/control.js';
export { HttpError, type HttpErrorData } from './errors/http.js';
export { LinkError, type LinkErrorOptions } from './errors/link.js';
