// The MCP server behind the test authorization server: the official v2 SDK (`createMcpHandler`, both eras,
// no sessions) on a plain node:http server at http://127.0.0.1:<port>/mcp, in this process, guarded by the
// SDK's `requireBearerAuth` with a jose verifier (token-verifier.ts). It serves its protected resource
// metadata (RFC 9728) naming the authorization server, counts what it sees, and can be stopped and started
// again on the same port to play a server restart.

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { toNodeHandler } from '@modelcontextprotocol/node';
import {
  type AuthInfo,
  createMcpHandler,
  fromJsonSchema,
  McpServer,
  requireBearerAuth,
  requireScopes,
} from '@modelcontextprotocol/server';
import { createJwtVerifier, type RefusalReason } from './token-verifier.js';

/** The scope the `admin` tool needs on top of the base scopes (for step-up tests). */
export const ADMIN_SCOPE = 'mcp:admin';

export interface McpResourceServerOptions {
  /** Where tokens come from. An `AuthServer` also learns this server's resource and scopes (addResource). */
  authServer: {
    issuer: string;
    jwksUri: string;
    addResource?: (resource: string, scopes?: readonly string[]) => void;
  };
  /** The MCP endpoint path (default `/mcp`); the resource identifier is the endpoint URL. */
  path?: string;
  /** Scopes every request needs, named in the 401 challenge's `scope` (default `['mcp:tools']`). */
  requiredScopes?: readonly string[];
  /** Where the metadata is: RFC 9728's path-aware URL (default) or the root well-known URL. */
  metadataAt?: 'path' | 'root';
  /** Whether the 401 challenge names the metadata URL (`resource_metadata`, default true). */
  challengeMetadata?: boolean;
  /** How 2025-era requests are served (default `stateless`). */
  legacy?: 'stateless' | 'reject';
  /** A fixed port (default: a free one, kept across restarts). */
  port?: number;
}

/** What the server saw since it was created (restarts do not reset it). */
export interface ResourceServerStats {
  /** Every HTTP request, metadata included. */
  requests: number;
  /** Requests to the MCP endpoint. */
  mcpRequests: number;
  /** Protected resource metadata documents served. */
  metadataRequests: number;
  /** MCP requests whose token was accepted. */
  authorized: number;
  /** 401 answers. */
  unauthorized: number;
  /** 403 answers (insufficient_scope). */
  forbidden: number;
  /** Refusals by reason. */
  refusals: Partial<Record<RefusalReason, number>>;
  /** Accepted requests by the token's `client_id`. */
  clients: Record<string, number>;
  /** JSON-RPC methods of accepted POSTs. */
  methods: Record<string, number>;
  /** Times it started listening (1 + restarts). */
  starts: number;
}

export interface McpResourceServer {
  /** The MCP endpoint, e.g. `http://127.0.0.1:<port>/mcp`; also its resource identifier (RFC 8707). */
  readonly url: string;
  /** Same as `url`: the `resource` of its metadata and the `aud` its tokens need. */
  readonly resource: string;
  /** Where its protected resource metadata is served. */
  readonly resourceMetadataUrl: string;
  readonly port: number;
  /** Whether it is listening. */
  readonly running: boolean;
  stats(): ResourceServerStats;
  /** Stops listening and cuts every connection, in-flight calls included (a crash, as far as clients see). */
  stop(): Promise<void>;
  /** Listens again on the same port with fresh server state. */
  start(): Promise<void>;
  /** `stop()`, wait `downMs` (default 0), `start()`. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops for good (idempotent); `start()` and `restart()` reject afterwards. */
  close(): Promise<void>;
}

const text = (t: string) => ({ content: [{ type: 'text' as const, text: t }] });

const echoSchema = fromJsonSchema<{ message: string }>({
  type: 'object',
  properties: { message: { type: 'string' } },
  required: ['message'],
});
const sleepSchema = fromJsonSchema<{ ms: number }>({
  type: 'object',
  properties: { ms: { type: 'number', minimum: 0 } },
  required: ['ms'],
});
const emptySchema = fromJsonSchema<Record<string, never>>({ type: 'object', properties: {} });

/** What `whoami` and `admin` tell about the caller's token (never the token itself). */
function caller(authInfo: AuthInfo | undefined) {
  return {
    clientId: authInfo?.clientId,
    scopes: authInfo?.scopes,
    expiresAt: authInfo?.expiresAt,
    sub: authInfo?.extra?.sub,
  };
}

/**
 * Tools: `echo {message}` → `Echo: <message>`; `sleep {ms}` → `slept` after ms (cut short on cancel);
 * `whoami {}` → JSON {clientId, scopes, expiresAt, sub}; `admin {}` → the same, but only with `mcp:admin`
 * on top of the required scopes (else 403 insufficient_scope naming all of them).
 */
function createInstance(requiredScopes: readonly string[]): McpServer {
  const [first = ADMIN_SCOPE, ...rest] = [...requiredScopes, ADMIN_SCOPE];
  const server = new McpServer(
    { name: 'lifeline-oauth-rig', version: '1.0.0' },
    { capabilities: { tools: {} } },
  );
  server.registerTool('echo', { description: 'Echoes the message', inputSchema: echoSchema }, async (args) =>
    text(`Echo: ${args.message}`),
  );
  server.registerTool(
    'sleep',
    { description: 'Replies "slept" after `ms` milliseconds', inputSchema: sleepSchema },
    async (args, ctx) => {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.max(0, args.ms));
        ctx.mcpReq.signal.addEventListener('abort', () => {
          clearTimeout(timer);
          resolve();
        });
      });
      return text('slept');
    },
  );
  server.registerTool(
    'whoami',
    { description: "The caller's token facts", inputSchema: emptySchema },
    async (_a, ctx) => text(JSON.stringify(caller(ctx.http?.authInfo))),
  );
  server.registerTool(
    'admin',
    {
      description: `Needs ${ADMIN_SCOPE}`,
      inputSchema: emptySchema,
      // The SDK wants the complete scope set for the challenge (RFC 6750 §3.1), base scopes included.
      scopeChallenge: requireScopes(first, ...rest),
    },
    async (_a, ctx) => text(JSON.stringify(caller(ctx.http?.authInfo))),
  );
  return server;
}

