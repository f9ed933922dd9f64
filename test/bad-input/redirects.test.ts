// Redirects a server should not be trusted with, on Streamable HTTP, against loopback servers
// (test/helpers/http-misbehaving.ts): a 307 to another origin followed with `redirect: 'follow'`
// must carry no credential of this origin (Authorization, Cookie, configured headers, the
// session id: that one does today, see the report of issue 16); a 302/303 that would turn the POST into a GET, a loop, or a Location that is not
// http(s) fail the one request with LIFELINE_ERR_REDIRECT. The refusal by default and the
// same-origin case are in test/transports/http-bad-input.test.ts; the stream of HTTP+SSE in
// ./legacy-sse.test.ts; the WebSocket upgrade in ./websocket.test.ts.

import { describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE, ErrorCode } from '../../src/index.js';
import {
  answerTo,
  initializeAnswer,
  type MisbehavingServer,
  type RecordedRequest,
  reply,
  replyJson,
  standard,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';
import {
  expectLifelineError,
  expectResult,
  expectRpcFailure,
  rejection,
  useBadInputHarness,
} from './harness.js';

const TOKEN = 'sekret-token-4711';
const SESSION = 'session-secret-0815';
const COOKIE = 'sticky=cookie-secret-42';
const { open, keep } = useBadInputHarness();

/** A stateful origin: initialize sets a session id and a cookie; `moved` answers 307 to `target`. */
async function statefulOrigin(target: () => string, status = 307): Promise<MisbehavingServer> {
  return keep(
    await startMisbehavingServer((request, response) => {
      if (request.rpc?.method === 'initialize')
        return replyJson(response, initializeAnswer(request), 200, {
          'mcp-session-id': SESSION,
          'set-cookie': COOKIE,
        });
      if (request.rpc?.method === 'moved')
        return reply(response, status, undefined, '', { location: target() });
      return standard(request, response);
    }),
  );
}

function openTo(server: MisbehavingServer, redirect: 'follow' | 'same-origin' = 'follow') {
  return open({
    url: server.url(),
    type: 'http',
    redirect,
    headers: { authorization: `Bearer ${TOKEN}`, 'x-api-key': TOKEN },
  });
}

async function initialized(server: MisbehavingServer, redirect: 'follow' | 'same-origin' = 'follow') {
  const opened = openTo(server, redirect);
  await opened.transport.start();
  await opened.raw.request('initialize', {
    protocolVersion: '2025-06-18',
    capabilities: {},
    clientInfo: { name: 't', version: '1' },
  });
  return opened;
}

describe('redirects to another origin, followed', () => {
  // Fails today on the session id: a followed redirect drops the configured headers,
  // Authorization and Cookie only (src/transports/http/client.ts, withoutConfigured).
  it('carries no Authorization, configured header, cookie or session id of this origin to the other one', async () => {
    const other = keep(
      await startMisbehavingServer((request, response) => replyJson(response, answerTo(request))),
    );
    const origin = await statefulOrigin(() => other.url('/mcp'));
    const opened = await initialized(origin);
    // The origin's own requests carry all of them.
    expect(origin.requests.at(-1)?.headers).toMatchObject({
      authorization: `Bearer ${TOKEN}`,
      'x-api-key': TOKEN,
    });

    expect(expectResult(await opened.raw.request('moved'))).toMatchObject({ method: 'moved' });
    const followed = other.requests[0] as RecordedRequest;
    expect(followed.rpc?.method).toBe('moved');
    const headers = JSON.stringify(followed.headers);
    expect(headers).not.toContain(TOKEN);
    expect(headers).not.toContain('cookie-secret');
    expect(followed.headers['mcp-session-id']).toBeUndefined();
  });
});

describe('redirects refused', () => {
  it.each([302, 303])(
    'fails a POST answered %i (it would become a GET) with LIFELINE_ERR_REDIRECT; the link goes on',
    async (status) => {
      const origin = await statefulOrigin(() => '/elsewhere', status);
      const opened = await initialized(origin);
      expectLifelineError(await rejection(opened.raw.request('moved')), ErrorCode.Redirect);
      expect(expectResult(await opened.raw.request('after'))).toMatchObject({ method: 'after' });
      expect(origin.requests.map((request) => request.url)).not.toContain('/elsewhere');
    },
  );

  it('fails a request that is redirected in a loop with LIFELINE_ERR_REDIRECT after 5 hops', async () => {
    const loop = keep(
      await startMisbehavingServer((request, response) =>
        request.rpc?.method === 'loop'
          ? reply(response, 307, undefined, '', { location: request.url === '/mcp' ? '/mcp2' : '/mcp' })
          : standard(request, response),
      ),
    );
    const opened = openTo(loop);
    await opened.transport.start();
    const error = await rejection(opened.raw.request('loop'));
    expectLifelineError(error, ErrorCode.Redirect);
    expect(loop.requests.filter((request) => request.rpc?.method === 'loop')).toHaveLength(6);
    expect(expectResult(await opened.raw.request('after'))).toMatchObject({ method: 'after' });
  });

  it.each(['file:///etc/passwd', 'javascript:alert(1)', 'ftp://127.0.0.1/mcp'])(
    'answers a request redirected to %s with -32090 (LIFELINE_ERR_NETWORK): nothing is sent, the link goes on',
    async (location) => {
      const origin = await statefulOrigin(() => location);
      const opened = await initialized(origin);
      const before = origin.requests.length;
      // undici refuses the URL before sending anything; the runtime reports it as a network failure.
      expectRpcFailure(await opened.raw.request('moved'), CONNECTION_LOST_RPC_CODE, {
        code: ErrorCode.ConnectionLost,
        cause: ErrorCode.Network,
      });
      expect(origin.requests).toHaveLength(before + 1);
      expect(JSON.stringify(opened.raw.responses)).not.toContain(TOKEN);
      expect(expectResult(await opened.raw.request('after'))).toMatchObject({ method: 'after' });
    },
  );
});
