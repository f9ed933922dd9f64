// The benchmarks' one echo server, for every transport, picked by the first argument:
//
//   node bench/echo-server.mjs [stdio]   NDJSON on stdin/stdout; exits when stdin ends
//   node bench/echo-server.mjs http      Streamable HTTP on node:http (JSON or SSE answers)
//   node bench/echo-server.mjs ws        MCP over WebSocket (SEP-1288) on the `ws` package
//
// No SDK anywhere, so the server is never the bottleneck. The stdio mode imports nothing (the
// Docker benchmark runs this file in a container that has node and nothing else); `ws` is
// loaded only in the ws mode.
//
// stdio: every request (a message with both `id` and `method`) is answered at once with
//   {"jsonrpc":"2.0","id":<id>,"result":{"echo":<params>}}; anything else is ignored. Input is
//   buffered as a list of chunks and joined only when a newline arrives, so a 9 MB message costs
//   O(size), not O(size * chunks). Replies to one input chunk go out in one write.
//
// http and ws listen on 127.0.0.1, port 0 (or PORT), print `PORT <n>` on stdout, exit when
// their stdin closes, and answer as `answer()` below says (the legacy era: initialize →
// protocolVersion 2025-06-18; tools/call echo → the text; ping → {}; anything else → -32601).
//   http: POST (any path). initialize sets Mcp-Session-Id; later requests must carry a known one
//     (404, or 400 without one); notifications → 202. `?mode=sse` on the URL (or env
//     ECHO_MODE=sse) answers with an SSE stream (one `event: message` with an `id:`); otherwise
//     one application/json body. GET → 405, DELETE → 200 (ends the session).
//   ws: any path; subprotocol `mcp` required (an upgrade without it gets 400); perMessageDeflate
//     off; backlog 4096, so a burst of 2,000 connects is not dropped at the accept queue; pings
//     answered by `ws`. One JSON-RPC message per text frame; a binary frame closes with 1003.
//     stdin command `count` → `CONNECTIONS <open now> <opened in total> <pings in total>`.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import process from 'node:process';

/** @typedef {{ jsonrpc?: string, id?: unknown, method?: unknown, params?: any }} Message */

const PROTOCOL_VERSION = '2025-06-18';

/**
 * The answer of the server `serverName` to the request `message` (http and ws modes).
 * @param {Message} message
 * @param {string} serverName
 */
