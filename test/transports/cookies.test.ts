// Cookies a load balancer sets for stickiness: the jar's RFC 6265 rules (unit), the HTTP client keeping them
// per origin across redirects (two real loopback servers), and every URL transport behind a real sticky
// balancer (test/helpers/sticky-balancer.ts) in front of a real MCP fixture: the cookie comes back on every
// request and on the reconnect that follows a cut or a server restart, never goes to another origin, and
// never shows in logs or status.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import { HttpClient } from '../../src/transports/http/client.js';
import { CookieJar, MAX_COOKIES_PER_ORIGIN, withCookies } from '../../src/transports/http/cookies.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/processes.js';
import { recordingLogger } from '../helpers/raw-client.js';
import { type StickyBalancer, startStickyBalancer } from '../helpers/sticky-balancer.js';
import { startLegacySse, startLegacyStateful, startWsFixture } from '../peers/index.js';

const keep = closeAfterEach();
const clientInfo = { name: 'lifeline-cookie-test', version: '1.0.0' };

describe('CookieJar', () => {
  const at = (href: string) => new URL(href);

  it('sends a cookie back to the origin that set it, and to no other', () => {
    const jar = new CookieJar();
    jar.store(
      at('https://mcp.example.com/mcp'),
      'AWSALB=abc123; Path=/; Expires=Fri, 01 Jan 2100 00:00:00 GMT',
    );
    expect(jar.header(at('https://mcp.example.com/mcp'))).toBe('AWSALB=abc123');
    expect(jar.header(at('https://mcp.example.com:8443/mcp'))).toBeUndefined();
    expect(jar.header(at('http://mcp.example.com/mcp'))).toBeUndefined();
    expect(jar.header(at('https://other.example.com/mcp'))).toBeUndefined();
    expect(jar.header(at('https://example.com/mcp'))).toBeUndefined();
    // A WebSocket URL shares its HTTP origin's cookies.
    expect(jar.header(at('wss://mcp.example.com/ws'))).toBe('AWSALB=abc123');
  });

  it('keeps a Domain cookie host-only, and drops one for a domain that does not cover the host', () => {
    const jar = new CookieJar();
    jar.store(at('https://a.example.com/'), [
      'wide=1; Domain=.example.com; Path=/',
      'evil=1; Domain=attacker.com',
    ]);
    expect(jar.header(at('https://a.example.com/'))).toBe('wide=1');
    expect(jar.header(at('https://b.example.com/'))).toBeUndefined();
    expect(jar.size).toBe(1);
  });

  it('matches paths (RFC 6265 §5.1.4), defaulting to the directory of the request, longest path first', () => {
    const jar = new CookieJar();
    jar.store(at('http://h/api/v1/mcp'), 'dir=1');
    jar.store(at('http://h/'), 'root=1; Path=/');
    jar.store(at('http://h/'), 'api=1; Path=/api');
    expect(jar.header(at('http://h/api/v1/mcp'))).toBe('dir=1; api=1; root=1');
    expect(jar.header(at('http://h/api/v1'))).toBe('dir=1; api=1; root=1');
    expect(jar.header(at('http://h/apiary'))).toBe('root=1');
    expect(jar.header(at('http://h/api'))).toBe('api=1; root=1');
  });

  it('expires by Max-Age (which wins over Expires) and Expires, on the injected clock', () => {
    let now = Date.parse('2030-01-01T00:00:00Z');
    const jar = new CookieJar(() => now);
    jar.store(at('http://h/'), [
      'short=1; Max-Age=10; Expires=Fri, 01 Jan 2100 00:00:00 GMT',
      'dated=1; Expires=Tue, 01 Jan 2030 00:01:00 GMT',
      'session=1',
    ]);
    expect(jar.header(at('http://h/'))).toBe('short=1; dated=1; session=1');
    now += 11_000;
    expect(jar.header(at('http://h/'))).toBe('dated=1; session=1');
    now += 60_000;
    expect(jar.header(at('http://h/'))).toBe('session=1');
  });

  it('replaces a cookie of the same name and path, and deletes it with Max-Age=0', () => {
    const jar = new CookieJar();
    jar.store(at('http://h/'), 'id=1; Path=/');
    jar.store(at('http://h/'), 'id=2; Path=/');
    expect(jar.header(at('http://h/'))).toBe('id=2');
    jar.store(at('http://h/'), 'id=; Path=/; Max-Age=0');
    expect(jar.header(at('http://h/'))).toBeUndefined();
    expect(jar.size).toBe(0);
  });

  it('honours Secure and the __Secure- and __Host- prefixes', () => {
    const jar = new CookieJar();
    jar.store(at('http://h/'), ['plain=1', 'sec=1; Secure', '__Secure-x=1']);
    expect(jar.header(at('http://h/'))).toBe('plain=1');
    jar.store(at('https://h/'), [
      'sec=1; Secure',
      '__Secure-ok=1; Secure',
      '__Host-ok=1; Secure; Path=/',
      '__Host-bad=1; Secure; Path=/; Domain=h',
      '__Host-nopath=1; Secure',
    ]);
    expect(jar.header(at('https://h/'))).toBe('sec=1; __Secure-ok=1; __Host-ok=1');
  });

  it('ignores lines without a name, with control characters, or too long, and caps the count per origin', () => {
    const jar = new CookieJar();
    jar.store(at('http://h/'), ['novalue', '=anonymous', 'bad=a\u0001b', `big=${'x'.repeat(5000)}`]);
    expect(jar.size).toBe(0);
    for (let i = 0; i < MAX_COOKIES_PER_ORIGIN + 10; i += 1) jar.store(at('http://h/'), `c${i}=${i}`);
    expect(jar.size).toBe(MAX_COOKIES_PER_ORIGIN);
    expect(jar.header(at('http://h/'))).not.toContain('c0=');
    expect(jar.header(at('http://h/'))).toContain(`c${MAX_COOKIES_PER_ORIGIN + 9}=`);
  });

  it('adds its cookies after a configured Cookie header, whatever its case', () => {
    const jar = new CookieJar();
    jar.store(at('http://h/'), 'lb=1');
    expect(withCookies({ Cookie: 'mine=0', accept: 'x' }, jar, at('http://h/'))).toEqual({
      Cookie: 'mine=0; lb=1',
      accept: 'x',
    });
    const headers = { accept: 'x' };
    expect(withCookies(headers, jar, at('http://other/'))).toBe(headers);
  });
});

