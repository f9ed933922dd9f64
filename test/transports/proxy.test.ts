// HTTP_PROXY / HTTPS_PROXY / NO_PROXY for every URL transport, through real forward proxies started by the
// test: our node:http proxy (test/helpers/forward-proxy.ts: CONNECT and absolute-form, credentials, names
// only it resolves) and Debian's tinyproxy when installed. The servers are the real fixtures of test/peers;
// the SDK Client talks to them through createTransport; the proxies' own counters prove where the traffic
// went. The transports read the proxy variables once, when created: `created()` sets them in process.env
// for that moment only, so nothing leaks to other tests of this worker.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { Agent, EnvHttpProxyAgent, request as undiciRequest } from 'undici';
import { describe, expect, it } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import {
  ConfigError,
  createTransport,
  ErrorCode,
  type LifelineTransport,
  LinkError,
} from '../../src/index.js';
import {
  createDispatcher,
  DEFAULT_NO_PROXY,
  proxyFor,
  proxySettings,
} from '../../src/transports/http/dispatcher.js';
import { tunnelThrough } from '../../src/transports/websocket/tunnel.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { type ForwardProxy, startForwardProxy } from '../helpers/forward-proxy.js';
import { startTinyproxy, tinyproxyPath } from '../helpers/tinyproxy.js';
import {
  type ChildPeer,
  startLegacySse,
  startLegacyStateful,
  startV2Http,
  startWsFixture,
} from '../peers/index.js';

const clientInfo = { name: 'lifeline-proxy-test', version: '1.0.0' };
const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

const keep = closeAfterEach();

/** Runs `create` with exactly these proxy variables set (the others unset), then restores the environment. */
function created<T>(variables: Record<string, string>, create: () => T): T {
  const saved = PROXY_VARIABLES.map((name) => [name, process.env[name]] as const);
  for (const name of PROXY_VARIABLES) delete process.env[name];
  Object.assign(process.env, variables);
  try {
    return create();
  } finally {
    for (const [name, value] of saved) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  }
}

function transportFor(url: string, variables: Record<string, string>, extra: object = {}): LifelineTransport {
  return keep(
    created(variables, () =>
      createTransport({ url, reconnect: { initialDelayMs: 50, maxDelayMs: 400 }, ...extra } as Parameters<
        typeof createTransport
      >[0]),
    ),
  );
}

async function connect(
  kind: 'v1' | 'v2-auto',
  url: string,
  variables: Record<string, string>,
  extra: object = {},
): Promise<{ client: ToolClient; transport: LifelineTransport }> {
  const transport = transportFor(url, variables, extra);
  const client = keep(
    (kind === 'v1'
      ? new ClientV1(clientInfo)
      : new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } })) as unknown as ToolClient,
  );
  await client.connect(transport);
  return { client, transport };
}

async function echo(client: ToolClient, message: string): Promise<string> {
  const result = (await client.callTool({ name: 'echo', arguments: { message } })) as {
    content: { text: string }[];
  };
  return (result.content[0] as { text: string }).text;
}

/** The servers of each URL transport, with the Client that speaks to them. */
const SERVERS: { name: string; kind: 'v1' | 'v2-auto'; start: () => Promise<ChildPeer>; extra?: object }[] = [
  { name: 'Streamable HTTP, modern era (v2 server)', kind: 'v2-auto', start: () => startV2Http() },
  {
    name: 'Streamable HTTP, legacy era with a session (POST, GET stream, DELETE)',
    kind: 'v1',
    start: () => startLegacyStateful(),
  },
  { name: 'HTTP+SSE', kind: 'v1', start: () => startLegacySse(), extra: { type: 'sse' } },
  { name: 'WebSocket', kind: 'v1', start: () => startWsFixture() },
];

const PROXIES: { name: string; start: () => Promise<ForwardProxy>; skip: boolean }[] = [
  { name: 'node:http forward proxy', start: startForwardProxy, skip: false },
  {
    name: 'tinyproxy',
    start: startTinyproxy,
    skip: tinyproxyPath === undefined && process.env.LIFELINE_REQUIRE_TINYPROXY !== '1',
  },
];

