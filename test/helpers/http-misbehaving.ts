/**
 * A misbehaving HTTP server for loopback tests: a real `node:http` server on 127.0.0.1 (a free
 * port) whose answer to each request is scripted by the test. It records every request it
 * got (method, path, headers, body) so a test can check what reached the wire, and answers
 * whatever the script does not handle like a tiny well-behaved MCP server: JSON answers to
 * requests, 202 to notifications, 405 to GET, 200 to DELETE.
 */

import { createServer, type IncomingHttpHeaders, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';

const HOST = '127.0.0.1';

/** A JSON-RPC message as the server sees it: loosely typed, it may be anything. */
export interface RpcBody {
  jsonrpc?: unknown;
  id?: string | number;
  method?: string;
  params?: Record<string, unknown>;
}

/** One request the server received, fully read. */
export interface RecordedRequest {
  /** `GET`, `POST`, `DELETE`, ... */
  method: string;
  /** Path and query. */
  url: string;
  /** Lower-case names, as node:http gives them. */
  headers: IncomingHttpHeaders;
  /** The body as text. */
  body: string;
  /** The body parsed as one JSON-RPC message, when it is a JSON object. */
  rpc: RpcBody | undefined;
}

/**
 * The script: decides how to answer one request. It may answer late, never, or break the
 * socket; whatever it throws becomes a 500.
 */
export type Behaviour = (request: RecordedRequest, response: ServerResponse) => void | Promise<void>;

/** A running misbehaving server; see {@link startMisbehavingServer}. */
export interface MisbehavingServer {
  readonly port: number;
  /** `http://127.0.0.1:PORT`. */
  readonly origin: string;
  /** `origin` followed by `path` (default `/mcp`). */
  url(path?: string): string;
  /** Every request received so far, in arrival order. */
  readonly requests: RecordedRequest[];
  /** The JSON-RPC method of each POST received so far (`?` for a body without one). */
  posted(): string[];
  /** Replaces the script for the requests to come. */
  behave(behaviour: Behaviour): void;
  /** Closes the listener, every open response and every socket. Safe to call twice. */
  close(): Promise<void>;
}

/** Writes a whole response. */
export function reply(
  response: ServerResponse,
  status: number,
  contentType: string | undefined,
  body: string | Buffer,
  headers: Record<string, string> = {},
): void {
  const all: Record<string, string> = { ...headers };
  if (contentType !== undefined) all['content-type'] = contentType;
  response.writeHead(status, all);
  response.end(body);
}

/** Writes a JSON body (`application/json`). */
export function replyJson(
  response: ServerResponse,
  value: unknown,
  status = 200,
  headers: Record<string, string> = {},
): void {
  reply(response, status, 'application/json', JSON.stringify(value), headers);
}

/**
 * Starts an SSE response and writes `chunks` as they are (the test writes the framing, so it
 * can write garbage). Ends the response when `end` is true; otherwise it stays open until the
 * server closes.
 */
export function replySse(
  response: ServerResponse,
  chunks: readonly string[],
  { end = true, headers = {} }: { end?: boolean; headers?: Record<string, string> } = {},
): void {
  response.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
  for (const chunk of chunks) response.write(chunk);
  if (end) response.end();
}

/** One SSE `message` event carrying `value` as JSON. */
export function sseEvent(value: unknown, id?: string): string {
  return `${id === undefined ? '' : `id: ${id}\n`}event: message\ndata: ${JSON.stringify(value)}\n\n`;
}

/**
 * The successful JSON-RPC answer to a request: a tool-result shape (one text block `ok: <method>`)
 * plus `method` and `echo` (its params), and `extra`.
 */
export function answerTo(request: RecordedRequest, extra: Record<string, unknown> = {}): unknown {
  const rpc = request.rpc;
  return {
    jsonrpc: '2.0',
    id: rpc?.id ?? null,
    result: {
      content: [{ type: 'text', text: `ok: ${rpc?.method}` }],
      method: rpc?.method,
      echo: rpc?.params ?? null,
      ...extra,
    },
  };
}

/** The answer to `initialize`: the protocol version the client asked for (legacy era), tools. */
export function initializeAnswer(request: RecordedRequest): unknown {
  const asked = request.rpc?.params?.protocolVersion;
  return {
    jsonrpc: '2.0',
    id: request.rpc?.id ?? null,
    result: {
      protocolVersion: typeof asked === 'string' ? asked : '2025-06-18',
      capabilities: { tools: {} },
      serverInfo: { name: 'misbehaving', version: '0.0.0' },
    },
  };
}

/**
 * What a well-behaved (stateless, legacy-era) server does: answers a request with JSON
 * (`initialize` with {@link initializeAnswer}, others with {@link answerTo}), a notification
 * with 202, GET with 405 (no standby stream), DELETE with 200.
 */
export function standard(request: RecordedRequest, response: ServerResponse): void {
  if (request.method === 'GET') reply(response, 405, undefined, '');
  else if (request.method === 'DELETE') reply(response, 200, undefined, '');
  else if (request.rpc?.id === undefined) reply(response, 202, undefined, '');
  else if (request.rpc.method === 'initialize') replyJson(response, initializeAnswer(request));
  else replyJson(response, answerTo(request));
}

function parseRpc(body: string): RpcBody | undefined {
  try {
    const value: unknown = JSON.parse(body);
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as RpcBody)
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Starts a server on 127.0.0.1 (a free port) answering with `behaviour` (default
 * {@link standard}).
 *
 * @example
 * const server = await startMisbehavingServer((request, response) =>
 *   request.rpc?.method === 'broken' ? reply(response, 200, 'text/html', '<p>') : standard(request, response),
 * );
 */
export async function startMisbehavingServer(behaviour: Behaviour = standard): Promise<MisbehavingServer> {
  let script = behaviour;
  const requests: RecordedRequest[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((incoming, response) => {
    const chunks: Buffer[] = [];
    incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
    incoming.on('error', () => {});
    response.on('error', () => {});
    incoming.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const request: RecordedRequest = {
        method: incoming.method ?? '',
        url: incoming.url ?? '',
        headers: incoming.headers,
        body,
        rpc: parseRpc(body),
      };
      requests.push(request);
      Promise.resolve()
        .then(() => script(request, response))
        .catch((error: unknown) => {
          if (!response.headersSent) reply(response, 500, 'text/plain', String(error));
          else response.destroy();
        });
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, HOST, resolve));
  const { port } = server.address() as AddressInfo;
  const origin = `http://${HOST}:${port}`;
  let closed: Promise<void> | undefined;

  return {
    port,
    origin,
    url: (path = '/mcp') => `${origin}${path}`,
    requests,
    posted: () => requests.filter((r) => r.method === 'POST').map((r) => r.rpc?.method ?? '?'),
    behave(next) {
      script = next;
    },
    close() {
      closed ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const socket of sockets) socket.destroy();
      });
      return closed;
    },
  };
}