/** A plain server answering with `answer`, recording each request's headers. */
async function recordingServer(
  answer: (url: string, response: import('node:http').ServerResponse) => void,
): Promise<{ server: Server; origin: string; seen: IncomingHttpHeaders[] }> {
  const seen: IncomingHttpHeaders[] = [];
  const server = createServer((request, response) => {
    seen.push(request.headers);
    request.resume();
    answer(request.url ?? '', response);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  keep({
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  });
  return { server, origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen };
}

describe('HttpClient cookies across origins', () => {
  it('keeps a cookie set on a redirect to its origin: the other origin never gets it', async () => {
    const other = await recordingServer((_url, response) => response.end('ok'));
    const home = await recordingServer((url, response) => {
      if (url === '/go') {
        response.writeHead(307, {
          location: `${other.origin}/landing`,
          'set-cookie': 'lb=home-only; Path=/',
        });
        response.end();
      } else response.end('home');
    });
    const jar = new CookieJar();
    const client = new HttpClient({
      url: new URL(`${home.origin}/go`),
      headers: {},
      redirect: 'follow',
      maxMessageBytes: 1 << 20,
      secrets: [],
      cookies: jar,
    });
    keep({ close: () => client.destroy() });
    const first = await client.request(
      { method: 'GET', url: new URL(`${home.origin}/go`), headers: {} },
      'GET',
    );
    await first.body.dump();
    expect(first.statusCode).toBe(200);
    expect(other.seen).toHaveLength(1);
    expect(other.seen[0]?.cookie).toBeUndefined();
    // Back home, and on the same host under another name (another origin), over a new client of the same jar.
    const again = new HttpClient({
      url: new URL(`${home.origin}/`),
      headers: {},
      redirect: 'same-origin',
      maxMessageBytes: 1 << 20,
      secrets: [],
      cookies: jar,
    });
    keep({ close: () => again.destroy() });
    await (
      await again.request({ method: 'GET', url: new URL(`${home.origin}/x`), headers: {} }, 'GET')
    ).body.dump();
    expect(home.seen.at(-1)?.cookie).toBe('lb=home-only');
    const byName = new URL(`${home.origin}/x`.replace('127.0.0.1', 'localhost'));
    await (await again.request({ method: 'GET', url: byName, headers: {} }, 'GET')).body.dump();
    expect(home.seen.at(-1)?.cookie).toBeUndefined();
  });
});

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

async function echo(client: ToolClient, message: string): Promise<string> {
  const result = (await client.callTool({ name: 'echo', arguments: { message } })) as {
    content: { text: string }[];
  };
  return (result.content[0] as { text: string }).text;
}

async function connectThrough(
  balancer: StickyBalancer,
  url: string,
  extra: object = {},
): Promise<{ client: ToolClient; transport: LifelineTransport; log: ReturnType<typeof recordingLogger> }> {
  const log = recordingLogger();
  const transport = keep(
    createTransport({
      url,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      logger: log.logger,
      ...extra,
    } as Parameters<typeof createTransport>[0]),
  );
  const client = keep(new ClientV1(clientInfo) as unknown as ToolClient);
  await client.connect(transport);
  expect(balancer.log[0]?.issued).toBe(true);
  return { client, transport, log };
}

/** Everything after the first request carried the cookie; nothing was refused; no secret leaked. */
function expectSticky(
  balancer: StickyBalancer,
  transport: LifelineTransport,
  log: ReturnType<typeof recordingLogger>,
): void {
  expect(balancer.refused).toBe(0);
  expect(balancer.log.slice(1).every((entry) => entry.sticky)).toBe(true);
  const value = balancer.cookie.split('=')[1] as string;
  const emitted = JSON.stringify([log.calls, transport.status, transport.actor.getSnapshot().context]);
  expect(emitted).not.toContain(value);
}

describe('sticky sessions through a real balancer', () => {
  it('Streamable HTTP: POST, GET and DELETE carry the cookie, also after a server restart and a new session', async () => {
    const peer = await startLegacyStateful();
    const balancer = keep(await startStickyBalancer(peer.port));
    const { client, transport, log } = await connectThrough(balancer, balancer.url('/mcp'), { type: 'http' });
    expect(await echo(client, 'one')).toBe('Echo: one');
    await waitFor(() => balancer.log.some((entry) => entry.method === 'GET'));
    await peer.restart();
    // The old session is gone: the link goes down, a new one re-initializes through the balancer.
    expect(await echo(client, 'two')).toBe('Echo: two');
    expect(transport.stats.links).toBeGreaterThanOrEqual(2);
    await transport.close();
    expect(balancer.log.filter((entry) => entry.method === 'POST').length).toBeGreaterThanOrEqual(4);
    expect(balancer.log.some((entry) => entry.method === 'DELETE')).toBe(true);
    expectSticky(balancer, transport, log);
  });

  it('HTTP+SSE: the stream GET and the message POSTs carry it, also after the balancer cuts the stream', async () => {
    const peer = await startLegacySse();
    const balancer = keep(await startStickyBalancer(peer.port));
    const { client, transport, log } = await connectThrough(balancer, balancer.url('/sse'), { type: 'sse' });
    expect(await echo(client, 'one')).toBe('Echo: one');
    balancer.cut();
    // Cut mid-stream: wait for the new stream rather than race a POST against the cut.
    await waitFor(() => transport.stats.links >= 2 && transport.status.state === 'open');
    expect(await echo(client, 'two')).toBe('Echo: two');
    expect(
      balancer.log.filter((entry) => entry.method === 'GET' && entry.sticky).length,
    ).toBeGreaterThanOrEqual(1);
    expectSticky(balancer, transport, log);
  });

  it('WebSocket: the 101 sets it, and the upgrade after a cut carries it', async () => {
    const peer = await startWsFixture();
    const balancer = keep(await startStickyBalancer(peer.port));
    const { client, transport, log } = await connectThrough(balancer, balancer.url('/ws', 'ws'));
    expect(await echo(client, 'one')).toBe('Echo: one');
    balancer.cut();
    await waitFor(() => transport.stats.links >= 2 && transport.status.state === 'open');
    expect(await echo(client, 'two')).toBe('Echo: two');
    expect(balancer.log.map((entry) => [entry.kind, entry.sticky])).toEqual([
      ['upgrade', false],
      ['upgrade', true],
    ]);
    expectSticky(balancer, transport, log);
  });
});
