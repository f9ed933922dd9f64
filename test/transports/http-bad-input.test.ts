// The HTTP links against servers that misbehave: wrong content types, broken JSON, garbage in
// SSE streams, error statuses, oversize answers, streams that end early, endpoints and
// redirects to other origins, reset connections and forgotten sessions. Each ends in a typed
// error or a JSON-RPC error response for the one request concerned, never a crash, a hang or a
// lost neighbour, and the configured credential appears nowhere but on the wire to its origin.
// Every server is a real loopback server (test/helpers/http-misbehaving.ts); nothing is mocked.

import { SdkHttpError } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import type { JsonRpcResponse } from '../../src/codec/jsonrpc.js';
import { HttpError } from '../../src/errors.js';
import {
  CONNECTION_LOST_RPC_CODE,
  createTransport,
  ErrorCode,
  LifelineError,
  type LifelineTransport,
  REQUEST_FAILED_RPC_CODE,
} from '../../src/index.js';
import type { HttpConfig } from '../../src/runtime/options/resolve.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import {
  answerTo,
  type Behaviour,
  initializeAnswer,
  type MisbehavingServer,
  type RecordedRequest,
  reply,
  replyJson,
  replySse,
  sseEvent,
  standard,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';
import { waitFor } from '../helpers/processes.js';
import { errorOf, Raw, record, recordingLogger } from '../helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const TOKEN = 'sekret-token-123';
const AUTHORIZATION = `Bearer ${TOKEN}`;

const keep = closeAfterEach({ rejections: true });

async function serve(behaviour?: Behaviour): Promise<MisbehavingServer> {
  const server = await startMisbehavingServer(behaviour);
  keep(server);
  return server;
}

/** A server that answers `standard`ly except for the methods given. */
function serveExcept(special: Record<string, Behaviour>): Promise<MisbehavingServer> {
  return serve((request, response) => {
    const behaviour = special[request.rpc?.method ?? ''];
    return behaviour === undefined ? standard(request, response) : behaviour(request, response);
  });
}

interface Opened {
  transport: LifelineTransport;
  raw: Raw;
  log: ReturnType<typeof recordingLogger>;
  /** Every error `onerror` got. */
  errors: Error[];
}

type Extra = Partial<Omit<HttpConfig, 'url'>>;

/** A transport with the credential header, a recording logger, small delays and no heartbeat. */
function open(url: string, extra: Extra = {}): Opened {
  const log = recordingLogger();
  const transport = createTransport({
    url,
    headers: { authorization: AUTHORIZATION },
    logger: log.logger,
    reconnect: { initialDelayMs: 20, jitter: 0 },
    heartbeat: { intervalMs: 0 },
    timeouts: { closeMs: 200 },
    ...extra,
  });
  keep(transport);
  const errors: Error[] = [];
  transport.onerror = (error) => errors.push(error);
  return { transport, raw: new Raw(transport), log, errors };
}

/** Everything an error shows: message, stack, JSON form and causes. */
function errorTexts(value: unknown, depth = 0): string[] {
  if (depth > 4 || value === undefined || value === null) return [];
  if (!(value instanceof Error)) return [typeof value === 'string' ? value : JSON.stringify(value)];
  return [value.message, String(value.stack), JSON.stringify(value), ...errorTexts(value.cause, depth + 1)];
}

/** The credential is in no error, no log line, no snapshot and no synthesized answer. */
function expectNoLeak(opened: Opened, ...more: unknown[]): void {
  const texts = [
    JSON.stringify(opened.log.calls),
    JSON.stringify(opened.transport.actor.getSnapshot().context),
    JSON.stringify(opened.transport.status),
    JSON.stringify(opened.raw.responses),
    ...opened.errors.flatMap((error) => errorTexts(error)),
    ...more.flatMap((value) => errorTexts(value)),
  ];
  for (const text of texts) expect(text).not.toContain(TOKEN);
}

/** A promise that settles like `promise` but is never reported unhandled meanwhile. */
function settle<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** The rejection of a promise (fails when it resolves). */
async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

function expectResult(response: JsonRpcResponse, method: string): void {
  expect(response).toMatchObject({ result: { method } });
}

// ---------------------------------------------------------------------------------------------
// Bodies the link cannot read
// ---------------------------------------------------------------------------------------------

