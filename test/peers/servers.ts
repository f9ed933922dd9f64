// The real MCP servers tests can run against: the everything server, our v1/v2 SDK fixtures
// (test/fixtures/http-*.mjs over HTTP, test/fixtures/ws-server.mjs over WebSocket) and supergateway in front
// of a stdio server (Streamable HTTP or WebSocket).

import { pathToFileURL } from 'node:url';
import { everythingServerPath, fixturePath } from '../helpers/processes.js';
import { type ChildPeer, launch } from './peer.js';

const everything = 'node_modules/@modelcontextprotocol/server-everything/dist/index.js';
const supergateway = 'node_modules/supergateway/dist/index.js';

/** Our fixtures print `<name>: listening on http://127.0.0.1:<port> pid=<pid>`. */
const fixtureReady = (port: number) => `listening on http://127.0.0.1:${port} `;

/**
 * `node` arguments that make a server exit when its stdin pipe ends, i.e. when the test process dies
 * without stopping it. Not for supergateway: it already shuts down (with its children) on stdin close.
 */
const watchdog = ['--import', pathToFileURL(fixturePath('http-watchdog.mjs')).href];

/**
 * `@modelcontextprotocol/server-everything` (legacy era only) on all interfaces.
 * - `streamableHttp`: stateful on `/mcp`, SSE replies with priming event ids (an event store is always
 *   on); an unknown Mcp-Session-Id gets 400 (not the spec's 404).
 * - `sse`: `GET /sse` sends `endpoint` `/message?sessionId=...`; a POST to `/sse` gets 404 (HTML), and a
 *   POST to `/message` with an unknown session id is never answered.
 */
export function startEverything(mode: 'streamableHttp' | 'sse'): Promise<ChildPeer> {
  return launch({
    name: `server-everything ${mode}`,
    path: mode === 'sse' ? '/sse' : '/mcp',
    args: () => [...watchdog, everything, mode],
    readyText: (port) => (mode === 'sse' ? `Server is running on port ${port}` : `listening on port ${port}`),
  });
}

export interface V2HttpOptions {
  /** How 2025-era traffic is served: statelessly (the default) or refused with -32022. */
  legacy?: 'stateless' | 'reject';
  /** Response shape of modern requests: JSON unless the handler streams (`auto`, default), always SSE, never SSE. */
  responseMode?: 'auto' | 'sse' | 'json';
}

/**
 * test/fixtures/http-v2-server.mjs: the v2 SDK's `createMcpHandler` (both eras, no sessions) on `/mcp`.
 * GET and DELETE get 405; an Mcp-Session-Id header is ignored (any value is served).
 */
export function startV2Http(options: V2HttpOptions = {}): Promise<ChildPeer> {
  const env: Record<string, string> = {};
  if (options.legacy !== undefined) env.FIXTURE_LEGACY = options.legacy;
  if (options.responseMode !== undefined) env.FIXTURE_RESPONSE_MODE = options.responseMode;
  return launch({
    name: `http-v2-server ${JSON.stringify(options)}`,
    path: '/mcp',
    args: () => [...watchdog, fixturePath('http-v2-server.mjs')],
    env: () => env,
    readyText: fixtureReady,
  });
}

export interface LegacyStatefulOptions {
  /** Resumability: SSE replies carry event ids (and a priming event for 2025-11-25 clients). */
  eventStore?: boolean;
  /** The priming event's `retry:` milliseconds (with `eventStore`). */
  retryMs?: number;
  /** Answer requests with one JSON body instead of an SSE stream. */
  jsonResponse?: boolean;
}

/**
 * test/fixtures/http-legacy-server.mjs: the v1 SDK's stateful `StreamableHTTPServerTransport` on `/mcp`,
 * one session per initialize; an unknown Mcp-Session-Id gets 404 (-32001 "Session not found").
 * Tool `drop {ms}` closes its own SSE response stream mid-request.
 */
export function startLegacyStateful(options: LegacyStatefulOptions = {}): Promise<ChildPeer> {
  const env: Record<string, string> = {};
  if (options.eventStore === true) env.FIXTURE_EVENT_STORE = '1';
  if (options.retryMs !== undefined) env.FIXTURE_RETRY_MS = String(options.retryMs);
  if (options.jsonResponse === true) env.FIXTURE_JSON_RESPONSE = '1';
  return launch({
    name: `http-legacy-server ${JSON.stringify(options)}`,
    path: '/mcp',
    args: () => [...watchdog, fixturePath('http-legacy-server.mjs')],
    env: () => env,
    readyText: fixtureReady,
  });
}

/**
 * test/fixtures/http-sse-server.mjs: the v1 SDK's `SSEServerTransport` (HTTP+SSE, 2024-11-05).
 * `GET /sse` opens a session; its messages go to `POST /message?sessionId=...` (unknown id: 404).
 */
export function startLegacySse(): Promise<ChildPeer> {
  return launch({
    name: 'http-sse-server',
    path: '/sse',
    args: () => [...watchdog, fixturePath('http-sse-server.mjs')],
    readyText: fixtureReady,
  });
}

