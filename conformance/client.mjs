#!/usr/bin/env node
// The client program the MCP conformance suite drives (`conformance client --command ...`):
// an SDK `Client` connected through mcp-lifeline's `createTransport({ url })`. The suite starts
// a test server, runs `node conformance/client.mjs <serverUrl>` with the scenario's name in
// MCP_CONFORMANCE_SCENARIO (and, for some scenarios, JSON in MCP_CONFORMANCE_CONTEXT), and
// judges what the server saw. Exit 0 when the scenario's steps succeed, 1 with a message on
// stderr otherwise.
//
// LIFELINE_CONFORMANCE_SDK picks the SDK Client: `v2` (default; @modelcontextprotocol/client
// with `versionNegotiation: { mode: 'auto' }`, so it speaks 2026-07-28 where the server does)
// or `v1` (@modelcontextprotocol/sdk, 2025 revisions only).
// Scenarios named `auth/...` are driven by ./auth.mjs (see runAuth below).
// MCP_CONFORMANCE_DEBUG=1 prints the transport's log (every level) on stderr.
import { createTransport } from '../dist/index.js';

const CLIENT_INFO = { name: 'mcp-lifeline-conformance', version: '1.0.0' };

/**
 * What each scenario asks of a client. `capabilities`: what the client declares; `handlers`:
 * its handlers of server-to-client requests; `run(client, context)`: its steps once connected;
 * `modern`: the scenario exists only at 2026-07-28, which the v1 SDK cannot speak.
 */
const scenarios = {
  // The handshake is the whole test: connect (initialize + initialized), then close.
  initialize: { run: async () => {} },

  // A server offering `add_numbers({ a, b })`: list the tools, then call it.
  tools_call: {
    run: async (client) => {
      const tools = await listToolNames(client);
      if (!tools.includes('add_numbers'))
        throw new Error(`add_numbers not offered; tools: ${tools.join(', ')}`);
      const result = await client.callTool({ name: 'add_numbers', arguments: { a: 5, b: 3 } });
      expectText(result, 'The sum of 5 and 3 is 8');
    },
  },

  // SEP-1034: the tool elicits a form whose fields have defaults; the client declares
  // `elicitation.form.applyDefaults` and accepts with empty content, so the SDK fills them in.
  'elicitation-sep1034-client-defaults': {
    capabilities: { elicitation: { form: { applyDefaults: true } } },
    handlers: { 'elicitation/create': async () => ({ action: 'accept', content: {} }) },
    run: async (client) => {
      await client.listTools();
      await client.callTool({ name: 'test_client_elicitation_defaults', arguments: {} });
    },
  },

  // The server answers `test_reconnection` with an SSE stream holding only a priming event
  // (`id`, `retry: 500`) and closes it: the transport must wait 500 ms, resume with
  // GET + Last-Event-ID, and deliver the response the server sends on that stream.
  'sse-retry': {
    run: async (client) => {
      await client.listTools();
      const result = await client.callTool({ name: 'test_reconnection', arguments: {} });
      expectText(result, 'Reconnection test completed successfully');
    },
  },

  // SEP-2575: every request carries `_meta` (protocol version, client info and capabilities)
  // and a matching MCP-Protocol-Version header; the server rejects the first request with
  // -32022 and the client must retry with a version it supports. Connecting is the test.
  'request-metadata': {
    modern: true,
    capabilities: { roots: { listChanged: true }, sampling: {}, elicitation: {} },
    run: async () => {},
  },

  // SEP-2322 (multi round-trip requests): tools answer `input_required` with embedded
  // elicitations and an opaque `requestState`; the SDK retries with a new id, the responses and
  // the state echoed byte for byte; an unrelated call carries neither.
  'sep-2322-client-request-state': {
    modern: true,
    capabilities: { elicitation: {} },
    handlers: { 'elicitation/create': async () => ({ action: 'accept', content: { confirmed: true } }) },
    run: async (client) => {
      await client.callTool({ name: 'test_mrtr_echo_state', arguments: {} });
      await client.callTool({ name: 'test_mrtr_no_state', arguments: {} });
      await client.callTool({ name: 'test_mrtr_unrelated', arguments: {} });
      // A result without `resultType` from a 2026-07-28 server: the SDK rejects it locally
      // and must not retry; the check only looks at what reached the server.
      await client.callTool({ name: 'test_mrtr_no_result_type', arguments: {} }).catch(() => {});
    },
  },

  // SEP-2243: `Mcp-Method` on every POST, `Mcp-Name` on tools/call, resources/read and
  // prompts/get; drive each method once with whatever the server offers.
  'http-standard-headers': {
    modern: true,
    run: async (client) => {
      const { tools } = await client.listTools();
      if (tools[0]) await client.callTool({ name: tools[0].name, arguments: {} });
      const { resources } = await client.listResources();
      if (resources[0]) await client.readResource({ uri: resources[0].uri });
      const { prompts } = await client.listPrompts();
      if (prompts[0]) await client.getPrompt({ name: prompts[0].name, arguments: {} });
    },
  },

  // SEP-2243: tool arguments annotated `x-mcp-header` travel as `Mcp-Param-*` headers
  // (Base64-wrapped when not plain ASCII, omitted when null); the calls to make come in the
  // context. List first, so the SDK knows which arguments to mirror.
  'http-custom-headers': {
    modern: true,
    run: async (client, context) => {
      await client.listTools();
      for (const call of context?.toolCalls ?? [])
        await client.callTool({ name: call.name, arguments: call.arguments });
    },
  },

  // SEP-2243: tools whose `x-mcp-header` annotations are invalid must be dropped from the
  // listing; call every tool that is left (only the valid one should be).
  'http-invalid-tool-headers': {
    modern: true,
    run: async (client) => {
      const { tools } = await client.listTools();
      for (const tool of tools)
        await client.callTool({ name: tool.name, arguments: { region: 'us-west1' } }).catch(() => {});
    },
  },

  // SEP-2106: a tool schema holds a network `$ref` (a canary URL); listing must not fetch it.
  'json-schema-ref-no-deref': {
    modern: true,
    run: async (client) => {
      await client.listTools();
    },
  },

  // SEP-1613/2106: the focal tool's inputSchema uses 2020-12 keywords; hand it back as
  // listTools() shows it through `json_schema_echo`, so the server can diff what survived.
  'json-schema-2020-12-preservation': {
    run: async (client) => {
      const { tools } = await client.listTools();
      const focal = tools.find((tool) => tool.name === 'json_schema_2020_12_tool');
      if (focal === undefined) throw new Error('json_schema_2020_12_tool not offered');
      await client.callTool({ name: 'json_schema_echo', arguments: { schema: focal.inputSchema } });
    },
  },
};

