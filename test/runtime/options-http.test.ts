// The HTTP family's configuration: `url`, `headers`, `allowInsecure`, `redirect` and `type`,
// checked before anything starts (one ConfigError listing every problem, each naming its key),
// which transport a configuration picks, and that configured header values stay out of what
// the runtime logs and reports. Behaviour is checked against real loopback servers.

import { afterEach, describe, expect, it } from 'vitest';
import { HttpError } from '../../src/errors.js';
import { ConfigError, createTransport, ErrorCode, type LifelineTransport } from '../../src/index.js';
import type { HttpConfig } from '../../src/runtime/options/resolve.js';
import {
  answerTo,
  type Behaviour,
  type MisbehavingServer,
  reply,
  replySse,
  sseEvent,
  standard,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';
import { waitFor } from '../helpers/processes.js';
import { Raw, recordingLogger } from '../helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const servers: MisbehavingServer[] = [];
const transports: LifelineTransport[] = [];

afterEach(async () => {
  await Promise.all(transports.splice(0).map((transport) => transport.close()));
  await Promise.all(servers.splice(0).map((server) => server.close()));
});

async function serve(behaviour?: Behaviour): Promise<MisbehavingServer> {
  const server = await startMisbehavingServer(behaviour);
  servers.push(server);
  return server;
}

/** Creates a transport (closed after the test); throws what createTransport throws. */
function create(config: HttpConfig): LifelineTransport {
  const transport = createTransport({
    reconnect: { initialDelayMs: 20, jitter: 0 },
    heartbeat: { intervalMs: 0 },
    timeouts: { closeMs: 200 },
    ...config,
  });
  transports.push(transport);
  return transport;
}

/** The ConfigError a configuration is refused with (fails when it is accepted). */
function refusal(config: unknown): ConfigError {
  let transport: LifelineTransport | undefined;
  try {
    transport = create(config as HttpConfig);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).code).toBe(ErrorCode.InvalidConfig);
    return error as ConfigError;
  }
  throw new Error(`expected a ConfigError; the configuration was accepted (state ${transport.state})`);
}

/** The one problem of a refused configuration. */
function problem(config: unknown): string {
  const { problems } = refusal(config);
  expect(problems).toHaveLength(1);
  return problems[0] as string;
}

const TOKEN = 'sekret-token-123';
const AUTHORIZATION = `Bearer ${TOKEN}`;

// ---------------------------------------------------------------------------------------------
// url
// ---------------------------------------------------------------------------------------------

describe('url', () => {
  it.each([
    ['ftp://example.com/mcp', /^url: .*ftp:/],
    ['file:///etc/passwd', /^url: .*file:/],
    ['not a url', /^url: expected an absolute URL, an http: or https: URL/],
    ['/relative/mcp', /^url: /],
    ['', /^url: /],
  ])('refuses %j, naming `url`', (url, expected) => {
    expect(problem({ url })).toMatch(expected);
  });

  it('refuses a ws: URL when the type says http', () => {
    expect(problem({ type: 'http', url: 'ws://example.com/mcp' })).toMatch(
      /^url: expected an http: or https: URL, got ws:/,
    );
  });

  it('refuses a url that is not a string or URL, naming `url`', () => {
    expect(problem({ type: 'http', url: 42 })).toMatch(/^url: /);
  });

  it.each(['http://127.0.0.1:1/mcp', 'https://example.com/mcp', 'HTTPS://Example.COM:8443/a/b?x=1'])(
    'accepts %j',
    (url) => {
      expect(create({ url }).state).toBe('idle');
    },
  );

  it('accepts a URL object', () => {
    expect(create({ url: new URL('https://example.com/mcp') }).state).toBe('idle');
  });
});

// ---------------------------------------------------------------------------------------------
// headers
// ---------------------------------------------------------------------------------------------

