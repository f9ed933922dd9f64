#!/usr/bin/env node
// The client program the MCP conformance suite drives (`conformance client --command ...`):
// an SDK `Client` connected through mcp-lifeline's `createTransport({ url })`. The suite starts
// a test server, runs `node conformance/client.mjs <serverUrl>` with the scenario's name in
// MCP_CONFORMANCE_SCENARIO, and judges what the server saw. Exit 0 when the scenario's steps
// succeed, 1 with a message on stderr otherwise.
//
// MCP_CONFORMANCE_DEBUG=1 prints the transport's log (every level) on stderr.
import { Client } from '@modelcontextprotocol/client';
import { createTransport } from '../dist/index.js';

/** What each scenario asks of a client, once it is connected. */
const scenarios = {
  // The handshake is the whole test: connect (initialize + initialized), then close.
  initialize: async () => {},

  // A server offering `add_numbers({ a, b })`: list the tools, then call it.
  tools_call: async (client) => {
    const { tools } = await client.listTools();
    if (!tools.some((tool) => tool.name === 'add_numbers'))
      throw new Error(`add_numbers not offered; tools: ${tools.map((tool) => tool.name).join(', ')}`);
    const result = await client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
    expectText(result, 'The sum of 5 and 3 is 8');
  },

  // The server answers `test_reconnection` with an SSE stream holding only a priming event
  // (`id`, `retry: 500`) and closes it: the transport must wait 500 ms, resume with
  // GET + Last-Event-ID, and deliver the response the server sends on that stream.
  'sse-retry': async (client) => {
    await client.listTools();
    const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
    expectText(result, 'Reconnection test completed successfully');
  },
};

function expectText(result, expected) {
  const text = result.content?.find((part) => part.type === 'text')?.text;
  if (text !== expected) throw new Error(`expected the text "${expected}", got ${JSON.stringify(result)}`);
}

/** A pino-style logger (fields first, message second) writing to stderr, or none. */
function debugLogger() {
  if (!process.env.MCP_CONFORMANCE_DEBUG) return undefined;
  const write = (level) => (fields, message) =>
    console.error(`[lifeline ${level}] ${message ?? ''} ${JSON.stringify(fields)}`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

async function main() {
  const name = process.env.MCP_CONFORMANCE_SCENARIO;
  const url = process.argv.at(-1);
  const scenario = scenarios[name];
  if (scenario === undefined)
    throw new Error(`unknown scenario "${name}"; this client knows: ${Object.keys(scenarios).join(', ')}`);
  if (!/^https?:\/\//.test(url ?? '')) throw new Error('expected the server URL as the last argument');

  const transport = createTransport({ url, logger: debugLogger() });
  const client = new Client({ name: 'mcp-lifeline-conformance', version: '1.0.0' });
  await client.connect(transport);
  try {
    await scenario(client);
  } finally {
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(`conformance client (${process.env.MCP_CONFORMANCE_SCENARIO}): ${error?.stack ?? error}`);
    process.exit(1);
  },
);
