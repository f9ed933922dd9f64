// A tiny MCP server with zero dependencies — the one `npm start` talks to.
//
// MCP over stdio is simple: the client writes one JSON-RPC message per line to our stdin,
// and we answer with one JSON-RPC message per line on stdout. Anything for humans goes to
// stderr, because stdout belongs to the protocol.
//
// Try it by hand:
//   echo '{"jsonrpc":"2.0","id":1,"method":"tools/list"}' | node examples/echo-server.mjs

import process from 'node:process';
import { createInterface } from 'node:readline';

// The tools we offer. `inputSchema` is a JSON Schema describing each tool's arguments.
const tools = [
  {
    name: 'echo',
    description: 'Replies with the message you send',
    inputSchema: { type: 'object', properties: { message: { type: 'string' } }, required: ['message'] },
  },
  {
    name: 'add',
    description: 'Adds two numbers',
    inputSchema: {
      type: 'object',
      properties: { a: { type: 'number' }, b: { type: 'number' } },
      required: ['a', 'b'],
    },
  },
];

// Tool results are a list of content blocks; plain text is the simplest kind.
const text = (t) => ({ content: [{ type: 'text', text: t }] });

function callTool(name, args = {}) {
  switch (name) {
    case 'echo':
      return text(`Echo: ${args.message}`);
    case 'add':
      return text(String(Number(args.a) + Number(args.b)));
    default:
      throw Object.assign(new Error(`Unknown tool: ${name}`), { code: -32602 });
  }
}

// One function per method. Each returns the `result` of the reply (or throws).
const handlers = {
  initialize: (params) => ({
    // Answer with the client's version if we know it, otherwise with our newest one.
    protocolVersion: ['2024-11-05', '2025-03-26', '2025-06-18', '2025-11-25'].includes(
      params?.protocolVersion,
    )
      ? params.protocolVersion
      : '2025-11-25',
    capabilities: { tools: {} },
    serverInfo: { name: 'example-echo', version: '1.0.0' },
  }),
  ping: () => ({}),
  'tools/list': () => ({ tools }),
  'tools/call': (params) => callTool(params?.name, params?.arguments),
};

function send(message) {
  process.stdout.write(`${JSON.stringify(message)}\n`);
}

function onMessage(message) {
  const { id, method, params } = message;

  // Notifications (no `id`) never get a reply. `notifications/initialized` tells us the
  // handshake is done; we have nothing to prepare, so we simply carry on.
  if (id === undefined || id === null) return;

  const handler = handlers[method];
  if (!handler) {
    send({ jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } });
    return;
  }
  try {
    send({ jsonrpc: '2.0', id, result: handler(params) });
  } catch (err) {
    send({ jsonrpc: '2.0', id, error: { code: err.code ?? -32603, message: err.message } });
  }
}

// readline splits stdin into lines for us.
const lines = createInterface({ input: process.stdin });

lines.on('line', (line) => {
  if (line.trim() === '') return;
  let message;
  try {
    message = JSON.parse(line);
  } catch {
    console.error(`example server: ignoring a line that is not JSON: ${line.slice(0, 80)}`);
    return;
  }
  if (message !== null && typeof message === 'object') onMessage(message);
});

// When the client closes our stdin, the conversation is over. Nothing else keeps
// Node busy, so the process exits by itself once stdout has been flushed.
lines.on('close', () => console.error('example server: stdin closed, bye'));

console.error(`example server ready (pid ${process.pid})`);