describe('headers', () => {
  it.each([
    'content-type',
    'Content-Type',
    'accept',
    'content-length',
    'host',
    'connection',
    'transfer-encoding',
    'mcp-session-id',
    'Mcp-Session-Id',
    'MCP-Protocol-Version',
    'mcp-method',
    'mcp-name',
    'Last-Event-ID',
  ])('refuses the reserved header %j, naming it', (name) => {
    expect(problem({ url: 'https://example.com/mcp', headers: { [name]: 'x' } })).toMatch(
      new RegExp(`^headers\\.${name}: set by the transport itself`),
    );
  });

  it.each([
    ['a CR LF', 'abc\r\nX-Injected: 1'],
    ['a lone LF', 'abc\nX-Injected: 1'],
    ['a lone CR', 'abc\rdef'],
    ['a NUL', 'abc\0def'],
  ])('refuses a value with %s, naming the header and not showing the value', (_what, value) => {
    const error = refusal({ url: 'https://example.com/mcp', headers: { 'x-api-key': value } });
    expect(error.problems).toEqual(['headers.x-api-key: expected a string without line breaks']);
    expect(error.message).not.toContain('abc');
  });

  it('refuses a value that is not a string', () => {
    expect(problem({ url: 'https://example.com/mcp', headers: { 'x-count': 5 } })).toMatch(
      /^headers\.x-count: expected a string/,
    );
  });

  it.each(['bad name', 'bad:name', 'bad\r\nname', ''])('refuses the header name %j', (name) => {
    expect(problem({ url: 'https://example.com/mcp', headers: { [name]: 'x' } })).toMatch(
      /not a valid header name/,
    );
  });

  it.each([
    ['an array', ['authorization', 'x']],
    ['a string', 'authorization: x'],
    ['null', null],
  ])('refuses headers given as %s', (_what, headers) => {
    expect(problem({ url: 'https://example.com/mcp', headers })).toMatch(/^headers: expected an object/);
  });

  it('lists every problem at once', () => {
    const error = refusal({
      url: 'ftp://example.com/mcp',
      headers: { 'content-type': 'text/plain', 'x-key': 'a\nb' },
      redirect: 'manual',
      allowInsecure: 'yes',
    });
    expect(error.problems.map((line) => line.split(':')[0])).toEqual([
      'url',
      'headers.content-type',
      'headers.x-key',
      'allowInsecure',
      'redirect',
    ]);
  });

  it('sends configured headers on every request', async () => {
    const server = await serve();
    const transport = create({
      url: server.url(),
      headers: { Authorization: AUTHORIZATION, 'X-Trace': 'on' },
    });
    const raw = new Raw(transport);
    await transport.start();
    await raw.request('one');
    await raw.request('two');
    for (const request of server.requests) {
      expect(request.headers.authorization).toBe(AUTHORIZATION);
      expect(request.headers['x-trace']).toBe('on');
    }
    expect(server.requests).toHaveLength(2);
  });
});

// ---------------------------------------------------------------------------------------------
// allowInsecure
// ---------------------------------------------------------------------------------------------

describe('credentials over plain http (allowInsecure)', () => {
  it.each([
    ['an authorization header', { url: 'http://example.com/mcp', headers: { authorization: AUTHORIZATION } }],
    ['an Authorization header', { url: 'http://example.com/mcp', headers: { Authorization: AUTHORIZATION } }],
    ['a cookie', { url: 'http://example.com/mcp', headers: { cookie: 'sid=sekret-cookie' } }],
    ['an API key header', { url: 'http://example.com/mcp', headers: { 'X-Api-Key': 'sekret-key-1' } }],
    ['a user and password in the URL', { url: 'http://user:sekret-pass@example.com/mcp' }],
    ['a user in the URL', { url: 'http://sekret-user@example.com/mcp' }],
    ['a public IP address', { url: 'http://10.1.2.3:8080/mcp', headers: { authorization: AUTHORIZATION } }],
    [
      'a 127-prefixed DNS name',
      { url: 'http://127.attacker.example/mcp', headers: { authorization: AUTHORIZATION } },
    ],
    [
      'a loopback lookalike',
      { url: 'http://localhost.attacker.example/mcp', headers: { authorization: AUTHORIZATION } },
    ],
  ])('refuses %s to a non-loopback host, naming `allowInsecure` and not the secret', (_what, config) => {
    const error = refusal(config);
    expect(error.problems).toHaveLength(1);
    expect(error.problems[0]).toMatch(/^allowInsecure: /);
    expect(error.message).not.toMatch(/sekret/);
  });

  it.each([
    ['allowInsecure: true', { url: 'http://example.com/mcp', allowInsecure: true }],
    ['https', { url: 'https://example.com/mcp' }],
    ['127.0.0.1', { url: 'http://127.0.0.1:8080/mcp' }],
    ['another 127/8 address', { url: 'http://127.0.0.53:8080/mcp' }],
    ['localhost', { url: 'http://localhost:8080/mcp' }],
    ['LOCALHOST', { url: 'http://LOCALHOST:8080/mcp' }],
    ['[::1]', { url: 'http://[::1]:8080/mcp' }],
  ])('allows credentials with %s', (_what, config) => {
    const withHeader = create({ ...config, headers: { authorization: AUTHORIZATION } });
    expect(withHeader.state).toBe('idle');
    const withUser = new URL(config.url);
    withUser.username = 'user';
    withUser.password = 'pass';
    expect(create({ ...config, url: withUser.href }).state).toBe('idle');
  });

  it('allows plain http without credentials to any host', () => {
    expect(create({ url: 'http://example.com/mcp', headers: { 'x-client': 'agent' } }).state).toBe('idle');
  });

  it('refuses allowInsecure that is not a boolean', () => {
    expect(problem({ url: 'https://example.com/mcp', allowInsecure: 'yes' })).toMatch(
      /^allowInsecure: expected a boolean/,
    );
  });
});

