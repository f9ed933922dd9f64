import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  PROTOCOL_VERSION_META_KEY as SDK_PROTOCOL_VERSION_META_KEY,
  StreamableHTTPClientTransport,
} from '@modelcontextprotocol/client';
import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  bodyHeaders,
  decodeHeaderValue,
  encodeHeaderValue,
  envelopeVersion,
  MCP_NAME_SOURCE,
  mergeRequestHeaders,
  PROTOCOL_VERSION_META_KEY,
  RESERVED_HEADER_NAMES,
} from '../../src/codec/headers.js';
import type { JsonRpcMessage } from '../../src/codec/jsonrpc.js';

const MODERN = '2026-07-28';
const meta = (version: unknown = MODERN) => ({ [PROTOCOL_VERSION_META_KEY]: version });
const call = (method: string, params: Record<string, unknown>): JsonRpcMessage => ({
  jsonrpc: '2.0',
  id: 1,
  method,
  params: { ...params, _meta: meta() },
});

/** The spec's Value Encoding examples. */
const SPEC_EXAMPLES: Array<[string, string]> = [
  ['us-west1', 'us-west1'],
  ['Hello, 世界', '=?base64?SGVsbG8sIOS4lueVjA==?='],
  [' padded ', '=?base64?IHBhZGRlZCA=?='],
  ['line1\nline2', '=?base64?bGluZTEKbGluZTI=?='],
  ['=?base64?literal?=', '=?base64?PT9iYXNlNjQ/bGl0ZXJhbD89?='],
];

/** Hand-picked edge cases: empty, whitespace, controls, non-ASCII, lone surrogates, sentinel look-alikes. */
const EDGE_STRINGS = [
  'echo',
  'get_weather',
  'file:///projects/my app/config.json',
  '',
  ' ',
  ' lead',
  'trail ',
  '\tlead-tab',
  'in\tside',
  'a b',
  'cr\r',
  '\r\nX-Injected: 1',
  '\u0000',
  '\u001f',
  '\u007f',
  'héllo',
  '\u00a0nbsp',
  '\uFEFFbom',
  '😀',
  '\uD800',
  'a\uDC00b',
  '=?base64?',
  '?=',
  '=?base64?=',
  '=?base64?YQ==?=',
  '=?BASE64?YQ==?=',
  '~!@#$%^&*()_+`-={}|[]\\:";\'<>?,./',
  'x'.repeat(2000),
];

const FUZZ_STRINGS = [
  ...fc.sample(fc.string({ unit: 'binary', maxLength: 24 }), { numRuns: 150, seed: 7 }),
  ...fc.sample(fc.string({ unit: 'binary-ascii', maxLength: 24 }), { numRuns: 150, seed: 8 }),
];

describe('encodeHeaderValue and decodeHeaderValue', () => {
  it('uses the key the SDK uses', () => {
    expect(PROTOCOL_VERSION_META_KEY).toBe(SDK_PROTOCOL_VERSION_META_KEY);
  });

  it.each(SPEC_EXAMPLES)('encodes %j as the spec shows, and back', (value, encoded) => {
    expect(encodeHeaderValue(value)).toBe(encoded);
    expect(decodeHeaderValue(encoded)).toBe(value);
  });

  it('round-trips any well-formed string', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ unit: 'grapheme' }), fc.string({ unit: 'binary-ascii' })), (value) => {
        expect(decodeHeaderValue(encodeHeaderValue(value))).toBe(value);
      }),
      { numRuns: 500 },
    );
  });

  it('keeps a leading U+FEFF through the round trip', () => {
    expect(decodeHeaderValue(encodeHeaderValue('\uFEFFx'))).toBe('\uFEFFx');
  });

  it('returns values without the exact lower-case sentinel unchanged', () => {
    for (const value of ['plain', '=?BASE64?YQ==?=', '=?base64?YQ==', 'x=?base64?YQ==?=']) {
      expect(decodeHeaderValue(value)).toBe(value);
    }
  });

  it.each([
    ['a length that is not a multiple of 4', '=?base64?YWJ?='],
    ['a space inside', '=?base64?YW Jj?='],
    ['URL-safe characters', '=?base64?-_-_?='],
    ['misplaced padding', '=?base64?YQ=a?='],
    ['bytes that are not UTF-8', '=?base64?/w==?='],
    ['a lone surrogate in UTF-8', '=?base64?7aCA?='],
  ])('rejects a sentinel with %s', (_name, value) => {
    expect(decodeHeaderValue(value)).toBeUndefined();
  });
});

