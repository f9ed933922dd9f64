#!/usr/bin/env node
// The conformance suite's auth/* scenarios against mcp-lifeline: an SDK Client over
// `createTransport({ url, authProvider })`, driven by the SDK's documented OAuth flow
// (conformance/auth.mjs). Every auth scenario asks the same of a client: connect, list the
// tools, call `test-tool`, close.
//
//   npx -y -p node@22 -p @modelcontextprotocol/conformance@0.2.0-alpha.12 -- conformance client \
//     --command "$(command -v node) conformance/auth-client.mjs" --scenario auth/metadata-default
//
// MCP_CONFORMANCE_SDK=v1 uses the v1 Client (@modelcontextprotocol/sdk) instead of the v2 one
// with `versionNegotiation: { mode: 'auto' }`. MCP_CONFORMANCE_DEBUG=1 logs the flow on stderr.
import { createTransport } from '../dist/index.js';
import { conformanceProvider, withOAuth } from './auth.mjs';

const v1 = process.env.MCP_CONFORMANCE_SDK === 'v1';

/** A pino-style logger on stderr, or none. */
function debugLogger() {
  if (!process.env.MCP_CONFORMANCE_DEBUG) return undefined;
  const write = (level) => (fields, message) =>
    console.error(`[lifeline ${level}] ${message ?? ''} ${JSON.stringify(fields)}`);
  return { debug: write('debug'), info: write('info'), warn: write('warn'), error: write('error') };
}

async function newClient() {
  const info = { name: 'mcp-lifeline-conformance', version: '1.0.0' };
  if (v1) {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    return new Client(info);
  }
  const { Client } = await import('@modelcontextprotocol/client');
  return new Client(info, { versionNegotiation: { mode: 'auto' } });
}

async function main() {
  const scenario = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const url = process.argv.at(-1);
  if (!/^https?:\/\//.test(url ?? '')) throw new Error('expected the server URL as the last argument');
  const context = process.env.MCP_CONFORMANCE_CONTEXT ? JSON.parse(process.env.MCP_CONFORMANCE_CONTEXT) : {};
  const provider = conformanceProvider(scenario, context);
  const transport = createTransport({ url, authProvider: provider, logger: debugLogger() });
  const client = await newClient();
  const flow = withOAuth(() => client.connect(transport), {
    provider,
    transport,
    connected: () => client.transport !== undefined,
  });
  await flow.connect();
  try {
    await flow.run(() => client.listTools());
    await flow.run(() => client.callTool({ name: 'test-tool', arguments: {} }));
  } finally {
    await client.close();
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(
      `auth conformance client (${process.env.MCP_CONFORMANCE_SCENARIO}): ${error?.stack ?? error}`,
    );
    process.exit(1);
  },
);
