// Bad input on Streamable HTTP, both eras, against a real child process
// (test/fixtures/bad-http-server.mjs) that answers a request with whatever status, headers and
// body bytes the test hands it: wrong content types, broken envelopes, unknown ids, SSE events
// that never end, endless junk, bodies that never end, oversize answers in the modern era, huge
// and malformed response heads. Rows of docs/security.md "Bad input". What the legacy era
// already proves (text/html, bad JSON, oversize answers, 5xx, redirects) is in
// test/transports/http-bad-input.test.ts.

import { describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE, ErrorCode, HttpError, REQUEST_FAILED_RPC_CODE } from '../../src/index.js';
import {
  b64,
  expectLifelineError,
  expectResult,
  expectRpcFailure,
  type Opened,
  rejection,
  settle,
  useBadInputHarness,
  warnedCodes,
  within,
} from './harness.js';

const MODERN = '2026-07-28';
const { open, server } = useBadInputHarness('http');

type Era = 'legacy' | 'modern';

async function started(era: Era = 'legacy', limits?: { maxMessageBytes: number }) {
  const opened = open({ url: server().url, type: 'http', ...(limits === undefined ? {} : { limits }) });
  if (era === 'modern') opened.transport.setProtocolVersion(MODERN);
  await opened.transport.start();
  return opened;
}

/** A request in the era: a modern one names its protocol version in `_meta` (so it may be re-issued). */
function request(opened: Opened, era: Era, method: string, params: Record<string, unknown> = {}) {
  const meta = era === 'modern' ? { _meta: { 'io.modelcontextprotocol/protocolVersion': MODERN } } : {};
  return opened.raw.request(method, { ...params, ...meta });
}

/** Has the server answer the request with `status`, `headers` and the raw `chunks`. */
function emit(
  opened: Opened,
  era: Era,
  chunks: (string | Uint8Array)[],
  extra: {
    status?: number;
    headers?: Record<string, string>;
    answer?: string;
    end?: boolean;
    gapMs?: number;
  } = {},
) {
  return request(opened, era, 'emit', { chunks: chunks.map(b64), ...extra });
}

/** A good request beside the bad one: answered. */
async function expectEchoed(opened: Opened, era: Era, text: string): Promise<void> {
  const response = await within(5000, request(opened, era, 'echo', { text }), 'echo');
  expect(expectResult(response)).toMatchObject({ method: 'echo', echo: { text } });
}

const JSON_TYPE = { 'content-type': 'application/json' };

describe('Streamable HTTP: answers of the wrong type or shape', () => {
  it.each([
    ['no content type', {}, '{}'],
    ['text/plain holding JSON', { 'content-type': 'text/plain' }, '{"jsonrpc":"2.0","id":1,"result":{}}'],
    ['application/octet-stream', { 'content-type': 'application/octet-stream' }, '\u0000\u0001'],
  ])(
    'fails a request answered with %s with LIFELINE_ERR_CONTENT_TYPE; the link stays open',
    async (_name, headers, body) => {
      const opened = await started();
      const [bad] = await Promise.all([
        rejection(emit(opened, 'legacy', [body], { headers })),
        expectEchoed(opened, 'legacy', 'beside'),
      ]);
      expectLifelineError(bad, ErrorCode.ContentType);
      expect(opened.transport.state).toBe('open');
    },
  );

  it('fails a request answered 202 with no body with LIFELINE_ERR_CONTENT_TYPE', async () => {
    const opened = await started();
    expectLifelineError(
      await rejection(emit(opened, 'legacy', [], { status: 202, headers: {} })),
      ErrorCode.ContentType,
    );
    await expectEchoed(opened, 'legacy', 'after');
  });

  it.each<[string, string]>([
    ['an error whose code is not an integer', '{"jsonrpc":"2.0","id":1,"error":{"code":"E","message":"m"}}'],
    ['both result and error', '{"jsonrpc":"2.0","id":1,"result":{},"error":{"code":1,"message":"m"}}'],
    ['a JSON-RPC 1.0 answer', '{"jsonrpc":"1.0","id":1,"result":{}}'],
    ['an answer to another id', '{"jsonrpc":"2.0","id":999,"result":{}}'],
    ['an empty batch', '[]'],
  ])('fails a request whose JSON answer is %s with LIFELINE_ERR_INVALID_ENVELOPE', async (_name, body) => {
    const opened = await started();
    const bad = await rejection(emit(opened, 'legacy', [body], { headers: JSON_TYPE }));
    expectLifelineError(bad, ErrorCode.InvalidEnvelope);
    await expectEchoed(opened, 'legacy', 'after');
    expect(opened.transport.state).toBe('open');
  });

  it('takes the answer out of a batch that also holds junk and an answer to an unknown id, warning of both', async () => {
    const opened = await started();
    const body =
      '[{"jsonrpc":"2.0","id":777,"result":{}}, 42, {"jsonrpc":"2.0","id":1,"result":{"batched":true}}]';
    const response = await emit(opened, 'legacy', [body], { headers: JSON_TYPE });
    expect(expectResult(response)).toEqual({ batched: true });
    expect(opened.log.messages('warn')).toEqual([
      'Dropped a response for unknown request id 777',
      'Dropped an invalid message: not an object',
    ]);
  });

  it('drops an SSE event answering an unknown id, with a warning, and delivers the real answer after it', async () => {
    const opened = await started();
    const stray = 'event: message\ndata: {"jsonrpc":"2.0","id":"nobody","result":{}}\n\n';
    const response = await emit(opened, 'legacy', [stray], { answer: 'sse' });
    expect(expectResult(response)).toMatchObject({ method: 'emit' });
    expect(opened.log.messages('warn')).toEqual(['Dropped a response for unknown request id nobody']);
  });
});