describe('envelopeVersion and bodyHeaders', () => {
  it('derives the spec example headers of tools/call and resources/read', () => {
    expect(bodyHeaders(call('tools/call', { name: 'get_weather', arguments: {} }))).toEqual({
      'mcp-protocol-version': MODERN,
      'mcp-method': 'tools/call',
      'mcp-name': 'get_weather',
    });
    expect(bodyHeaders(call('resources/read', { uri: 'file:///projects/myapp/config.json' }))).toEqual({
      'mcp-protocol-version': MODERN,
      'mcp-method': 'resources/read',
      'mcp-name': 'file:///projects/myapp/config.json',
    });
  });

  it('encodes a name that is not plain ASCII', () => {
    expect(bodyHeaders(call('prompts/get', { name: 'résumé' }))['mcp-name']).toBe('=?base64?csOpc3Vtw6k=?=');
  });

  it('has a name source for the spec methods and the task methods', () => {
    expect(MCP_NAME_SOURCE).toEqual({
      'tools/call': 'name',
      'prompts/get': 'name',
      'resources/read': 'uri',
      'tasks/get': 'taskId',
      'tasks/update': 'taskId',
      'tasks/cancel': 'taskId',
    });
  });

  it.each<[string, JsonRpcMessage]>([
    ['a request without params', { jsonrpc: '2.0', id: 1, method: 'tools/call' }],
    ['a request with array params', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: [meta()] }],
    ['a request without _meta', { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: 'x' } }],
    ['a request whose _meta is null', { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: null } }],
    [
      'a request whose version is a number',
      { jsonrpc: '2.0', id: 1, method: 'x', params: { _meta: meta(20260728) } },
    ],
    ['a notification', { jsonrpc: '2.0', method: 'notifications/x', params: { _meta: meta() } }],
    ['a response', { jsonrpc: '2.0', id: 1, result: { _meta: meta() } }],
  ])('derives nothing for %s', (_name, message) => {
    expect(envelopeVersion(message)).toBeUndefined();
    expect(bodyHeaders(message)).toEqual({});
  });
});

describe('mergeRequestHeaders', () => {
  it('copies headers under lower-case names', () => {
    const target: Record<string, string> = { 'mcp-method': 'tools/call' };
    mergeRequestHeaders(target, { 'Mcp-Param-Region': 'us-west1', 'X-Trace': 'a\tb', Latin: 'caf\u00e9' });
    expect(target).toEqual({
      'mcp-method': 'tools/call',
      'mcp-param-region': 'us-west1',
      'x-trace': 'a\tb',
      latin: 'caf\u00e9',
    });
  });

  it('skips every reserved name, in any case', () => {
    const target: Record<string, string> = {};
    const extra = Object.fromEntries(
      [...RESERVED_HEADER_NAMES].flatMap((name) => [
        [name, 'x'],
        [name.toUpperCase(), 'x'],
      ]),
    );
    mergeRequestHeaders(target, extra);
    expect(target).toEqual({});
  });

  it('skips values that could inject headers or are not field values, and names that are not tokens', () => {
    const target: Record<string, string> = {};
    const extra = {
      'x-cr': 'a\rb',
      'x-lf': 'a\nX-Evil: 1',
      'x-nul': 'a\u0000',
      'x-del': 'a\u007f',
      'x-wide': '世界',
      'x-number': 42 as unknown as string,
      'x bad': 'v',
      'x:bad': 'v',
      '': 'v',
      'x-ok': 'ok',
    };
    mergeRequestHeaders(target, extra);
    expect(target).toEqual({ 'x-ok': 'ok' });
  });

  it('does nothing without extra headers', () => {
    const target = { a: 'b' };
    mergeRequestHeaders(target, undefined);
    expect(target).toEqual({ a: 'b' });
  });
});

