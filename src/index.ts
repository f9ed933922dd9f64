/**
 * mcp-lifeline: supervised, self-healing MCP transports on XState v5.
 *
 * @packageDocumentation
 */

export type {
  AnyAuthProvider,
  AuthProviderLike,
  ClientInformationLike,
  ClientMetadataLike,
  DiscoveryStateLike,
  OAuthClientProviderLike,
  OAuthOptions,
  OAuthTokensLike,
} from './auth/index.js';
export type { JsonRpcMessage, JsonRpcRequest, JsonRpcResponse, RequestId } from './codec/jsonrpc.js';
export {
  ConfigFileError,
  configCandidates,
  findConfigFile,
  type LoadedConfig,
  type LoadOptions,
  type LocateOptions,
  loadConfigFile,
  type OAuthBlock,
  type OAuthGrant,
  parseConfig,
  type ServerEntry,
  type ServerPolicy,
  type ServerType,
} from './config/index.js';
export {
  AuthorizationError,
  type AuthorizationErrorKind,
  type AuthorizationErrorOptions,
  CONNECTION_LOST_RPC_CODE,
  CodecError,
  type CodecErrorCode,
  ConfigError,
  ControlError,
  ErrorCode,
  HttpError,
  type HttpErrorData,
  InvalidMessageError,
  isUnauthorizedError,
  LifelineError,
  type LifelineErrorOptions,
  LinkError,
  type LinkErrorCode,
  type LinkErrorOptions,
  QueueFullError,
  REQUEST_FAILED_RPC_CODE,
  ResumptionUnsupportedError,
  StateError,
  type StateErrorCode,
  UnauthorizedError,
  type UnauthorizedReason,
} from './errors.js';
export type { Diagnostic, LinkHandle, LinkLogic, LinkSendOptions, LinkSink } from './link/contract.js';
export {
  type ConnectionContext,
  type ConnectionEvent,
  type ConnectionInput,
  type ConnectionMachine,
  type ConnectionState,
  connectionMachine,
  type ProtocolEra,
} from './machines/connection.js';
export {
  backoffDelay,
  type ConnectionPolicy,
  DEFAULT_POLICY,
  type HeartbeatPolicy,
  type ReconnectPolicy,
  type TimeoutPolicy,
} from './machines/policy.js';
export {
  type AgentInfo,
  attachAgent,
  ControlClient,
  type ControlClientOptions,
  findAgents,
  listAgents,
  readAgents,
} from './observe/control/client.js';
export { CONTROL_ENV, type ControlOptions } from './observe/control/options.js';
export { controlDir } from './observe/control/paths.js';
export {
  type AgentStatus,
  CONTROL_PROTOCOL,
  CONTROL_VERSION,
  type ConnectionSnapshot,
  type ControlEvent,
  type Hello,
} from './observe/control/protocol.js';
export { controlSocketPath } from './observe/control/server.js';
export type {
  AttemptEntry,
  ErrorEntry,
  HeartbeatEntry,
  JournalEntry,
  JournalError,
  JournalRecord,
  SessionEntry,
  StateEntry,
} from './observe/journal/entry.js';
export type { ConnectionJournal } from './observe/journal/journal.js';
export type { JournalOptions } from './observe/journal/options.js';
export type { Logger } from './runtime/logger.js';
export type {
  Clock,
  CommonConfig,
  DockerConfig,
  HttpConfig,
  LimitsPolicy,
  QueuePolicy,
  StdioConfig,
  TransportConfig,
  WsConfig,
} from './runtime/options/resolve.js';
export {
  type ActorHost,
  createTransport,
  type LifecycleStatus,
  LifelineTransport,
  type SendOptions,
  type TransportStats,
} from './runtime/transport.js';
export {
  createSupervisor,
  type ServerStatus,
  type ServerSummary,
  Supervisor,
  type SupervisorCloseReport,
  type SupervisorConfig,
  type SupervisorContext,
  type SupervisorDefaults,
  type SupervisorEvent,
  type SupervisorMachine,
  serverSystemId,
  supervisorMachine,
} from './supervisor/index.js';
export type { RedirectPolicy } from './transports/http/client.js';
export { forgetVerdicts } from './transports/http/verdicts.js';
export type { StderrMode } from './transports/stdio/link.js';