function answer(message, serverName) {
  const { id, method, params } = message;
  switch (method) {
    case 'initialize':
      return {
        jsonrpc: '2.0',
        id,
        result: {
          protocolVersion: PROTOCOL_VERSION,
          capabilities: { tools: {} },
          serverInfo: { name: serverName, version: '1.0.0' },
        },
      };
    case 'tools/call':
      if (params?.name === 'echo') {
        return {
          jsonrpc: '2.0',
          id,
          result: { content: [{ type: 'text', text: String(params.arguments?.text ?? '') }] },
        };
      }
      return { jsonrpc: '2.0', id, error: { code: -32602, message: `Unknown tool ${params?.name}` } };
    case 'ping':
      return { jsonrpc: '2.0', id, result: {} };
    default:
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${String(method)}` } };
  }
}

// --- stdio ---

function serveStdio() {
  /** @type {Buffer[]} */
  let pending = [];
  const reply = (/** @type {string} */ line, /** @type {string[]} */ out) => {
    if (line.length === 0) return;
    /** @type {Message} */
    let msg;
    try {
      msg = JSON.parse(line);
    } catch {
      return;
    }
    if (msg === null || typeof msg !== 'object' || msg.id === undefined || typeof msg.method !== 'string')
      return;
    out.push(
      `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"echo":${JSON.stringify(msg.params ?? null)}}}\n`,
    );
  };
  process.stdin.on('data', (/** @type {Buffer} */ chunk) => {
    /** @type {string[]} */
    const out = [];
    let start = 0;
    let nl = chunk.indexOf(10, start);
    while (nl !== -1) {
      const piece = chunk.subarray(start, nl);
      const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
      pending = [];
      reply(line.toString('utf8'), out);
      start = nl + 1;
      nl = chunk.indexOf(10, start);
    }
    if (start < chunk.length) pending.push(chunk.subarray(start));
    if (out.length > 0)
      process.stdout.write(out.length === 1 ? /** @type {string} */ (out[0]) : out.join(''));
  });
  process.stdin.on('end', () => {
    if (pending.length > 0) {
      /** @type {string[]} */
      const out = [];
      reply(Buffer.concat(pending).toString('utf8'), out);
      pending = [];
      if (out.length > 0) process.stdout.write(out.join(''));
    }
    // Nothing else keeps the event loop alive: the process exits once stdout has flushed.
  });
  process.stdout.on('error', () => process.exit(0));
}

// --- http ---

function serveHttp() {
  const defaultMode = process.env.ECHO_MODE === 'sse' ? 'sse' : 'json';
  const sessions = new Set();
  let eventId = 0;
  const modeOf = (/** @type {string} */ url) => {
    const q = url.indexOf('?');
    if (q === -1) return defaultMode;
    const mode = new URLSearchParams(url.slice(q + 1)).get('mode');
    return mode === 'sse' || mode === 'json' ? mode : defaultMode;
  };
  /** @type {(res: http.ServerResponse, status: number, body: unknown, headers?: Record<string, string>) => void} */
  const sendJson = (res, status, body, headers = {}) => {
    const text = JSON.stringify(body);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(text),
      ...headers,
    });
    res.end(text);
  };
  /** @type {(req: http.IncomingMessage, res: http.ServerResponse, text: string) => void} */
  const handlePost = (req, res, text) => {
    /** @type {Message} */
    let message;
    try {
      message = JSON.parse(text);
    } catch {
      sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
      return;
    }
    /** @type {Record<string, string>} */
    const headers = {};
    if (message.method === 'initialize') {
      const session = randomUUID();
      sessions.add(session);
      headers['mcp-session-id'] = session;
    } else {
      const session = req.headers['mcp-session-id'];
      if (session === undefined) {
        const error = { code: -32000, message: 'Bad Request: no session id' };
        sendJson(res, 400, { jsonrpc: '2.0', id: null, error });
        return;
      }
      if (!sessions.has(session)) {
        sendJson(res, 404, {
          jsonrpc: '2.0',
          id: null,
          error: { code: -32001, message: 'Session not found' },
        });
        return;
      }
    }
    if (message.id === undefined || message.id === null) {
      // A notification (or a response): accepted, nothing to say.
      res.writeHead(202, headers);
      res.end();
      return;
    }
    const reply = answer(message, 'bench-http-echo');
    if (modeOf(req.url ?? '') === 'sse') {
      eventId += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
      res.end(`event: message\nid: ${eventId}\ndata: ${JSON.stringify(reply)}\n\n`);
      return;
    }
    sendJson(res, 200, reply, headers);
  };
  const server = http.createServer({ keepAlive: true }, (req, res) => {
    if (req.method === 'POST') {
      /** @type {Buffer[]} */
      const chunks = [];
      req.on('data', (/** @type {Buffer} */ chunk) => chunks.push(chunk));
      req.on('end', () => handlePost(req, res, Buffer.concat(chunks).toString('utf8')));
      return;
    }
    if (req.method === 'DELETE') {
      sessions.delete(req.headers['mcp-session-id']);
      res.writeHead(200);
      res.end();
      return;
    }
    res.writeHead(405, { allow: 'POST, DELETE' });
    res.end();
    req.resume();
  });
  server.maxHeadersCount = 0; // no limit
  server.keepAliveTimeout = 60_000;
  server.headersTimeout = 65_000;
  server.requestTimeout = 0;
  listen(server, {});
}

// --- ws ---

async function serveWebSocket() {
  const { WebSocketServer } = await import('ws');
  const counts = { open: 0, total: 0, pings: 0 };
  const server = http.createServer((_req, res) => {
    res.writeHead(426, { 'content-type': 'text/plain', upgrade: 'websocket' });
    res.end('Upgrade Required');
  });
  server.requestTimeout = 0;
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: false,
    clientTracking: false,
    maxPayload: 64 * 1024 * 1024,
    handleProtocols: (protocols) => (protocols.has('mcp') ? 'mcp' : false),
  });
  wss.on('connection', (socket) => {
    counts.open += 1;
    counts.total += 1;
    socket.on('close', () => {
      counts.open -= 1;
    });
    socket.on('error', () => {});
    socket.on('ping', () => {
      counts.pings += 1;
    });
    socket.on('message', (data, isBinary) => {
      if (isBinary) {
        socket.close(1003, 'MCP messages are text frames');
        return;
      }
      /** @type {Message} */
      let message;
      try {
        message = JSON.parse(data.toString());
      } catch {
        const error = { code: -32700, message: 'Parse error' };
        socket.send(JSON.stringify({ jsonrpc: '2.0', id: null, error }));
        return;
      }
      if (message.id === undefined || message.id === null || message.method === undefined) return;
      socket.send(JSON.stringify(answer(message, 'bench-ws-echo')));
    });
  });
  listen(server, {
    count: () => `CONNECTIONS ${counts.open} ${counts.total} ${counts.pings}`,
  });
}

/**
 * Listens on 127.0.0.1 (port 0 or PORT), prints `PORT <n>`, answers `commands` read from stdin
 * (one per line, each answered with one line), and exits when stdin ends.
 * @param {http.Server} server
 * @param {Record<string, () => string>} commands
 */
function listen(server, commands) {
  server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
    const address = server.address();
    process.stdout.write(
      `PORT ${typeof address === 'object' && address !== null ? address.port : address}\n`,
    );
  });
  let pending = '';
  process.stdin.setEncoding('utf8');
  process.stdin.on('data', (/** @type {string} */ chunk) => {
    pending += chunk;
    let newline = pending.indexOf('\n');
    while (newline !== -1) {
      const command = commands[pending.slice(0, newline).trim()];
      pending = pending.slice(newline + 1);
      if (command !== undefined) process.stdout.write(`${command()}\n`);
      newline = pending.indexOf('\n');
    }
  });
  // The parent closes our stdin (or dies): stop.
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
}

const mode = process.argv[2] ?? 'stdio';
if (mode === 'stdio') serveStdio();
else if (mode === 'http') serveHttp();
else if (mode === 'ws') await serveWebSocket();
else {
  process.stderr.write(`echo-server: unknown mode ${mode} (stdio, http or ws)\n`);
  process.exit(2);
}
