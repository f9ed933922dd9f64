/**
 * The codes of the error family: every `LIFELINE_ERR_*` string (each listed in docs/errors.md),
 * the codes each class accepts, and the two JSON-RPC codes of the answers the runtime
 * synthesizes. Strings and numbers only: every other file of the family imports this one.
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

/**
 * The code of a {@link LinkError} or of one of its subclasses. Inside the family only: the
 * barrel (src/errors.ts) does not export it.
 */
export type LinkFamilyCode = LinkErrorCode | Codes<'Http' | 'Unauthorized' | 'Authorization'>;

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