describe('against the SDK v2 client on the wire', () => {
  let server: Server;
  let transport: StreamableHTTPClientTransport;
  let seen: IncomingHttpHeaders[];

  beforeEach(async () => {
    seen = [];
    server = createServer((request, response) => {
      seen.push(request.headers);
      request.resume();
      request.on('end', () => response.writeHead(202).end());
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    transport = new StreamableHTTPClientTransport(new URL(`http://127.0.0.1:${port}/mcp`));
    await transport.start();
  });

  afterEach(async () => {
    await transport.close();
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  });

  /** Sends a message through the SDK client and returns the headers the server received. */
  async function sdkSend(
    message: JsonRpcMessage,
    headers?: Record<string, string>,
  ): Promise<IncomingHttpHeaders> {
    const sdkMessage = message as Parameters<StreamableHTTPClientTransport['send']>[0];
    await transport.send(sdkMessage, headers === undefined ? undefined : { headers });
    const received = seen.pop();
    if (received === undefined) throw new Error('the server saw no request');
    return received;
  }

  const mcpHeaders = (headers: IncomingHttpHeaders): Record<string, unknown> =>
    Object.fromEntries(
      Object.entries(headers).filter(([name]) =>
        ['mcp-protocol-version', 'mcp-method', 'mcp-name'].includes(name),
      ),
    );

  it('encodes Mcp-Name byte for byte as the SDK does, for edge cases and fuzzed strings', async () => {
    for (const name of [...EDGE_STRINGS, ...FUZZ_STRINGS, ...SPEC_EXAMPLES.map(([value]) => value)]) {
      const message = call('tools/call', { name });
      const received = await sdkSend(message);
      expect(received['mcp-name'], JSON.stringify(name)).toBe(encodeHeaderValue(name));
      expect(bodyHeaders(message)).toEqual(mcpHeaders(received));
    }
  });

  it('derives the same headers as the SDK for every kind of message', async () => {
    const messages: JsonRpcMessage[] = [
      call('prompts/get', { name: 'p' }),
      call('resources/read', { uri: 'file:///ü' }),
      call('tasks/get', { taskId: 't-1' }),
      call('tasks/cancel', { taskId: ' t ' }),
      call('server/discover', {}),
      call('tools/call', { name: 42 }),
      call('tools/call', {}),
      call('resources/read', { name: 'not-the-uri' }),
      call('constructor', { name: 'x' }),
      { jsonrpc: '2.0', id: 2, method: 'tools/call', params: { name: 'x', _meta: meta('2025-06-18') } },
      { jsonrpc: '2.0', id: 3, method: 'tools/call', params: { name: 'x', _meta: meta(1) } },
      { jsonrpc: '2.0', id: 4, method: 'tools/call', params: { name: 'x', _meta: null } },
      { jsonrpc: '2.0', id: 5, method: 'tools/call', params: { name: 'x' } },
      { jsonrpc: '2.0', method: 'notifications/x', params: { _meta: meta() } },
      { jsonrpc: '2.0', id: 6, result: {} },
    ];
    for (const message of messages) {
      expect(bodyHeaders(message), JSON.stringify(message)).toEqual(mcpHeaders(await sdkSend(message)));
    }
  });

  it('refuses every per-request header the SDK refuses', async () => {
    const extra = {
      Authorization: 'Bearer stolen',
      DPoP: 'proof',
      'Content-Type': 'text/plain',
      'MCP-Protocol-Version': '1999-01-01',
      'Mcp-Method': 'evil',
      'MCP-NAME': 'evil',
      'Mcp-Session-Id': 'fixated',
      'X-Custom': 'kept',
      'Mcp-Param-Region': 'us-west1',
    };
    const received = await sdkSend(call('tools/call', { name: 'echo' }), extra);
    const merged: Record<string, string> = {};
    mergeRequestHeaders(merged, extra);
    for (const [name, value] of Object.entries(extra)) {
      const sdkKept = received[name.toLowerCase()] === value;
      expect(merged[name.toLowerCase()] === value, name).toBe(sdkKept);
    }
    expect(merged).toEqual({ 'x-custom': 'kept', 'mcp-param-region': 'us-west1' });
  });
});
