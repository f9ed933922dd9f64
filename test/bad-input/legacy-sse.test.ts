// Bad input on the legacy HTTP+SSE transport (2024-11-05), against a real child process
// (test/fixtures/bad-http-server.mjs) whose session stream carries whatever bytes a test hands
// it: junk before the endpoint, endpoints that are no URL or name another origin, the wrong
// content type, oversize and never-ending events, answers to unknown ids, a stream of junk that
// ends, error bodies that never end; and a loopback server that redirects the stream to another
// origin. Rows of docs/security.md "Bad input".

import { describe, expect, it } from 'vitest';
import {
  CONNECTION_LOST_RPC_CODE,
  ErrorCode,
  HttpError,
  type LifelineError,
  REQUEST_FAILED_RPC_CODE,
} from '../../src/index.js';
import { reply, startMisbehavingServer } from '../helpers/http-misbehaving.js';
import {
  b64,
  expectLifelineError,
  expectResult,
  expectRpcFailure,
  type Opened,
  rejection,
  reopened,
  useBadInputHarness,
  warnedCodes,
  within,
} from './harness.js';

const { open, keep, server } = useBadInputHarness('http');

/** The stream URL with the fixture's query (`pre`, `endpoint`, `type`). */
function streamUrl(query: Record<string, string> = {}): string {
  const url = new URL('/sse', server().url);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  return url.href;
}

async function started(limits?: { maxMessageBytes: number }, query: Record<string, string> = {}) {
  const opened = open({ url: streamUrl(query), type: 'sse', ...(limits === undefined ? {} : { limits }) });
  await opened.transport.start();
  return opened;
}

/** Has the server write `chunks` down the session's stream, then the answer event (unless `answer: 'none'`). */
function emit(opened: Opened, chunks: string[], extra: Record<string, unknown> = {}) {
  return opened.raw.request('emit', { chunks: chunks.map(b64), ...extra });
}

async function expectEchoed(opened: Opened, text: string): Promise<void> {
  const response = await within(5000, opened.raw.request('echo', { text }), 'echo');
  expect(expectResult(response)).toMatchObject({ method: 'echo', echo: { text } });
}

describe('HTTP+SSE: the stream before the endpoint', () => {
  it('connects through junk lines and events before the endpoint event, warning of each', async () => {
    const pre =
      'junk without colon\n\ndata: {not json}\n\nevent: message\ndata: {"jsonrpc":"2.0","method":"early"}\n\n';
    const opened = await started(undefined, { pre: b64(pre) });
    await expectEchoed(opened, 'connected');
    // A message before the endpoint has no session yet: dropped.
    expect(opened.raw.others).toEqual([]);
    expect(warnedCodes(opened.log)).toEqual([ErrorCode.Parse, ErrorCode.Parse]);
  });

  it.each([
    ['no URL', 'http://[::1'],
    ['a protocol-relative URL to another host', '//elsewhere.example/messages'],
    ['a data: URL', 'data:text/plain,hello'],
  ])(
    'fails the connection for good when the endpoint is %s (LIFELINE_ERR_ENDPOINT_ORIGIN), posting nothing',
    async (_name, endpoint) => {
      const opened = open({ url: streamUrl({ endpoint: b64(endpoint) }), type: 'sse' });
      const error = await rejection(opened.transport.start());
      expectLifelineError(error, ErrorCode.EndpointOrigin);
      expect((error as LifelineError).retryable).toBe(false);
      expect(opened.transport.state).toBe('failed');
    },
  );

  it('fails the connection for good when the stream is not text/event-stream (LIFELINE_ERR_CONTENT_TYPE)', async () => {
    const opened = open({ url: streamUrl({ type: 'text/html' }), type: 'sse' });
    const error = await rejection(opened.transport.start());
    expectLifelineError(error, ErrorCode.ContentType);
    expect(opened.transport.state).toBe('failed');
  });

  it('refuses a redirect of the stream to another origin (LIFELINE_ERR_REDIRECT), sending nothing there', async () => {
    const other = keep(await startMisbehavingServer());
    const redirecting = keep(
      await startMisbehavingServer((_request, response) =>
        reply(response, 302, undefined, '', { location: other.url('/sse') }),
      ),
    );
    const opened = open({
      url: redirecting.url('/sse'),
      type: 'sse',
      headers: { authorization: 'Bearer sekret' },
    });
    const error = await rejection(opened.transport.start());
    expectLifelineError(error, ErrorCode.Redirect);
    expect(other.requests).toEqual([]);
  });
});

