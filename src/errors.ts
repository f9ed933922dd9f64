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
 */

/** Every error code the runtime uses. Stable: code may depend on these strings. */
export const ErrorCode = {
  InvalidConfig: 'LIFELINE_ERR_INVALID_CONFIG',
  InvalidMessage: 'LIFELINE_ERR_INVALID_MESSAGE',
  NotStarted: 'LIFELINE_ERR_NOT_STARTED',
  Closed: 'LIFELINE_ERR_CLOSED',
  QueueFull: 'LIFELINE_ERR_QUEUE_FULL',
  RequestExpired: 'LIFELINE_ERR_REQUEST_EXPIRED',
  ConnectionLost: 'LIFELINE_ERR_CONNECTION_LOST',
  ConnectTimeout: 'LIFELINE_ERR_CONNECT_TIMEOUT',
  HeartbeatTimeout: 'LIFELINE_ERR_HEARTBEAT_TIMEOUT',
  RetriesExhausted: 'LIFELINE_ERR_RETRIES_EXHAUSTED',
  Spawn: 'LIFELINE_ERR_SPAWN',
  ProcessExit: 'LIFELINE_ERR_PROCESS_EXIT',
  Write: 'LIFELINE_ERR_WRITE',
  Parse: 'LIFELINE_ERR_PARSE',
  InvalidEnvelope: 'LIFELINE_ERR_INVALID_ENVELOPE',
  MessageTooLarge: 'LIFELINE_ERR_MESSAGE_TOO_LARGE',
  Session: 'LIFELINE_ERR_SESSION',
  LinkCrashed: 'LIFELINE_ERR_LINK_CRASHED',
  Http: 'LIFELINE_ERR_HTTP',
  Network: 'LIFELINE_ERR_NETWORK',
  ContentType: 'LIFELINE_ERR_CONTENT_TYPE',
  StreamLost: 'LIFELINE_ERR_STREAM_LOST',
  Redirect: 'LIFELINE_ERR_REDIRECT',
  EndpointOrigin: 'LIFELINE_ERR_ENDPOINT_ORIGIN',
  Fallback: 'LIFELINE_ERR_FALLBACK',
  WebSocket: 'LIFELINE_ERR_WEBSOCKET',
  Docker: 'LIFELINE_ERR_DOCKER',
  DockerEngine: 'LIFELINE_ERR_DOCKER_ENGINE',
  DockerImage: 'LIFELINE_ERR_DOCKER_IMAGE',
  DockerMissing: 'LIFELINE_ERR_DOCKER_MISSING',
  Unauthorized: 'LIFELINE_ERR_UNAUTHORIZED',
  Authorization: 'LIFELINE_ERR_AUTHORIZATION',
  ResumptionUnsupported: 'LIFELINE_ERR_RESUMPTION_UNSUPPORTED',
  Control: 'LIFELINE_ERR_CONTROL',
} as const;

/** One of the {@link ErrorCode} strings. */
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

type Codes<K extends keyof typeof ErrorCode> = (typeof ErrorCode)[K];

/** The codes of a {@link StateError}. */
export type StateErrorCode = Codes<'NotStarted' | 'Closed' | 'ConnectionLost'>;

/** The codes of a {@link CodecError}. */
export type CodecErrorCode = Codes<'Parse' | 'InvalidEnvelope' | 'MessageTooLarge'>;

/**
 * The codes a {@link LinkError} is built with. `LIFELINE_ERR_HTTP`, `_UNAUTHORIZED` and
 * `_AUTHORIZATION` belong to its subclasses ({@link HttpError}, {@link UnauthorizedError},
 * {@link AuthorizationError}), which carry more than a code. `_PARSE`, `_INVALID_ENVELOPE` and
 * `_MESSAGE_TOO_LARGE` are shared with {@link CodecError}: a link fails a request with them
 * when the request's own answer is unusable.
 */