describe('Streamable HTTP: SSE that is malformed or never ends', () => {
  it('fails the request whose answer event never ends as soon as it crosses the limit (-32091, MESSAGE_TOO_LARGE), though the body never ends', async () => {
    const opened = await started('legacy', { maxMessageBytes: 16 * 1024 });
    // The answer's start names the request (id 1); then its data goes on and on.
    const start = 'event: message\ndata: {"jsonrpc":"2.0","id":1,"result":{"text":"';
    const more = Array.from({ length: 40 }, () => 'x'.repeat(4096));
    const [response] = await Promise.all([
      within(5000, emit(opened, 'legacy', [start, ...more], { end: false, gapMs: 1 }), 'the request'),
      expectEchoed(opened, 'legacy', 'beside'),
    ]);
    expectRpcFailure(response, REQUEST_FAILED_RPC_CODE, { code: ErrorCode.MessageTooLarge });
    expect(warnedCodes(opened.log)).toEqual([ErrorCode.MessageTooLarge]);
    expect(opened.transport.state).toBe('open');
  });

  it('survives an endless stream of junk lines, warning with LIFELINE_ERR_PARSE per line, and answers -32090 when it ends', async () => {
    const opened = await started('legacy', { maxMessageBytes: 16 * 1024 });
    // 20,000 lines that are no SSE field, in 200 writes; none of them ends an event.
    const junk = Array.from({ length: 200 }, (_, i) => `junk ${i} with no colon\n`.repeat(100));
    const pending = settle(emit(opened, 'legacy', junk, { gapMs: 1 }));
    // Meanwhile the link carries other requests.
    await expectEchoed(opened, 'legacy', 'meanwhile');
    const response = await within(8000, pending, 'the request');
    expectRpcFailure(response, CONNECTION_LOST_RPC_CODE, {
      code: ErrorCode.ConnectionLost,
      cause: ErrorCode.StreamLost,
    });
    // One warning per junk line: the log grows with the junk (see docs/security.md).
    expect(warnedCodes(opened.log).filter((code) => code === ErrorCode.Parse)).toHaveLength(20_000);
    expect(opened.transport.state).toBe('open');
  });

  it('fails the request when a junk line on its stream is over the limit (-32091): it is taken for the answer', async () => {
    const opened = await started('legacy', { maxMessageBytes: 16 * 1024 });
    const response = await within(
      5000,
      emit(opened, 'legacy', [`junk${'z'.repeat(20_000)}`], { end: false }),
      'the request',
    );
    expectRpcFailure(response, REQUEST_FAILED_RPC_CODE, { code: ErrorCode.MessageTooLarge });
    await expectEchoed(opened, 'legacy', 'after');
  });

  it('modern era: re-issues a request whose stream carried only junk, then fails it with -32090 (STREAM_LOST)', async () => {
    const opened = await started('modern');
    const junk = [
      'data: {not json\n\n',
      'event: endpoint\ndata: /elsewhere\n\n',
      ': comment\n\nretry: soon\n\n',
    ];
    const [response] = await Promise.all([
      within(5000, emit(opened, 'modern', junk), 'the request'),
      expectEchoed(opened, 'modern', 'beside'),
    ]);
    expectRpcFailure(response, CONNECTION_LOST_RPC_CODE, {
      code: ErrorCode.ConnectionLost,
      cause: ErrorCode.StreamLost,
    });
    expect(opened.transport.stats.reissued).toBeGreaterThanOrEqual(1);
    expect(opened.transport.state).toBe('open');
  });
});

