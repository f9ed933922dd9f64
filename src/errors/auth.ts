/**
 * The authorization errors: {@link UnauthorizedError} (the user must sign in) and
 * {@link AuthorizationError} (the flow failed), both marked as escaping the SDK's authorization
 * seam, and {@link isUnauthorizedError}, which also knows the SDK's own class.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization
 */

import { hasBrand } from './base.js';
import { ErrorCode } from './codes.js';
import { SDK_BRANDS } from './http.js';
import { LinkError, type LinkErrorOptions, subclassCode } from './link.js';

/** The SDK's mark on an error that escaped its authorization seam (`@modelcontextprotocol/client` authSeam). */
const AUTH_SEAM_ESCAPE = Symbol.for('mcp.authSeamEscape');

/**
 * Marks an error as coming out of the authorization flow, so the SDK v2 `Client`'s version
 * negotiation passes it to the caller unchanged instead of wrapping it.
 */
export function stampAuthSeam<T extends object>(error: T): T {
  Object.defineProperty(error, AUTH_SEAM_ESCAPE, { value: true, enumerable: false, configurable: true });
  return error;
}

const kUnauthorizedError = Symbol.for('mcp-lifeline.error.UnauthorizedError');

/** Why the user must act before the server can be reached. */
export type UnauthorizedReason =
  | 'sign-in-required'
  | 'refresh-refused'
  | 'insufficient-scope'
  | 'no-provider';

/**
 * The server needs an authorization the transport cannot get by itself: the user must sign
 * in (the authorization URL was handed to the provider's `redirectToAuthorization`), then the
 * app calls `transport.finishAuth(callbackParams)` and connects again. `name` is
 * `'UnauthorizedError'` and it carries the SDK v2 brand, so both SDK `Client` versions and
 * `instanceof UnauthorizedError` of `@modelcontextprotocol/client` recognise it.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/authorization#authorization-flow-steps
 */
export class UnauthorizedError extends LinkError {
  override name = 'UnauthorizedError';
  declare readonly code: typeof ErrorCode.Unauthorized;
  /** What the user is asked to do. */
  readonly reason: UnauthorizedReason;

  constructor(
    message: string,
    reason: UnauthorizedReason = 'sign-in-required',
    options: LinkErrorOptions = {},
  ) {
    super(subclassCode(ErrorCode.Unauthorized), message, { ...options, retryable: false });
    this.reason = reason;
    Object.defineProperty(this, SDK_BRANDS, {
      value: new Set(['mcp.UnauthorizedError']),
      enumerable: false,
      configurable: true,
    });
    stampAuthSeam(this);
  }

  get [kUnauthorizedError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kUnauthorizedError);
  }
}

const kAuthorizationError = Symbol.for('mcp-lifeline.error.AuthorizationError');

/** What part of the authorization flow failed. */
export type AuthorizationErrorKind =
  | 'discovery'
  | 'resource_mismatch'
  | 'issuer_mismatch'
  | 'registration'
  | 'token'
  | 'callback'
  | 'insecure'
  | 'insufficient_scope'
  | 'refused_fresh_token';

/** Options of an {@link AuthorizationError}. */
export interface AuthorizationErrorOptions extends LinkErrorOptions {
  /** The OAuth error code the authorization server answered with (`invalid_grant`, …). */
  oauthError?: string | undefined;
}

/**
 * The authorization flow failed in a way signing in again does not fix by itself: discovery
 * found no usable metadata, an issuer or resource did not match (a possible mix-up attack),
 * registration or a token request was refused, or the server keeps refusing fresh tokens.
 */
export class AuthorizationError extends LinkError {
  override name = 'AuthorizationError';
  declare readonly code: typeof ErrorCode.Authorization;
  /** The step that failed. */
  readonly kind: AuthorizationErrorKind;
  /** The authorization server's OAuth error code, when it gave one. */
  readonly oauthError: string | undefined;

  constructor(kind: AuthorizationErrorKind, message: string, options: AuthorizationErrorOptions = {}) {
    super(subclassCode(ErrorCode.Authorization), message, options);
    this.kind = kind;
    this.oauthError = options.oauthError;
    stampAuthSeam(this);
  }

  get [kAuthorizationError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kAuthorizationError);
  }
}

/**
 * Whether an error asks the user to sign in: a lifeline {@link UnauthorizedError} (from
 * either copy of the package), or the SDK's own `UnauthorizedError` (by name or brand).
 */
export function isUnauthorizedError(error: unknown): boolean {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as { name?: unknown }).name === 'UnauthorizedError') return true;
  const brands = (error as { [SDK_BRANDS]?: unknown })[SDK_BRANDS];
  return brands instanceof Set && brands.has('mcp.UnauthorizedError');
}
