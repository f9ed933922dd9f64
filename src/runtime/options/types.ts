/**
 * The types of a transport's configuration: what `createTransport()` accepts (one shape per
 * transport type, sharing the common options) and what `resolveConfig()` makes of it. They sit
 * below every other file of the room (keys, checks and resolvers import them; they import none
 * of those), so the room has no import circle.
 */

import type { InspectionEvent, Observer } from 'xstate';
import type { AnyAuthProvider, OAuthOptions } from '../../auth/types.js';
import type { ConnectionPolicy, HeartbeatPolicy, ReconnectPolicy } from '../../machines/policy.js';
import type { ControlOptions, ResolvedControl } from '../../observe/control/options.js';
import type { JournalOptions, ResolvedJournal } from '../../observe/journal/options.js';
import type { DockerLinkOptions } from '../../transports/docker/link.js';
import type { RedirectPolicy } from '../../transports/http/client.js';
import type { HttpMode } from '../../transports/http/family.js';
import type { StderrMode } from '../../transports/stdio/link.js';
import type { Logger } from '../logger.js';

/**
 * A clock: real time by default; XState's `SimulatedClock` fits, so tests can drive every
 * timer of the machine and the runtime together.
 */
export interface Clock {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(id: unknown): void;
  /** Current time in ms; `Date.now` when absent. */
  now?(): number;
}

/** Outbound queue bounds (messages wait here while the link is down). */
export interface QueuePolicy {
  /** Most messages waiting at once. Default 1000. */
  maxMessages: number;
  /** Most bytes (serialized) waiting at once. Default 16 MiB. */
  maxBytes: number;
}

/** Size limits. */
export interface LimitsPolicy {
  /** Largest inbound message accepted, in bytes. Default 16 MiB (the SDK stops at 10 MiB). */
  maxMessageBytes: number;
}

/** Options every transport type shares. */
export interface CommonConfig {
  reconnect?: Partial<ReconnectPolicy>;
  timeouts?: { connectMs?: number; closeMs?: number; requestMs?: number };
  heartbeat?: Partial<HeartbeatPolicy>;
  queue?: Partial<QueuePolicy>;
  limits?: Partial<LimitsPolicy>;
  /** An XState inspection observer (e.g. from `@statelyai/inspect`), passed to the actor. */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Receives lifecycle events and diagnostics, secrets redacted. Any object with these four methods (pino works). */
  logger?: Logger;
  /** The clock for timers (XState's `SimulatedClock` in tests). Default: real time. */
  clock?: Clock;
  /** A seed for the backoff jitter, to make delays reproducible. Default: random. */
  seed?: number;
  /** The name logs and errors use for this connection. Default: the command, or the URL's host (a supervisor passes the server's name). */
  name?: string;
  /**
   * The connection's journal (docs/observability.md): entries kept in memory (default 256), and
   * an optional JSON-lines file rotated by size. `false` turns it off.
   */
  journal?: JournalOptions | false;
  /**
   * Publish this connection on the process's control socket, for `lifeline status` and `watch`
   * (docs/observability.md). Default: off, unless `LIFELINE_CONTROL=1`.
   */
  control?: boolean | ControlOptions;
}

/** A server started as a child process speaking NDJSON over stdin/stdout. */
export interface StdioConfig extends CommonConfig {
  /** May be omitted when `command` is present. */
  type?: 'stdio';
  command: string;
  args?: readonly string[];
  /** Extra environment variables. Values are secrets: never logged. */
  env?: Readonly<Record<string, string>>;
  /** Give the child this process's whole environment. Default false: only HOME, LOGNAME, PATH, SHELL, TERM, USER. */
  inheritEnv?: boolean;
  cwd?: string;
  /**
   * The server's stderr, always drained: `'diagnostics'` (default; each line goes to the
   * logger at debug level), `'pipe'` (readable as `transport.stderr`), `'ignore'`, `'inherit'`.
   */
  stderr?: StderrMode;
}

/** A server reached over HTTP: Streamable HTTP (either era), or legacy HTTP+SSE. */
export interface HttpConfig extends CommonConfig, HttpConfigFields {}

/** A server reached over WebSocket (not an MCP spec transport; SEP-1288's framing). */
export interface WsConfig extends CommonConfig, WsConfigFields {}

/** A server in a container on a Docker Engine, run by the transport. */
export interface DockerConfig extends CommonConfig, DockerConfigFields {}

/** What `createTransport()` accepts. */
export type TransportConfig = StdioConfig | HttpConfig | WsConfig | DockerConfig;

/** The resolved stdio part of a configuration. */
export interface ResolvedStdio {
  command: string;
  args: readonly string[];
  env: Readonly<Record<string, string>>;
  inheritEnv: boolean;
  cwd: string | undefined;
  stderr: StderrMode;
}

/** The configuration after defaults and validation. */
export interface ResolvedConfig {
  type: 'stdio' | 'http' | 'ws' | 'docker';
  /** Set when `type` is `stdio`. */
  stdio: ResolvedStdio | undefined;
  /** Set when `type` is `http` (Streamable HTTP, HTTP+SSE, or the automatic choice). */
  http: ResolvedHttp | undefined;
  /** Set when `type` is `ws`. */
  ws: ResolvedEndpoint | undefined;
  /** Set when `type` is `docker` (given, or lifted from `docker run -i …`). */
  docker: ResolvedDocker | undefined;
  /** A short name for logs: the command, or the URL's host. */
  name: string;
  policy: ConnectionPolicy;
  queue: QueuePolicy;
  limits: LimitsPolicy;
  /** Strings that must never appear in logs or errors (env values). */
  secrets: readonly string[];
  /** The journal's settings; undefined when it is off. */
  journal: ResolvedJournal | undefined;
  /** Set when the connection is published on the control socket. */
  control: ResolvedControl | undefined;
}