export interface WsFixtureOptions {
  /** Upgrades without `Authorization: Bearer <auth>` get 401 (plain text `unauthorized`). */
  auth?: string;
  /**
   * The subprotocol in the 101: `mcp` (the default; an upgrade not offering `mcp` gets 400), `none` (never
   * one, whatever was offered) or `other` (always `other`, offered or not).
   */
  protocol?: 'mcp' | 'none' | 'other';
}

/**
 * test/fixtures/ws-server.mjs: the v1 SDK's low-level `Server` over WebSocket (SEP-1288) on
 * `ws://127.0.0.1:<port>/ws`, one Server per connection, one JSON-RPC message per text frame. Another path
 * gets 404 on upgrade. A non-JSON text frame is answered with -32700 (id null) and the connection stays
 * open; a binary frame from the client closes it with 1003. Tools: the HTTP fixtures' set (`sleep {notify:
 * true}` sends a log notification first) plus `misbehave {kind: 'binary' | 'garbage' | 'oversize' |
 * 'silence', bytes?}`; `stats` returns {pid, connections, connectionsTotal, initializeCount, pingsReceived}.
 */
export function startWsFixture(options: WsFixtureOptions = {}): Promise<ChildPeer> {
  const env: Record<string, string> = {};
  if (options.auth !== undefined) env.FIXTURE_WS_AUTH = options.auth;
  if (options.protocol !== undefined) env.FIXTURE_WS_PROTOCOL = options.protocol;
  return launch({
    name: `ws-server ${JSON.stringify(options)}`,
    scheme: 'ws',
    path: '/ws',
    args: () => [...watchdog, fixturePath('ws-server.mjs')],
    env: () => env,
    readyText: fixtureReady,
  });
}

export interface SupergatewayOptions {
  /** How the gateway serves: Streamable HTTP on `/mcp` (the default) or WebSocket on `/message`. */
  outputTransport?: 'streamableHttp' | 'ws';
  /**
   * Streamable HTTP only: keep legacy sessions (one stdio child per session) instead of a stdio child per
   * POST (the default).
   */
  stateful?: boolean;
  /**
   * The stdio server behind the gateway: `legacy` test/fixtures/stdio-server.mjs (the default; every tool
   * of the HTTP fixtures), `dual-era` test/fixtures/dual-era-server.mjs (v2 SDK, echo and sleep only) or
   * `everything` `@modelcontextprotocol/server-everything stdio`.
   */
  stdio?: 'legacy' | 'dual-era' | 'everything';
}

/** The shell command supergateway runs for `stdio`. */
function stdioCommand(stdio: SupergatewayOptions['stdio']): string {
  const node = JSON.stringify(process.execPath);
  if (stdio === 'everything') return `${node} ${JSON.stringify(everythingServerPath())} stdio`;
  const script = fixturePath(stdio === 'dual-era' ? 'dual-era-server.mjs' : 'stdio-server.mjs');
  return `${node} ${JSON.stringify(script)}`;
}

/**
 * supergateway 4.0.0 in front of a stdio server, on all interfaces.
 *
 * `outputTransport: 'streamableHttp'` (the default), on `/mcp`:
 * - stateless: a fresh stdio child per POST (auto-initialized for non-initialize requests), no session
 *   ids, GET/DELETE 405.
 * - stateful: one stdio child per session; an unknown Mcp-Session-Id gets 404.
 * Modern (2026-07-28) requests are relayed to a stdio child in both modes, so the era is the stdio
 * server's: the legacy fixture answers `server/discover` with 404 + -32601 (a v2 `auto` client then falls
 * back to legacy), the dual-era fixture with a DiscoverResult.
 *
 * `outputTransport: 'ws'`, on `ws://127.0.0.1:<port>/message` (another path: 400 on upgrade): ONE stdio
 * child, started with the gateway and shared by every connection (its exit, say the `crash` tool, ends the
 * gateway). The first offered subprotocol is echoed (no check that it is `mcp`); no offer, no subprotocol.
 * A request id is rewritten to `<connection uuid>:<id>` on the way to the child and parsed back with
 * parseInt, so only integer ids survive: a string id comes back as a number if it starts with digits
 * (`"7"` → 7) and as null otherwise. Messages without an id from the child (notifications) and requests
 * from the child go to EVERY connection. A binary frame is parsed like a text frame; a frame that is not
 * JSON is dropped without an answer. Replies are text frames.
 */
export function startSupergateway(options: SupergatewayOptions = {}): Promise<ChildPeer> {
  const ws = options.outputTransport === 'ws';
  return launch({
    name: `supergateway ${JSON.stringify(options)}`,
    ...(ws ? { scheme: 'ws', path: '/message' } : { path: '/mcp' }),
    args: (port) => [
      supergateway,
      '--stdio',
      stdioCommand(options.stdio),
      '--outputTransport',
      ws ? 'ws' : 'streamableHttp',
      '--port',
      String(port),
      ...(!ws && options.stateful === true ? ['--stateful'] : []),
    ],
    readyText: (port) => `Listening on port ${port}`,
  });
}
