// A minimal Streamable HTTP echo server for the HTTP benchmark: node:http only, no SDK, so the
// server is never the bottleneck. Run as a child process by bench/http.js; it listens on
// 127.0.0.1, port 0 (or PORT), prints `PORT <n>` on stdout and exits when its stdin closes.
//
// POST (any path), JSON-RPC, legacy era, answered as bench/lib/echo-answer.js says
// (initialize also sets Mcp-Session-Id); notifications/… → 202, no body.
// A request after initialize must carry a known Mcp-Session-Id (404 otherwise, 400 without one).
// GET → 405, DELETE → 200 (ends the session).
//
// Response mode: `?mode=sse` on the URL (or env ECHO_MODE=sse) answers requests with an SSE
// stream (`text/event-stream`, one `event: message` with an `id:`, then the end); otherwise
// one `application/json` body.

import { randomUUID } from 'node:crypto';
import http from 'node:http';
import { answer } from './lib/echo-answer.js';

const defaultMode = process.env.ECHO_MODE === 'sse' ? 'sse' : 'json';
const sessions = new Set();
let eventId = 0;

function modeOf(url) {
  const q = url.indexOf('?');
  if (q === -1) return defaultMode;
  const mode = new URLSearchParams(url.slice(q + 1)).get('mode');
  return mode === 'sse' || mode === 'json' ? mode : defaultMode;
}

function sendJson(res, status, body, headers = {}) {
  const text = JSON.stringify(body);
  res.writeHead(status, {
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(text),
    ...headers,
  });
  res.end(text);
}

function handlePost(req, res, text) {
  let message;
  try {
    message = JSON.parse(text);
  } catch {
    sendJson(res, 400, { jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } });
    return;
  }
  const headers = {};
  if (message.method === 'initialize') {
    const session = randomUUID();
    sessions.add(session);
    headers['mcp-session-id'] = session;
  } else {
    const session = req.headers['mcp-session-id'];
    if (session === undefined) {
      sendJson(res, 400, {
        jsonrpc: '2.0',
        id: null,
        error: { code: -32000, message: 'Bad Request: no session id' },
      });
      return;
    }
    if (!sessions.has(session)) {
      sendJson(res, 404, { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } });
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
  if (modeOf(req.url) === 'sse') {
    eventId += 1;
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', ...headers });
    res.end(`event: message\nid: ${eventId}\ndata: ${JSON.stringify(reply)}\n\n`);
    return;
  }
  sendJson(res, 200, reply, headers);
}

const server = http.createServer({ keepAlive: true }, (req, res) => {
  if (req.method === 'POST') {
    const chunks = [];
    req.on('data', (chunk) => chunks.push(chunk));
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

server.listen(Number(process.env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});

// The parent closes our stdin (or dies): stop.
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
process.stdin.resume();