describe('Streamable HTTP: oversize answers in the modern era', () => {
  const limits = { maxMessageBytes: 32 * 1024 };
  const blob = 'x'.repeat(256 * 1024);

  it('fails a request whose JSON answer is over the limit with LIFELINE_ERR_MESSAGE_TOO_LARGE, not re-issued', async () => {
    const opened = await started('modern', limits);
    const body = JSON.stringify({ jsonrpc: '2.0', id: 1, result: { blob } });
    const [bad] = await Promise.all([
      rejection(emit(opened, 'modern', [body], { headers: JSON_TYPE })),
      expectEchoed(opened, 'modern', 'beside'),
    ]);
    expectLifelineError(bad, ErrorCode.MessageTooLarge);
    expect(opened.transport.stats.reissued).toBe(0);
  });

  it('fails a request whose SSE answer event is over the limit with -32091, not re-issued', async () => {
    const opened = await started('modern', limits);
    const event = `event: message\ndata: ${JSON.stringify({ jsonrpc: '2.0', id: 1, result: { blob } })}\n\n`;
    const [response] = await Promise.all([
      emit(opened, 'modern', [event]),
      expectEchoed(opened, 'modern', 'beside'),
    ]);
    expectRpcFailure(response, REQUEST_FAILED_RPC_CODE, { code: ErrorCode.MessageTooLarge });
    expect(opened.transport.stats.reissued).toBe(0);
  });
});

describe('Streamable HTTP: bodies that never end', () => {
  it('fails a request whose JSON answer keeps growing and never ends at the limit (MESSAGE_TOO_LARGE)', async () => {
    const opened = await started('legacy', { maxMessageBytes: 16 * 1024 });
    const chunks = [
      '{"jsonrpc":"2.0","id":1,"result":"',
      ...Array.from({ length: 20 }, () => 'y'.repeat(4096)),
    ];
    const bad = await within(
      5000,
      rejection(emit(opened, 'legacy', chunks, { headers: JSON_TYPE, end: false, gapMs: 1 })),
      'the request',
    );
    expectLifelineError(bad, ErrorCode.MessageTooLarge);
    await expectEchoed(opened, 'legacy', 'after');
  });

  // Issue 16, "an HTTP error response whose body never ends can hold a request": holds without
  // a deadline on reading the error body (the fix: src/transports/http/error-body.ts).
  it('fails a request answered 500 whose body never ends with an HttpError, within seconds', async () => {
    const opened = await started();
    const [bad] = await Promise.all([
      within(
        5000,
        rejection(
          emit(opened, 'legacy', ['internal trou'], {
            status: 500,
            headers: { 'content-type': 'text/plain' },
            end: false,
          }),
        ),
        'the request',
      ),
      expectEchoed(opened, 'legacy', 'beside'),
    ]);
    expect(bad).toBeInstanceOf(HttpError);
    expect(bad).toMatchObject({ code: ErrorCode.Http, status: 500 });
    expect(opened.transport.state).toBe('open');
  });
});

describe('Streamable HTTP: response heads that break HTTP', () => {
  const heads: [string, string][] = [
    [
      'a 64 KiB header',
      `HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nX-Filler: ${'h'.repeat(64 * 1024)}\r\nContent-Length: 2\r\n\r\n{}`,
    ],
    ['a status line that is not HTTP', 'HTTP/1.1 abc def\r\n\r\n'],
    ['garbage instead of a response', '\u0000\u0001\u0002 not http at all\r\n\r\n'],
    [
      'both Content-Length and chunked',
      'HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
  ];

  it.each(heads)(
    'answers a request whose response has %s with -32090 (LIFELINE_ERR_NETWORK); the link stays open',
    async (_name, head) => {
      const opened = await started();
      const [response] = await Promise.all([
        within(5000, request(opened, 'legacy', 'raw', { bytes: b64(head) }), 'the request'),
        expectEchoed(opened, 'legacy', 'beside'),
      ]);
      expectRpcFailure(response, CONNECTION_LOST_RPC_CODE, {
        code: ErrorCode.ConnectionLost,
        cause: ErrorCode.Network,
      });
      expect(opened.transport.state).toBe('open');
      await expectEchoed(opened, 'legacy', 'after');
    },
  );
});