describe('HTTP+SSE: the session stream', () => {
  it('drops an answer to an unknown id with a warning; the real answer arrives', async () => {
    const opened = await started();
    const stray = 'event: message\ndata: {"jsonrpc":"2.0","id":4242,"result":{}}\n\n';
    expect(expectResult(await emit(opened, [stray]))).toMatchObject({ method: 'emit' });
    expect(opened.log.messages('warn')).toEqual(['Dropped a response for unknown request id 4242']);
  });

  it('drops an oversize event that names no request with a warning; the stream and the link go on', async () => {
    const opened = await started({ maxMessageBytes: 8 * 1024 });
    const big = `data: ${'q'.repeat(32 * 1024)}\n\n`;
    const [answer] = await Promise.all([emit(opened, [big]), expectEchoed(opened, 'beside')]);
    expect(expectResult(answer)).toMatchObject({ method: 'emit' });
    expect(warnedCodes(opened.log)).toEqual([ErrorCode.MessageTooLarge]);
    expect(opened.transport.stats.links).toBe(1);
  });

  // Fails today: the HTTP+SSE link reads its stream without an `onOversize` hook
  // (src/transports/http/legacy-sse.ts, open) and readEventStream tells only that hook
  // (src/transports/http/events.ts), so the runtime never learns of it and the request waits.
  it('fails at once the request whose answer event is oversize (-32091, MESSAGE_TOO_LARGE), even when the event never ends', async () => {
    const opened = await started({ maxMessageBytes: 8 * 1024 });
    // The answer to the next request (id 2), whose data goes on past the limit without an end.
    const start = 'event: message\ndata: {"jsonrpc":"2.0","id":2,"result":{"text":"';
    void emit(opened, [start, 'x'.repeat(16 * 1024)], { answer: 'none', gapMs: 50 });
    const response = await within(
      3000,
      opened.raw.request('emit', { chunks: [], answer: 'none' }),
      'the request',
    );
    expectRpcFailure(response, REQUEST_FAILED_RPC_CODE, { code: ErrorCode.MessageTooLarge });
  });

  it('goes down with LIFELINE_ERR_STREAM_LOST when a stream of junk ends: the request in flight fails with -32090, the next session answers', async () => {
    const opened = await started();
    const junk = Array.from({ length: 50 }, (_, i) => `junk ${i}\n`.repeat(50));
    const response = await within(
      5000,
      opened.raw.request('emit', { chunks: junk.map(b64), answer: 'none', close: true, gapMs: 1 }),
      'the request in flight',
    );
    expectRpcFailure(response, CONNECTION_LOST_RPC_CODE, {
      code: ErrorCode.ConnectionLost,
      cause: ErrorCode.StreamLost,
    });
    await reopened(opened.transport, 2);
    await expectEchoed(opened, 'new session');
  });
});

describe('HTTP+SSE: bodies that never end', () => {
  // Issue 16, "an HTTP error response whose body never ends can hold a request": holds without
  // a deadline on reading the error body (the fix: src/transports/http/error-body.ts).
  it('fails a message whose POST is answered 500 with a body that never ends with an HttpError, within seconds', async () => {
    const opened = await started();
    const [bad] = await Promise.all([
      within(
        5000,
        rejection(
          emit(opened, ['internal trou'], {
            status: 500,
            headers: { 'content-type': 'text/plain' },
            end: false,
          }),
        ),
        'the request',
      ),
      expectEchoed(opened, 'beside'),
    ]);
    expect(bad).toBeInstanceOf(HttpError);
    expect(bad).toMatchObject({ status: 500 });
  });
});