/** The URL, headers and credential checks every remote transport shares. */
export interface EndpointFields {
  url: string | URL;
  headers?: Readonly<Record<string, string>>;
  allowInsecure?: boolean;
  authProvider?: AnyAuthProvider;
  oauth?: OAuthOptions;
}

/** A server reached over HTTP: Streamable HTTP (either era) or legacy HTTP+SSE. */
export interface HttpConfigFields extends EndpointFields {
  /**
   * `http` forces Streamable HTTP, `sse` the legacy HTTP+SSE transport. Omitted: Streamable
   * HTTP, falling back to HTTP+SSE when the server speaks only that.
   */
  type?: 'http' | 'sse';
  /** The MCP endpoint (Streamable HTTP) or the SSE URL (HTTP+SSE). */
  url: string | URL;
  /** Headers sent with every request (e.g. `Authorization`). Values are secrets: never logged. */
  headers?: Readonly<Record<string, string>>;
  /**
   * MCP authorization: the SDK's `OAuthClientProvider` (v1 or v2) or v2's `AuthProvider`,
   * as the SDK transports take it. Not together with an `Authorization` header.
   */
  authProvider?: AnyAuthProvider;
  /** Options of the OAuth flow (with an `OAuthClientProvider`). */
  oauth?: OAuthOptions;
  /**
   * Allow credentials (configured headers, a user or password in the URL) over plain `http:`
   * to a host other than loopback. Default false: such a configuration is refused.
   */
  allowInsecure?: boolean;
  /**
   * Redirects: `same-origin` (default) follows those that stay on the URL's origin; `follow`
   * also follows those to another origin, without the configured headers; `error` follows none.
   */
  redirect?: RedirectPolicy;
}

/** A server reached over WebSocket (subprotocol `mcp`, one message per text frame). */
export interface WsConfigFields extends EndpointFields {
  /** May be omitted when `url` is a `ws:` or `wss:` URL. */
  type?: 'ws';
  /** The server's WebSocket endpoint, `ws://` or `wss://`. */
  url: string | URL;
  /** Headers sent with the upgrade request (e.g. `Authorization`). Values are secrets: never logged. */
  headers?: Readonly<Record<string, string>>;
  /** Allow credentials over plain `ws:` to a host other than loopback. Default false. */
  allowInsecure?: boolean;
}

/** An `authProvider` and its options, checked. */
export interface ResolvedAuth {
  provider: AnyAuthProvider;
  oauth: OAuthOptions;
  /** The transport's `allowInsecure`, which also covers the authorization server's endpoints. */
  allowInsecure: boolean;
}

/** A checked endpoint: the URL and the headers (lower-case names, Basic auth from the URL's userinfo). */
export interface ResolvedEndpoint {
  url: URL;
  headers: Readonly<Record<string, string>>;
  /** Set when an `authProvider` is configured. */
  auth?: ResolvedAuth | undefined;
}

/** The resolved HTTP part of a configuration. */
export interface ResolvedHttp {
  mode: HttpMode;
  url: URL;
  /** Lower-case names. */
  headers: Readonly<Record<string, string>>;
  redirect: RedirectPolicy;
  /** Set when an `authProvider` is configured. */
  auth?: ResolvedAuth | undefined;
}

/** How to reach the engine, and what to add to the container. */
export interface DockerEngineFields {
  /** The engine's unix socket. Default: `DOCKER_HOST` when set, else `/var/run/docker.sock`. */
  socketPath?: string;
  /** An engine over TCP, e.g. `tcp://10.0.0.2:2375` (default: `DOCKER_HOST`). */
  host?: string;
  /** CPUs the container may use (`--cpus`), e.g. `1.5`. Default: no limit. */
  cpus?: number;
  /** Memory the container may use, in bytes (`--memory`). Default: no limit. */
  memoryBytes?: number;
  /** Run an init process as PID 1 (`--init`): signals reach the server, zombies are reaped. Default true. */
  init?: boolean;
  /** `no-new-privileges` (setuid binaries cannot raise privileges). Default true. */
  noNewPrivileges?: boolean;
  /** Pull a missing image: `missing` (default) or `never`. */
  pull?: 'missing' | 'never';
  /** Extra fields for the engine's container-create body (`HostConfig` merged), applied last. */
  create?: Readonly<Record<string, unknown>>;
}

/** A server in a container, run by the transport (create, attach, start; stop and remove). */
export interface DockerConfigFields {
  type: 'docker';
  /** The image, e.g. `mcp/fetch:latest`. */
  image: string;
  /** The command after the image (the container's `Cmd`). Default: the image's own. */
  args?: readonly string[];
  /** Environment variables. Values are secrets: they go in by environment, never on a command line or in a label. */
  env?: Readonly<Record<string, string>>;
  /** Bind mounts, `host:container` or `host:container:ro`. */
  volumes?: readonly string[];
  /** Published ports, `host:container` (TCP). */
  ports?: readonly string[];
  /** The network (`none`, `host`, a network name). Default: the engine's default. */
  network?: string;
  /** The server's stderr: `diagnostics` (default: each line to the logger at debug) or `ignore`. */
  stderr?: 'diagnostics' | 'ignore';
  docker?: DockerEngineFields;
}

/** The resolved Docker part of a configuration: the Docker link's options but the runtime's own. */
export type ResolvedDocker = Omit<DockerLinkOptions, 'maxMessageBytes' | 'name'>;