// ---------------------------------------------------------------------------------------------
// redirect
// ---------------------------------------------------------------------------------------------

describe('redirect', () => {
  it.each(['same-origin', 'follow', 'error'] as const)('accepts %j', (redirect) => {
    expect(create({ url: 'https://example.com/mcp', redirect }).state).toBe('idle');
  });

  it.each(['manual', 'FOLLOW', 'none', true, 1])(
    'refuses %j, naming `redirect` and the choices',
    (redirect) => {
      expect(problem({ url: 'https://example.com/mcp', redirect })).toMatch(
        /^redirect: expected one of same-origin, follow, error/,
      );
    },
  );

  it('with redirect: "error", refuses even a same-origin redirect', async () => {
    const server = await serve((request, response) =>
      request.url === '/mcp'
        ? reply(response, 307, undefined, '', { location: '/elsewhere' })
        : standard(request, response),
    );
    const transport = create({ url: server.url(), redirect: 'error' });
    const raw = new Raw(transport);
    await transport.start();
    await expect(raw.request('moved')).rejects.toMatchObject({ code: ErrorCode.Redirect });
    expect(server.requests.map((request) => request.url)).toEqual(['/mcp']);
  });
});

// ---------------------------------------------------------------------------------------------
// type
// ---------------------------------------------------------------------------------------------

describe('which transport a configuration picks', () => {
  /** A legacy HTTP+SSE server: GET opens the stream, POSTs to /messages are answered on it. */
  async function sseServer(refuseStreamable: boolean): Promise<MisbehavingServer> {
    let stream: Parameters<Behaviour>[1] | undefined;
    return serve((request, response) => {
      if (request.method === 'GET' && request.url === '/mcp') {
        stream = response;
        return replySse(response, ['event: endpoint\ndata: /messages?sessionId=abc\n\n'], { end: false });
      }
      if (request.method === 'POST' && request.url.startsWith('/messages')) {
        if (request.rpc?.id !== undefined) stream?.write(sseEvent(answerTo(request)));
        return reply(response, 202, undefined, '');
      }
      if (refuseStreamable) return reply(response, 405, 'text/plain', 'Method Not Allowed');
      return standard(request, response);
    });
  }

  it('treats a bare url as Streamable HTTP: the first request is a POST of the message', async () => {
    const server = await serve();
    const transport = create({ url: server.url() });
    expect(transport.hasPerRequestStream).toBe(true);
    expect(transport.pid).toBeUndefined();
    expect(Object.keys(transport)).not.toContain('pid');
    const raw = new Raw(transport);
    await transport.start();
    await raw.request('initialize', { protocolVersion: '2025-06-18' });
    expect(server.requests[0]).toMatchObject({ method: 'POST', url: '/mcp', rpc: { method: 'initialize' } });
  });

  it('with type: "http", speaks Streamable HTTP', async () => {
    const server = await serve();
    const transport = create({ type: 'http', url: server.url() });
    const raw = new Raw(transport);
    await transport.start();
    await raw.request('ping');
    expect(server.requests.map((request) => request.method)).toEqual(['POST']);
  });

  it('with type: "sse", opens the legacy SSE stream first and posts to its endpoint', async () => {
    const server = await sseServer(false);
    const transport = create({ type: 'sse', url: server.url() });
    const raw = new Raw(transport);
    await transport.start();
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: '/mcp' });
    expect(server.requests[0]?.headers.accept).toMatch(/text\/event-stream/);
    const answer = await raw.request('tools/list');
    expect(answer).toMatchObject({ result: { method: 'tools/list' } });
    expect(server.requests[1]).toMatchObject({ method: 'POST', url: '/messages?sessionId=abc' });
  });

  it('falls back from a bare url to HTTP+SSE when the server refuses the initialize POST', async () => {
    const server = await sseServer(true);
    const transport = create({ url: server.url() });
    const raw = new Raw(transport);
    await transport.start();
    const answer = await raw.request('initialize', { protocolVersion: '2024-11-05' });
    expect(answer).toMatchObject({ result: { method: 'initialize' } });
    expect(server.requests.map((request) => `${request.method} ${request.url}`)).toEqual([
      'POST /mcp',
      'GET /mcp',
      'POST /messages?sessionId=abc',
    ]);
  });

  it.each([
    [{ type: 'websocket', url: 'https://example.com/mcp' }, /^type: "websocket" is not a transport/],
    [{ type: 'stdio', url: 'https://example.com/mcp' }, /^command: /],
    [{ headers: { authorization: 'x' } }, /^type: cannot infer the transport/],
  ])('refuses %j', (config, expected) => {
    expect(problem(config)).toMatch(expected);
  });
});