for (const proxyKind of PROXIES) {
  describe.skipIf(proxyKind.skip)(`HTTP_PROXY names a ${proxyKind.name}`, () => {
    for (const server of SERVERS) {
      it(`${server.name}: the Client reaches the server through the proxy`, async () => {
        const proxy = keep(await proxyKind.start());
        const peer = await server.start();
        // NO_PROXY set empty: loopback goes through the proxy too (unset, it would go direct).
        const { client, transport } = await connect(
          server.kind,
          peer.url,
          { HTTP_PROXY: proxy.url, NO_PROXY: '' },
          server.extra,
        );
        expect(await echo(client, 'via proxy')).toBe('Echo: via proxy');
        expect(transport.status.state).toBe('open');
        expect(proxy.relayed(`127.0.0.1:${peer.port}`)).toBeGreaterThan(0);
      });
    }
  });
}

describe('NO_PROXY', () => {
  for (const server of SERVERS.filter((each) => each.name === 'WebSocket' || each.kind === 'v2-auto')) {
    it(`${server.name}: a host NO_PROXY names goes direct`, async () => {
      const proxy = keep(await startForwardProxy());
      const peer = await server.start();
      const { client } = await connect(server.kind, peer.url, {
        http_proxy: proxy.url,
        no_proxy: 'example.com, 127.0.0.1',
      });
      expect(await echo(client, 'direct')).toBe('Echo: direct');
      expect(proxy.tunnels.size + proxy.requests.size).toBe(0);
    });

    it(`${server.name}: unset, loopback goes direct even with HTTP_PROXY set`, async () => {
      const proxy = keep(await startForwardProxy());
      const peer = await server.start();
      const { client } = await connect(server.kind, peer.url, { HTTP_PROXY: proxy.url });
      expect(await echo(client, 'local')).toBe('Echo: local');
      expect(proxy.tunnels.size + proxy.requests.size).toBe(0);
    });
  }

  it('a name only the proxy resolves is reached through it, and not without it', async () => {
    const peer = await startWsFixture();
    const proxy = keep(await startForwardProxy({ hosts: { 'mcp.internal.test': '127.0.0.1' } }));
    const url = `ws://mcp.internal.test:${peer.port}/ws`;
    const { client } = await connect('v1', url, { HTTP_PROXY: proxy.url });
    expect(await echo(client, 'internal')).toBe('Echo: internal');
    expect(proxy.relayed(`mcp.internal.test:${peer.port}`)).toBe(1);

    const direct = transportFor(
      url,
      { HTTP_PROXY: proxy.url, NO_PROXY: '.test' },
      { reconnect: { maxAttempts: 0 } },
    );
    // Direct, the name does not resolve here: the one attempt fails before anything is sent.
    await expect(direct.start()).rejects.toMatchObject({ code: ErrorCode.RetriesExhausted });
    expect(direct.status.error?.message).toMatch(/failed: (ENOTFOUND|EAI_AGAIN)/);
    expect(proxy.relayed(`mcp.internal.test:${peer.port}`)).toBe(1);
  });
});