describe('answers the link cannot read', () => {
  it('fails a request answered with text/html with LIFELINE_ERR_CONTENT_TYPE and stays open', async () => {
    const server = await serveExcept({
      html: (_request, response) => reply(response, 200, 'text/html', '<html><body>Login</body></html>'),
    });
    const opened = open(server.url());
    await opened.transport.start();

    const [bad, good] = await Promise.allSettled([opened.raw.request('html'), opened.raw.request('good')]);
    expect(bad.status).toBe('rejected');
    const error = (bad as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toMatchObject({ code: ErrorCode.ContentType });
    expect(good.status).toBe('fulfilled');
    expectResult((good as PromiseFulfilledResult<JsonRpcResponse>).value, 'good');

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    // The credential went on the wire to its own origin, and nowhere else.
    expect(server.requests[0]?.headers.authorization).toBe(AUTHORIZATION);
    expectNoLeak(opened, error);
  });

  it('fails a request answered with invalid JSON with LIFELINE_ERR_PARSE and stays open', async () => {
    const server = await serveExcept({
      broken: (_request, response) =>
        reply(response, 200, 'application/json', '{"jsonrpc":"2.0","id":1,"res'),
    });
    const opened = open(server.url());
    await opened.transport.start();

    const [bad, good] = await Promise.allSettled([opened.raw.request('broken'), opened.raw.request('good')]);
    const error = (bad as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toMatchObject({ code: ErrorCode.Parse });
    expectResult((good as PromiseFulfilledResult<JsonRpcResponse>).value, 'good');

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened, error);
  });

  it('delivers the answer after garbage lines and invalid events in its SSE stream, reporting them as warnings', async () => {
    const server = await serveExcept({
      noisy: (request, response) =>
        replySse(response, [
          ': a comment is fine\n\n',
          'this line is garbage\n\n',
          'event: message\ndata: {not json at all\n\n',
          'data: {"jsonrpc":"2.0","result":{}}\n\n',
          'data: [1, 2, 3]\n\n',
          sseEvent({ jsonrpc: '2.0', method: 'notifications/message', params: { level: 'info', data: 'x' } }),
          sseEvent(answerTo(request)),
        ]),
    });
    const opened = open(server.url());
    await opened.transport.start();

    const [noisy, good] = await Promise.all([opened.raw.request('noisy'), opened.raw.request('good')]);
    expectResult(noisy, 'noisy');
    expectResult(good, 'good');
    // The valid notification in between got through as well.
    expect(opened.raw.others).toMatchObject([{ method: 'notifications/message' }]);
    // Garbage is a diagnostic, not a failure.
    expect(opened.log.messages('warn').length).toBeGreaterThanOrEqual(3);
    expect(opened.errors).toEqual([]);
    expect(opened.transport.stats.failed).toBe(0);
    expect(opened.transport.state).toBe('open');
    expectNoLeak(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Error statuses
// ---------------------------------------------------------------------------------------------

describe('error statuses', () => {
  it('fails a request answered with 500 with an HttpError the SDK recognises, and the link stays up', async () => {
    const server = await serveExcept({
      'tools/call': (request, response) =>
        request.rpc?.params?.name === 'boom'
          ? reply(response, 500, 'text/plain', 'internal trouble')
          : standard(request, response),
    });
    const opened = open(server.url());
    const client = new Client({ name: 'bad-input', version: '1.0.0' });
    await client.connect(opened.transport);

    const error = await rejection(client.callTool({ name: 'boom', arguments: {} }));
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ code: ErrorCode.Http, status: 500 });
    // The brand check: the v2 SDK's `instanceof SdkHttpError` matches our error.
    expect(error instanceof SdkHttpError).toBe(true);
    expect((error as HttpError).data).toMatchObject({ status: 500, text: 'internal trouble' });

    expect(opened.transport.state).toBe('open');
    const after = await client.callTool({ name: 'fine', arguments: {} });
    expect(after.content).toEqual([{ type: 'text', text: 'ok: tools/call' }]);
    expect(opened.transport.stats.links).toBe(1);
    await client.close();
    expectNoLeak(opened, error);
  });

  it('goes to reconnecting after a 503 with Retry-After, waits what the server asked, and sends the refused request again', async () => {
    let unavailable = true;
    const server = await serveExcept({
      flaky: (request, response) => {
        if (!unavailable) return standard(request, response);
        unavailable = false;
        reply(response, 503, 'text/plain', 'busy', { 'retry-after': '1' });
      },
    });
    const opened = open(server.url());
    const statuses = record(opened.transport);
    await opened.transport.start();

    const outcome = settle(opened.raw.request('flaky'));
    await waitFor(() => statuses.some((status) => status.state === 'reconnecting'), {
      message: 'never went to reconnecting',
    });
    const reconnecting = statuses.find((status) => status.state === 'reconnecting');
    expect(reconnecting?.delayMs).toBe(1000);
    expect(reconnecting?.error?.code).toBe(ErrorCode.Http);
    await waitFor(() => opened.transport.state === 'open', { message: 'never recovered' });
    expectResult(await opened.raw.request('flaky'), 'flaky');
    expect(statuses.some((status) => status.state === 'failed')).toBe(false);

    // A 503 was not processed (RFC 9110 §15.6.4): the refused request waited in the queue for
    // the next link and was answered there (the failure table's 503 row).
    expectResult(await outcome, 'flaky');
    expect(opened.transport.stats.failed).toBe(0);
    expectNoLeak(opened);
  });

  it('fails the connection on 401 with a non-retryable error that points at the credentials', async () => {
    const server = await serve((request, response) =>
      request.method === 'POST'
        ? reply(response, 401, 'text/plain', 'unauthorized', { 'www-authenticate': 'Bearer' })
        : standard(request, response),
    );
    const opened = open(server.url());
    let closes = 0;
    opened.transport.onclose = () => {
      closes += 1;
    };
    await opened.transport.start();

    const outcome = settle(opened.raw.request('tools/list'));
    await waitFor(() => opened.transport.state === 'failed', { message: 'never failed' });
    const failure = opened.transport.status.error;
    expect(failure).toBeInstanceOf(HttpError);
    expect(failure).toMatchObject({ code: ErrorCode.Http, status: 401, retryable: false });
    expect(failure?.message).toMatch(/credentials/);
    expect(closes).toBe(1);
    // No retry: one POST only.
    expect(server.posted()).toEqual(['tools/list']);
    await expect(opened.raw.request('again')).rejects.toMatchObject({ code: ErrorCode.Closed });

    // The request failed to its caller with the same typed error.
    const error = await rejection(outcome);
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 401, retryable: false });
    expect(error instanceof SdkHttpError).toBe(true);
    expectNoLeak(opened, error, failure);
  });
});

// ---------------------------------------------------------------------------------------------
// Size limits
// ---------------------------------------------------------------------------------------------

describe('oversize answers', () => {
  const limits = { maxMessageBytes: 64 * 1024 };
  const blob = 'x'.repeat(1024 * 1024);

  it('fails a request whose JSON answer exceeds limits.maxMessageBytes with LIFELINE_ERR_MESSAGE_TOO_LARGE; the next one works', async () => {
    const server = await serveExcept({
      huge: (request, response) => replyJson(response, answerTo(request, { blob })),
    });
    const opened = open(server.url(), { limits });
    await opened.transport.start();

    const [huge, good] = await Promise.allSettled([opened.raw.request('huge'), opened.raw.request('good')]);
    const error = (huge as PromiseRejectedResult).reason;
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expectResult((good as PromiseFulfilledResult<JsonRpcResponse>).value, 'good');

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened, error);
  });

  it('answers a request whose SSE answer event is oversize with LIFELINE_ERR_MESSAGE_TOO_LARGE; the stream and the link go on', async () => {
    const server = await serveExcept({
      huge: (request, response) =>
        replySse(response, [
          sseEvent({ jsonrpc: '2.0', id: request.rpc?.id, result: { blob } }),
          sseEvent({
            jsonrpc: '2.0',
            method: 'notifications/message',
            params: { level: 'info', data: 'after' },
          }),
        ]),
    });
    const opened = open(server.url(), { limits });
    await opened.transport.start();

    const [huge, good] = await Promise.all([opened.raw.request('huge'), opened.raw.request('good')]);
    const failure = errorOf(huge);
    expect(failure.code).toBe(REQUEST_FAILED_RPC_CODE);
    expect(failure.data).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expectResult(good, 'good');
    // What followed the oversize event in the same stream was delivered.
    await waitFor(() => opened.raw.others.length === 1);
    expect(opened.raw.others).toMatchObject([{ params: { data: 'after' } }]);

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened);
  });

  it('answers with LIFELINE_ERR_MESSAGE_TOO_LARGE also when the oversize answer\'s result has a "method" key', async () => {
    const server = await serveExcept({
      huge: (request, response) =>
        replySse(response, [
          sseEvent({ jsonrpc: '2.0', id: request.rpc?.id, result: { method: 'tools/call', blob } }),
        ]),
    });
    const opened = open(server.url(), { limits });
    await opened.transport.start();

    const failure = errorOf(await opened.raw.request('huge'));
    expect(failure.data).toMatchObject({ code: ErrorCode.MessageTooLarge });
    expect(failure.code).toBe(REQUEST_FAILED_RPC_CODE);
    expectNoLeak(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Streams and connections that break
// ---------------------------------------------------------------------------------------------

describe('streams and connections that break', () => {
  it('answers at once with the connection-lost code when a response stream (no event ids) ends without the answer', async () => {
    const server = await serveExcept({
      cut: (_request, response) =>
        replySse(response, [
          sseEvent({
            jsonrpc: '2.0',
            method: 'notifications/progress',
            params: { progressToken: 1, progress: 1 },
          }),
        ]),
    });
    const opened = open(server.url());
    await opened.transport.start();

    const answers: JsonRpcResponse[] = [];
    void opened.raw.request('cut').then((response) => answers.push(response));
    const good = await opened.raw.request('good');
    expectResult(good, 'good');
    // No request timeout is configured: only an immediate answer can arrive.
    await waitFor(() => answers.length === 1, { message: 'the request was left hanging' });

    const failure = errorOf(answers[0] as JsonRpcResponse);
    expect(failure.code).toBe(CONNECTION_LOST_RPC_CODE);
    expect(failure.data).toMatchObject({ code: ErrorCode.ConnectionLost, cause: ErrorCode.StreamLost });
    expect(opened.raw.others).toMatchObject([{ method: 'notifications/progress' }]);
    // The stream ended, not the link.
    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened);
  });

  it('answers with the connection-lost code (LIFELINE_ERR_NETWORK) when the server resets the connection', async () => {
    const server = await serveExcept({
      reset: (_request, response) => {
        response.socket?.resetAndDestroy();
      },
    });
    const opened = open(server.url());
    await opened.transport.start();

    const [reset, good] = await Promise.all([opened.raw.request('reset'), opened.raw.request('good')]);
    const failure = errorOf(reset);
    expect(failure.code).toBe(CONNECTION_LOST_RPC_CODE);
    expect(failure.data).toMatchObject({ cause: ErrorCode.Network });
    expectResult(good, 'good');

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Other origins
// ---------------------------------------------------------------------------------------------

describe('other origins', () => {
  it('fails a legacy HTTP+SSE connection whose endpoint event names another origin, and posts nothing there', async () => {
    const other = await serve();
    const server = await serve((request, response) =>
      request.method === 'GET'
        ? replySse(response, [`event: endpoint\ndata: ${other.url('/messages?sessionId=1')}\n\n`], {
            end: false,
          })
        : standard(request, response),
    );
    const opened = open(server.url('/sse'), { type: 'sse' });

    const started = rejection(opened.transport.start());
    // Queued while connecting; answered when the connection gives up.
    const pending = opened.raw.request('initialize', { protocolVersion: '2024-11-05' });
    const error = await started;
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toMatchObject({ code: ErrorCode.EndpointOrigin, retryable: false });
    expect(opened.transport.state).toBe('failed');
    expect(opened.transport.status.error?.code).toBe(ErrorCode.EndpointOrigin);
    expect(errorOf(await pending).code).toBe(CONNECTION_LOST_RPC_CODE);

    expect(other.requests).toEqual([]);
    expect(server.posted()).toEqual([]);
    expectNoLeak(opened, error);
  });

  it('refuses a 307 to another origin with LIFELINE_ERR_REDIRECT by default; the other origin gets nothing', async () => {
    const other = await serve();
    const server = await serveExcept({
      moved: (_request, response) => reply(response, 307, undefined, '', { location: other.url('/mcp') }),
    });
    const opened = open(server.url());
    await opened.transport.start();

    const error = await rejection(opened.raw.request('moved'));
    expect(error).toBeInstanceOf(LifelineError);
    expect(error).toMatchObject({ code: ErrorCode.Redirect });
    expect(other.requests).toEqual([]);

    expect(opened.transport.state).toBe('open');
    expectResult(await opened.raw.request('next'), 'next');
    expectNoLeak(opened, error);
  });

  it('follows a 307 to another origin with redirect: "follow", without the authorization header', async () => {
    const other = await serve();
    const server = await serveExcept({
      moved: (_request, response) => reply(response, 307, undefined, '', { location: other.url('/mcp') }),
    });
    const opened = open(server.url(), { redirect: 'follow' });
    await opened.transport.start();

    expectResult(await opened.raw.request('moved'), 'moved');
    expect(server.requests[0]?.headers.authorization).toBe(AUTHORIZATION);
    expect(other.requests).toHaveLength(1);
    const followed = other.requests[0] as RecordedRequest;
    expect(followed.rpc?.method).toBe('moved');
    expect(followed.headers.authorization).toBeUndefined();
    expect(JSON.stringify(followed.headers)).not.toContain(TOKEN);
    expectNoLeak(opened);
  });

  it('follows a same-origin 307, credentials included', async () => {
    const server = await serve((request, response) =>
      request.url === '/mcp' && request.method === 'POST'
        ? reply(response, 307, undefined, '', { location: '/mcp-v2' })
        : standard(request, response),
    );
    const opened = open(server.url());
    await opened.transport.start();

    expectResult(await opened.raw.request('moved'), 'moved');
    expect(server.requests.map((request) => request.url)).toEqual(['/mcp', '/mcp-v2']);
    expect(server.requests[1]?.headers.authorization).toBe(AUTHORIZATION);
    expectNoLeak(opened);
  });
});

// ---------------------------------------------------------------------------------------------
// Expired sessions
// ---------------------------------------------------------------------------------------------

describe('an expired session', () => {
  it('after a 404 to a request with a session id, starts a fresh session and sends the request again once', async () => {
    let sessions = 0;
    let live: string | undefined;
    const server = await serve((request, response) => {
      if (request.method !== 'POST') return standard(request, response);
      if (request.rpc?.method === 'initialize') {
        sessions += 1;
        live = `session-${sessions}`;
        return replyJson(response, initializeAnswer(request), 200, { 'mcp-session-id': live });
      }
      if (request.headers['mcp-session-id'] !== live) {
        return replyJson(
          response,
          { jsonrpc: '2.0', id: null, error: { code: -32001, message: 'Session not found' } },
          404,
        );
      }
      return standard(request, response);
    });
    const opened = open(server.url(), { type: 'http' });
    const client = new Client({ name: 'bad-input', version: '1.0.0' });
    await client.connect(opened.transport);
    expect(opened.transport.sessionId).toBe('session-1');
    expect((await client.callTool({ name: 'echo', arguments: {} })).content).toHaveLength(1);

    // The server forgets the session.
    live = undefined;
    const result = await client.callTool({ name: 'again', arguments: {} });
    expect(result.content).toEqual([{ type: 'text', text: 'ok: tools/call' }]);
    expect(opened.transport.sessionId).toBe('session-2');

    const posts = server.requests.filter((request) => request.method === 'POST');
    const calls = posts.filter((request) => request.rpc?.params?.name === 'again');
    // Once refused with the old session, once again with the new one: no more.
    expect(calls.map((request) => request.headers['mcp-session-id'])).toEqual(['session-1', 'session-2']);
    const inits = posts.filter((request) => request.rpc?.method === 'initialize');
    expect(inits).toHaveLength(2);
    expect(inits[1]?.headers['mcp-session-id']).toBeUndefined();
    // The fresh initialize came after the refusal and before the request was sent again.
    expect(posts.indexOf(inits[1] as RecordedRequest)).toBeGreaterThan(
      posts.indexOf(calls[0] as RecordedRequest),
    );
    expect(posts.indexOf(inits[1] as RecordedRequest)).toBeLessThan(
      posts.indexOf(calls[1] as RecordedRequest),
    );
    expect(opened.transport.stats.reestablished).toBe(1);
    await client.close();
    expectNoLeak(opened);
  });
});
