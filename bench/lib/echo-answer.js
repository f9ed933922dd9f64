// The answers of the benchmarks' network echo servers (bench/http-echo-server.mjs,
// bench/ws-echo-server.mjs) to a JSON-RPC request:
//   initialize           → result with protocolVersion 2025-06-18, capabilities {tools: {}}
//   tools/call echo      → result {content: [{type: 'text', text: <arguments.text>}]}
//   ping                 → result {}
//   anything else        → JSON-RPC error -32601 (-32602 for an unknown tool)

export const PROTOCOL_VERSION = '2025-06-18';

/** The answer of the server `serverName` to the request `message`. */
export function answer(message, serverName) {
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
      return { jsonrpc: '2.0', id, error: { code: -32601, message: `Method not found: ${method}` } };
  }
}