describe('proxy credentials from the proxy URL', () => {
  const auth = { username: 'agent', password: 'pr0xy-s3cret' };

  for (const server of SERVERS.filter((each) => each.name === 'WebSocket' || each.kind === 'v2-auto')) {
    it(`${server.name}: user and password in HTTP_PROXY are sent as Proxy-Authorization`, async () => {
      const proxy = keep(await startForwardProxy({ auth }));
      const peer = await server.start();
      const proxyUrl = proxy.url.replace('://', `://${auth.username}:${auth.password}@`);
      const { client } = await connect(server.kind, peer.url, { HTTP_PROXY: proxyUrl, NO_PROXY: '' });
      expect(await echo(client, 'authenticated')).toBe('Echo: authenticated');
      expect(proxy.refused).toBe(0);
      expect(proxy.relayed(`127.0.0.1:${peer.port}`)).toBeGreaterThan(0);
    });

    it(`${server.name}: a 407 fails the connection with a typed error that keeps the password out`, async () => {
      const proxy = keep(await startForwardProxy({ auth }));
      const peer = await server.start();
      const proxyUrl = proxy.url.replace('://', `://${auth.username}:wrong-${auth.password}@`);
      const transport = transportFor(peer.url, { HTTP_PROXY: proxyUrl, NO_PROXY: '' });
      const client = keep(new ClientV1(clientInfo) as unknown as ToolClient);
      const failure = await client.connect(transport).then(
        () => undefined,
        (error: unknown) => error,
      );
      // The status holds the typed error; the Client gets it as is (WebSocket: from start()) or, for a
      // message that was waiting to be sent (HTTP: initialize), inside the connection-lost answer.
      const error = transport.status.error;
      expect(transport.status.state).toBe('failed');
      expect(error).toBeInstanceOf(LinkError);
      expect(error).toMatchObject({ code: ErrorCode.Network, retryable: false, undelivered: true });
      for (const message of [String(error?.message), String((failure as Error).message)]) {
        expect(message).toContain('HTTP 407');
        expect(message).toContain(proxy.url);
        expect(message).not.toContain(auth.password);
      }
      expect(JSON.stringify(transport.status)).not.toContain(auth.password);
      expect(proxy.refused).toBeGreaterThan(0);
    });
  }

  it('a proxy variable that is not a URL fails createTransport, naming the variable and not its value', () => {
    const attempt = () =>
      transportFor('http://127.0.0.1:9/mcp', { HTTPS_PROXY: 'socks5://user:hunter22@proxy' });
    expect(attempt).toThrow(ConfigError);
    expect(attempt).toThrow(/HTTPS_PROXY/);
    expect(attempt).not.toThrow(/hunter22/);
  });
});

describe('proxyFor decides as undici EnvHttpProxyAgent does', () => {
  const settings = (env: Record<string, string>) => proxySettings(env);

  it('reads lower case first, falls back from HTTPS_PROXY to HTTP_PROXY, takes a bare host:port as http', () => {
    expect(proxySettings({ http_proxy: 'http://a:1', HTTP_PROXY: 'http://b:2' }).httpProxy?.href).toBe(
      'http://a:1/',
    );
    expect(proxySettings({ http_proxy: '', HTTP_PROXY: 'http://b:2' }).httpProxy).toBeUndefined();
    expect(proxySettings({ HTTP_PROXY: 'proxy.corp:3128' }).httpsProxy?.href).toBe('http://proxy.corp:3128/');
    expect(proxySettings({}).noProxy).toBe(DEFAULT_NO_PROXY);
    expect(proxySettings({ NO_PROXY: '' }).noProxy).toBe('');
  });

  it.each([
    ['http://api.example.com/mcp', 'example.com', false],
    ['http://example.com/mcp', '.example.com', false],
    ['https://a.b.example.com/mcp', '*.example.com', false],
    ['http://notexample.com/mcp', 'example.com', true],
    ['http://example.com:8080/mcp', 'example.com:8080', false],
    ['http://example.com:8081/mcp', 'example.com:8080', true],
    ['ws://example.com/ws', 'example.com:80', false],
    ['wss://example.com/ws', 'example.com:443', false],
    ['http://[::1]:3000/mcp', '[::1]', false],
    ['http://10.0.0.1/mcp', '*', false],
    ['http://127.0.0.1:3000/mcp', DEFAULT_NO_PROXY, false],
    ['http://localhost:3000/mcp', DEFAULT_NO_PROXY, false],
    ['http://127.0.0.1:3000/mcp', '', true],
  ])('%s with NO_PROXY=%j: proxied %s', (url, noProxy, proxied) => {
    const chosen = proxyFor(new URL(url), settings({ HTTP_PROXY: 'http://proxy:1', NO_PROXY: noProxy }));
    expect(chosen !== undefined).toBe(proxied);
  });

  it('matches EnvHttpProxyAgent on real requests (direct, proxied, NO_PROXY by port)', async () => {
    const proxy = keep(await startForwardProxy());
    const target = keep(await startForwardProxy()); // any HTTP server: it answers 400 to an origin-form GET
    const env = { HTTP_PROXY: proxy.url, NO_PROXY: `127.0.0.1:${target.port}` };
    const ours = keep(created(env, () => createDispatcher()));
    const theirs = keep(new EnvHttpProxyAgent({ httpProxy: proxy.url, noProxy: env.NO_PROXY }));
    for (const dispatcher of [ours, theirs]) {
      const response = await undiciRequest(`${target.url}/x`, { dispatcher });
      await response.body.dump();
      expect(response.statusCode).toBe(400);
    }
    expect(proxy.tunnels.size).toBe(0);
    expect(
      proxyFor(
        new URL(`${target.url}/x`),
        created(env, () => proxySettings()),
      ),
    ).toBeUndefined();
    // Without NO_PROXY both go through the proxy.
    const all = keep(created({ HTTP_PROXY: proxy.url, NO_PROXY: '' }, () => createDispatcher()));
    await (await undiciRequest(`${target.url}/x`, { dispatcher: all })).body.dump();
    expect(proxy.relayed(`127.0.0.1:${target.port}`)).toBe(1);
  });

  it('is a plain Agent when no proxy is configured', () => {
    expect(created({}, () => keep(createDispatcher()))).toBeInstanceOf(Agent);
  });
});

