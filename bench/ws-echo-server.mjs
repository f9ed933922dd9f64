// A minimal MCP-over-WebSocket echo server for the WebSocket benchmark: the `ws` package on a
// bare node:http server, no SDK, so the server is never the bottleneck. Run as a child process
// by bench/websocket.js; it listens on 127.0.0.1, port 0 (or PORT), prints `PORT <n>` on stdout
// and exits when its stdin closes.
//
// Upgrade: any path; subprotocol `mcp` required (selected in the 101; an upgrade without it is
// refused with 400); perMessageDeflate off; listen backlog 4096, so a burst of 2,000 connects
// is not dropped at the accept queue. Pings are answered by `ws` (autoPong).
//
// Text frames, one JSON-RPC message each, answered at once on the same socket as
// bench/lib/echo-answer.js says (initialize, tools/call echo, ping); notifications get nothing,
// a frame that is not JSON gets error -32700 with id null.
//
// stdin commands (one per line), each answered with one line on stdout:
//   count                → `CONNECTIONS <open now> <opened in total> <pings received in total>`

import http from 'node:http';
import { WebSocketServer } from 'ws';
import { answer } from './lib/echo-answer.js';

const SUBPROTOCOL = 'mcp';
let open = 0;
let total = 0;
let pings = 0;

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
  handleProtocols: (protocols) => (protocols.has(SUBPROTOCOL) ? SUBPROTOCOL : false),
});

wss.on('connection', (socket) => {
  open += 1;
  total += 1;
  socket.on('close', () => {
    open -= 1;
  });
  socket.on('error', () => {});
  socket.on('ping', () => {
    pings += 1;
  });
  socket.on('message', (data, isBinary) => {
    if (isBinary) {
      socket.close(1003, 'MCP messages are text frames');
      return;
    }
    let message;
    try {
      message = JSON.parse(data.toString('utf8'));
    } catch {
      socket.send(
        JSON.stringify({ jsonrpc: '2.0', id: null, error: { code: -32700, message: 'Parse error' } }),
      );
      return;
    }
    if (message.id === undefined || message.id === null || message.method === undefined) return;
    socket.send(JSON.stringify(answer(message, 'bench-ws-echo')));
  });
});

server.listen({ port: Number(process.env.PORT ?? 0), host: '127.0.0.1', backlog: 4096 }, () => {
  process.stdout.write(`PORT ${server.address().port}\n`);
});

// Commands on stdin; the parent closes our stdin (or dies): stop.
let pending = '';
process.stdin.setEncoding('utf8');
process.stdin.on('data', (chunk) => {
  pending += chunk;
  let newline = pending.indexOf('\n');
  while (newline !== -1) {
    const command = pending.slice(0, newline).trim();
    pending = pending.slice(newline + 1);
    if (command === 'count') process.stdout.write(`CONNECTIONS ${open} ${total} ${pings}\n`);
    newline = pending.indexOf('\n');
  }
});
process.stdin.on('end', () => process.exit(0));
process.stdin.on('error', () => process.exit(0));