function increment<K extends string>(record: Partial<Record<K, number>>, key: K): void {
  record[key] = (record[key] ?? 0) + 1;
}

/**
 * Starts the MCP server on 127.0.0.1 and registers its resource with `options.authServer`.
 * @example
 * const as = await startAuthServer();
 * const mcp = await startMcpResourceServer({ authServer: as });
 * // GET mcp.resourceMetadataUrl → { resource: mcp.url, authorization_servers: [as.issuer], ... }
 */
export async function startMcpResourceServer(options: McpResourceServerOptions): Promise<McpResourceServer> {
  const path = options.path ?? '/mcp';
  const requiredScopes = [...(options.requiredScopes ?? ['mcp:tools'])];
  const { issuer, jwksUri } = options.authServer;
  const stats: ResourceServerStats = {
    requests: 0,
    mcpRequests: 0,
    metadataRequests: 0,
    authorized: 0,
    unauthorized: 0,
    forbidden: 0,
    refusals: {},
    clients: {},
    methods: {},
    starts: 0,
  };
  let port = options.port ?? 0;
  let http: Server | undefined;
  let stopHandler: (() => Promise<void>) | undefined;
  let closed = false;
  const origin = () => `http://127.0.0.1:${port}`;
  const metadataPath = () =>
    options.metadataAt === 'root'
      ? '/.well-known/oauth-protected-resource'
      : `/.well-known/oauth-protected-resource${path}`;

  async function listen(): Promise<void> {
    if (closed) throw new Error('MCP resource server: start after close()');
    // The first start learns its port from listen(0); the URLs below need it, so they are built after
    // listening, before the event loop can deliver a request.
    const server = createServer();
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    port = (server.address() as AddressInfo).port;
    const resource = `${origin()}${path}`;
    const handler = createMcpHandler(() => createInstance(requiredScopes), {
      legacy: options.legacy ?? 'stateless',
    });
    const gate = requireBearerAuth({
      verifier: createJwtVerifier({
        issuer,
        jwksUri,
        resource,
        onRefusal: (r) => increment(stats.refusals, r),
      }),
      requiredScopes,
      expectedResource: new URL(resource),
      ...(options.challengeMetadata === false ? {} : { resourceMetadataUrl: `${origin()}${metadataPath()}` }),
    });
    const face = {
      fetch: async (request: Request): Promise<Response> => {
        stats.requests += 1;
        const { pathname } = new URL(request.url);
        if (pathname === metadataPath() && request.method === 'GET') {
          stats.metadataRequests += 1;
          // RFC 9728 §2: `resource` is exactly the endpoint URL the client was given.
          return Response.json({
            resource,
            authorization_servers: [issuer],
            scopes_supported: [...requiredScopes, ADMIN_SCOPE],
            bearer_methods_supported: ['header'],
            resource_name: 'lifeline OAuth test server',
          });
        }
        if (pathname !== path) return new Response('Not Found', { status: 404 });
        stats.mcpRequests += 1;
        if (!request.headers.has('authorization')) increment(stats.refusals, 'missing');
        const auth = await gate(request);
        let response: Response;
        if (auth instanceof Response) {
          response = auth;
        } else {
          stats.authorized += 1;
          increment(stats.clients, auth.clientId);
          if (request.method === 'POST') await countMethods(request.clone(), stats.methods);
          response = await handler.fetch(request, { authInfo: auth });
        }
        if (response.status === 401) stats.unauthorized += 1;
        if (response.status === 403) {
          stats.forbidden += 1;
          increment(stats.refusals, 'scope');
        }
        return response;
      },
    };
    const node = toNodeHandler(face);
    server.on('request', (req, res) => {
      // node:http's `method` is optional only in its types; a server-side request always has one.
      node(req as Parameters<typeof node>[0], res).catch(() => res.destroy());
    });
    http = server;
    stopHandler = () => handler.close();
    stats.starts += 1;
  }

  async function stop(): Promise<void> {
    const server = http;
    if (server === undefined) return;
    http = undefined;
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
    await stopHandler?.();
  }

  await listen();
  const url = `${origin()}${path}`;
  options.authServer.addResource?.(url, [...requiredScopes, ADMIN_SCOPE]);
  return {
    url,
    resource: url,
    resourceMetadataUrl: `${origin()}${metadataPath()}`,
    port,
    get running() {
      return http !== undefined;
    },
    stats: () => structuredClone(stats),
    stop,
    async start() {
      if (http === undefined) await listen();
    },
    async restart({ downMs = 0 } = {}) {
      await stop();
      if (downMs > 0) await new Promise((resolve) => setTimeout(resolve, downMs));
      await listen();
    },
    async close() {
      closed = true;
      await stop();
    },
  };
}

/** Counts the JSON-RPC methods of a POST body (a single message or a batch); anything else counts nothing. */
async function countMethods(request: Request, methods: Record<string, number>): Promise<void> {
  try {
    const body: unknown = await request.json();
    for (const message of Array.isArray(body) ? body : [body]) {
      const method = (message as { method?: unknown } | null)?.method;
      if (typeof method === 'string') increment(methods, method);
    }
  } catch {
    // Not JSON: the SDK answers it.
  }
}