async function listToolNames(client) {
  const { tools } = await client.listTools();
  return tools.map((tool) => tool.name);
}

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

/** The protocol version the client settled on (v2 tells; v1 only told the transport). */
function negotiatedVersion(client, transport) {
  return client.getNegotiatedProtocolVersion?.() ?? transport.status?.protocolVersion ?? 'unknown';
}

/** The scenario's context from MCP_CONFORMANCE_CONTEXT (`{ name, ...context }`), if any. */
function readContext() {
  const raw = process.env.MCP_CONFORMANCE_CONTEXT;
  return raw ? JSON.parse(raw) : undefined;
}

/**
 * The SDK generation to drive lifeline with: `{ version, Client, createClient(capabilities),
 * setHandler(client, method, handler) }`; handlers differ between v1 (request schemas) and v2
 * (method names), and only v2 negotiates the protocol era (`versionNegotiation: auto`).
 */
async function loadSdk(version) {
  if (version === 'v2') {
    const { Client } = await import('@modelcontextprotocol/client');
    return {
      version,
      Client,
      createClient: (capabilities) =>
        new Client(CLIENT_INFO, { capabilities, versionNegotiation: { mode: 'auto' } }),
      setHandler: (client, method, handler) => client.setRequestHandler(method, handler),
    };
  }
  if (version === 'v1') {
    const { Client } = await import('@modelcontextprotocol/sdk/client/index.js');
    const types = await import('@modelcontextprotocol/sdk/types.js');
    const schemas = { 'elicitation/create': types.ElicitRequestSchema };
    return {
      version,
      Client,
      createClient: (capabilities) => new Client(CLIENT_INFO, { capabilities }),
      setHandler: (client, method, handler) => client.setRequestHandler(schemas[method], handler),
    };
  }
  throw new Error(`LIFELINE_CONFORMANCE_SDK must be v1 or v2, got "${version}"`);
}

/**
 * The hook for the authorization scenarios, which live in ./auth.mjs (its own module, with its
 * headless OAuth provider). It exports
 * `runAuthScenario({ name, url, context, sdk, createTransport, logger }): Promise<void>` and
 * drives the whole scenario: provider, transport, `connect`, the scenario's steps, `close`.
 * `sdk` is what {@link loadSdk} returns; `context` the parsed MCP_CONFORMANCE_CONTEXT.
 */
async function runAuth(name, url, sdk) {
  const module = new URL('./auth.mjs', import.meta.url);
  let auth;
  try {
    auth = await import(module.href);
  } catch (error) {
    if (error?.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(module.pathname))
      throw new Error(`${name}: ${module.pathname} is missing; the authorization scenarios live there`);
    throw error;
  }
  if (typeof auth.runAuthScenario !== 'function')
    throw new Error(`${module.pathname} must export runAuthScenario(options)`);
  await auth.runAuthScenario({
    name,
    url,
    context: readContext(),
    sdk,
    createTransport,
    logger: debugLogger(),
  });
}

async function main() {
  const name = process.env.MCP_CONFORMANCE_SCENARIO ?? '';
  const url = process.argv.at(-1);
  if (!/^https?:\/\//.test(url ?? '')) throw new Error('expected the server URL as the last argument');
  const version = process.env.LIFELINE_CONFORMANCE_SDK || 'v2';
  const sdk = await loadSdk(version);
  if (name.startsWith('auth/')) return runAuth(name, url, sdk);

  const scenario = scenarios[name];
  if (scenario === undefined)
    throw new Error(`unknown scenario "${name}"; this client knows: ${Object.keys(scenarios).join(', ')}`);
  if (scenario.modern && version === 'v1')
    throw new Error(`${name} exists only at protocol 2026-07-28, which the v1 SDK does not speak`);

  const client = sdk.createClient(scenario.capabilities ?? {});
  for (const [method, handler] of Object.entries(scenario.handlers ?? {}))
    sdk.setHandler(client, method, handler);
  const transport = createTransport({ url, logger: debugLogger() });
  await client.connect(transport);
  if (process.env.MCP_CONFORMANCE_DEBUG)
    console.error(`[conformance] ${version} SDK, protocol ${negotiatedVersion(client, transport)}`);
  try {
    await scenario.run(client, readContext());
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