describe('the forward proxy helper', () => {
  it('relays absolute-form requests and counts them', async () => {
    const proxy = keep(await startForwardProxy());
    const target = keep(await startForwardProxy());
    const status = await new Promise<number>((resolve, reject) => {
      const request = httpRequest(
        { host: '127.0.0.1', port: proxy.port, path: `${target.url}/x`, method: 'GET' },
        (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        },
      );
      request.on('error', reject);
      request.end();
    });
    // The target (another proxy) refuses the origin-form GET with 400: it was relayed.
    expect(status).toBe(400);
    expect(proxy.requests.get(`127.0.0.1:${target.port}`)).toBe(1);
  });
});

const openssl = (() => {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
})();

describe.skipIf(!openssl)('wss:// through a CONNECT tunnel', () => {
  it('TLS runs end to end inside the tunnel, with the server name checked against its certificate', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-proxy-tls-'));
    try {
      execFileSync(
        'openssl',
        [
          'req',
          '-x509',
          '-newkey',
          'ec',
          '-pkeyopt',
          'ec_paramgen_curve:prime256v1',
          '-nodes',
          '-days',
          '1',
          '-subj',
          '/CN=localhost',
          '-addext',
          'subjectAltName=DNS:localhost',
          '-keyout',
          join(dir, 'key.pem'),
          '-out',
          join(dir, 'cert.pem'),
        ],
        { stdio: 'ignore' },
      );
      const cert = readFileSync(join(dir, 'cert.pem'));
      const server = createHttpsServer({ cert, key: readFileSync(join(dir, 'key.pem')) });
      const wss = new WebSocketServer({ server });
      wss.on('connection', (socket) => socket.on('message', (data) => socket.send(`echo ${String(data)}`)));
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
      keep({
        close: () =>
          new Promise<void>((resolve) => {
            wss.close();
            server.closeAllConnections();
            server.close(() => resolve());
          }),
      });
      const port = (server.address() as AddressInfo).port;
      const proxy = keep(await startForwardProxy());
      const target = new URL(`wss://localhost:${port}/`);
      const tunnel = new AbortController();
      const socket = new WebSocket(target, {
        ca: cert,
        createConnection: tunnelThrough(
          new URL(proxy.url),
          target,
          tunnel.signal,
          'test',
        ) as unknown as WebSocket.ClientOptions['createConnection'],
      });
      keep({ close: () => socket.terminate() });
      const reply = await new Promise<string>((resolve, reject) => {
        socket.once('open', () => socket.send('hello'));
        socket.once('message', (data) => resolve(String(data)));
        socket.once('error', reject);
      });
      expect(reply).toBe('echo hello');
      expect(proxy.relayed(`localhost:${port}`)).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