// ---------------------------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------------------------

describe('configured header values are secrets', () => {
  const API_KEY = 'key-abcdef-999';
  const QUERY_TOKEN = 'querysecret-777';

  /** A server that answers 503 with a body repeating every credential it got. */
  async function echoingServer(): Promise<MisbehavingServer> {
    return serve((request, response) => {
      if (request.method !== 'POST') return standard(request, response);
      const body = `denied: authorization=${request.headers.authorization} key=${request.headers['x-api-key']} url=${request.url}`;
      reply(response, 503, 'text/plain', body);
    });
  }

  function openEchoing(server: MisbehavingServer, path = '/mcp') {
    const log = recordingLogger();
    const transport = create({
      url: server.url(`${path}?token=${QUERY_TOKEN}`),
      headers: { authorization: AUTHORIZATION, 'x-api-key': API_KEY },
      logger: log.logger,
      // Stays in `reconnecting` long enough to look at it.
      reconnect: { initialDelayMs: 60_000, jitter: 0 },
    });
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);
    return { transport, log, errors, raw: new Raw(transport) };
  }

  const secrets = [TOKEN, API_KEY, QUERY_TOKEN];

  it('redacts them in logger output, even when the server echoes them', async () => {
    const server = await echoingServer();
    // The key is in the path too, so the log line naming the endpoint has it whatever the body.
    const { transport, log, raw } = openEchoing(server, `/mcp/${API_KEY}`);
    await transport.start();
    void raw.request('tools/list').catch(() => {});
    await waitFor(() => transport.state === 'reconnecting', { message: 'never went to reconnecting' });

    expect(server.requests[0]?.headers.authorization).toBe(AUTHORIZATION);
    expect(log.messages('warn').some((line) => /^link down: .*HTTP 503/.test(line))).toBe(true);
    const logged = JSON.stringify(log.calls);
    expect(logged).toContain('[redacted]');
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });

  it('keeps them out of HttpError messages, onerror and the snapshot when the server echoes them', async () => {
    const server = await echoingServer();
    const { transport, errors, raw } = openEchoing(server);
    await transport.start();
    const outcome = raw.request('tools/list').then(
      (response) => response,
      (error: unknown) => error,
    );
    await waitFor(() => transport.state === 'reconnecting', { message: 'never went to reconnecting' });

    const lastError = transport.status.error;
    expect(lastError).toBeInstanceOf(HttpError);
    expect(lastError?.message).toMatch(/HTTP 503/);
    // A 503 refuses the request without running it: it waits in the queue for the next link
    // (docs/reliability.md). Closing fails it to the caller, whose answer is checked too.
    await transport.close();
    const texts = [
      String(lastError?.message),
      JSON.stringify(transport.actor.getSnapshot().context),
      ...errors.map((error) => error.message),
      JSON.stringify(await outcome),
      String((await outcome) instanceof Error ? ((await outcome) as Error).message : ''),
    ];
    for (const text of texts) for (const secret of secrets) expect(text).not.toContain(secret);
  });
});