export type LinkErrorCode = Codes<
  | 'ConnectionLost'
  | 'ConnectTimeout'
  | 'HeartbeatTimeout'
  | 'Spawn'
  | 'ProcessExit'
  | 'Write'
  | 'Parse'
  | 'InvalidEnvelope'
  | 'MessageTooLarge'
  | 'Session'
  | 'LinkCrashed'
  | 'Network'
  | 'ContentType'
  | 'StreamLost'
  | 'Redirect'
  | 'EndpointOrigin'
  | 'Fallback'
  | 'WebSocket'
  | 'Docker'
  | 'DockerEngine'
  | 'DockerImage'
  | 'DockerMissing'
>;

/** The code of a {@link LinkError} or of one of its subclasses. */
type LinkFamilyCode = LinkErrorCode | Codes<'Http' | 'Unauthorized' | 'Authorization'>;

/**
 * The JSON-RPC error code of the response the runtime synthesizes for a request that was
 * written to a link that then died (or that could never be delivered). Implementation-defined
 * server-error range; chosen apart from -32000 (which many servers use for their own failures)
 * and from the codes MCP assigns. `error.data.code` carries the `LIFELINE_ERR_*` string.
 */
export const CONNECTION_LOST_RPC_CODE = -32090;

/**
 * The JSON-RPC error code of the response synthesized for a request whose answer exceeded
 * `limits.maxMessageBytes`, or that waited in the queue past `timeouts.requestMs`.
 */
export const REQUEST_FAILED_RPC_CODE = -32091;

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

const kControlError = Symbol.for('mcp-lifeline.error.ControlError');

/**
 * The control socket cannot be used (`LIFELINE_ERR_CONTROL`): its folder is not private, no
 * agent of that pid or name runs, or an agent answered outside the protocol
 * (docs/observability.md). Publishing connections never fails a connection: a process whose
 * socket cannot be made only logs this.
 */
export class ControlError extends LifelineError {
  override name = 'ControlError';
  declare readonly code: typeof ErrorCode.Control;

  constructor(message: string, options: LifelineErrorOptions = {}) {
    super(ErrorCode.Control, message, options);
  }

  get [kControlError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kControlError);
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
 * error without its status) does not compile.
 */
function subclassCode(code: LinkFamilyCode): LinkErrorCode {
  return code as LinkErrorCode;
}

/** The SDK's cross-bundle brand registry (`@modelcontextprotocol/core` `stampErrorBrands`). */
const SDK_BRANDS = Symbol.for('mcp.sdk.errorBrands');

const kHttpError = Symbol.for('mcp-lifeline.error.HttpError');

/** What an {@link HttpError} carries, in the SDK's `SdkHttpErrorData` shape. */
export interface HttpErrorData {
  status: number;
  statusText: string | undefined;
  /** The response body as text, cut to 4 KiB. */
  text: string | undefined;
}

/**
 * The server answered an HTTP request with an error status. Branded so the SDK's
 * `instanceof SdkHttpError` matches it (v2 `auto` negotiation falls back to the legacy era
 * only on an `SdkHttpError`), with the SDK's `data: {status, statusText, text}`. 401 and 403
 * are permanent; 5xx are transient.
 */
export class HttpError extends LinkError {
  override name = 'HttpError';
  declare readonly code: typeof ErrorCode.Http;
  /** In the SDK's shape. */
  readonly data: HttpErrorData;

  constructor(message: string, data: HttpErrorData, options: LinkErrorOptions = {}) {
    super(subclassCode(ErrorCode.Http), message, options);
    this.data = data;
    Object.defineProperty(this, SDK_BRANDS, {
      value: new Set(['mcp.SdkError', 'mcp.SdkHttpError']),
      enumerable: false,
      configurable: true,
    });
  }

  /** The HTTP status code. */
  get status(): number {
    return this.data.status;
  }

  /** The HTTP status text, when the server sent one. */
  get statusText(): string | undefined {
    return this.data.statusText;
  }

  get [kHttpError](): true {
    return true;
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    return hasBrand(value, kHttpError);
  }
}

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

/** Whether a value is a lifeline error with the given code. */
export function hasErrorCode(value: unknown, code: ErrorCode): value is LifelineError {
  return value instanceof LifelineError && value.code === code;
}

/** Turns anything thrown into an Error (for `onerror`). */
export function toError(value: unknown): Error {
  return value instanceof Error ? value : new Error(String(value));
}
