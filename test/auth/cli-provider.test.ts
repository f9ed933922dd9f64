// The CLI's OAuthClientProvider: its SDK shape on a real store and real loopback callbacks, a second lifeline
// process waiting for the first one's sign-in, and the SDK v2 `auth()` driving it against a real
// authorization server (oidc-provider) in front of a real MCP server.

import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { auth, type OAuthClientProvider } from '@modelcontextprotocol/client';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  type CliAuthProvider,
  type CliAuthProviderOptions,
  createCliAuthProvider,
} from '../../src/auth/cli-provider.js';
import { FileStore } from '../../src/auth/file-store.js';
import { callbackPortFor, loopbackRedirectUri } from '../../src/auth/interactive.js';
import { followAuthorization, type OAuthRig, startOAuthRig } from '../peers/oauth/index.js';
import { type Child, type ChildSources, childSources, runChild } from './child.js';

const SERVER = 'https://mcp.example.com/mcp';
const CODE = 'code-SECRET-77aa';

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function authorizationUrl(state: string, port: number): URL {
  const url = new URL('https://auth.example.com/authorize');
  url.searchParams.set('state', state);
  url.searchParams.set('redirect_uri', loopbackRedirectUri(port));
  return url;
}

async function sendCallback(port: number, query: Record<string, string>): Promise<number> {
  const res = await fetch(`${loopbackRedirectUri(port)}?${new URLSearchParams(query)}`);
  await res.text();
  return res.status;
}

let dir: string;
const lines: string[] = [];
const providers: CliAuthProvider[] = [];
/** Secrets used in a test: none may appear in what the providers print. (The `state` may: it is in the
 * authorization URL the user must be shown.) */
let secrets = new Set<string>();

function provider(extra: Partial<CliAuthProviderOptions> = {}): CliAuthProvider {
  const p = createCliAuthProvider({
    serverUrl: SERVER,
    store: new FileStore({ dir }),
    noBrowser: true,
    clientName: 'lifeline test',
    log: (line) => lines.push(line),
    ...extra,
  });
  providers.push(p);
  return p;
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-provider-'));
  secrets = new Set([CODE]);
});
afterEach(async () => {
  await Promise.all(providers.splice(0).map((p) => p.close()));
  rmSync(dir, { recursive: true, force: true });
  const printed = lines.join('\n');
  for (const secret of secrets) expect(printed).not.toContain(secret);
  lines.length = 0;
});

describe('the SDK provider shape', () => {
  it('registers as a native public client with a loopback redirect on the derived port', () => {
    const p = provider({ scopes: ['mcp:tools', 'offline_access'] });
    expect(p.callbackPort).toBe(callbackPortFor(SERVER));
    expect(p.redirectUrl).toBe(`http://127.0.0.1:${p.callbackPort}/oauth/callback`);
    expect(p.clientMetadata).toMatchObject({
      client_name: 'lifeline test',
      redirect_uris: [p.redirectUrl],
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
      scope: 'mcp:tools offline_access',
    });
    expect(provider({ callbackPort: 23456 }).redirectUrl).toBe('http://127.0.0.1:23456/oauth/callback');
  });

  it('runs a managed sign-in: state, verifier, callback, tokens with timestamps, port released', async () => {
    const port = await freePort();
    let now = 1_000_000;
    const p = provider({ callbackPort: port, store: new FileStore({ dir, now: () => now }) });
    const state = p.state();
    await p.saveCodeVerifier('verifier-SECRET-1');
    secrets.add('verifier-SECRET-1');
    await p.redirectToAuthorization(authorizationUrl(state, port));
    expect(await sendCallback(port, { code: CODE, state })).toBe(200);
    const params = await p.waitForCallback();
    expect(params?.get('code')).toBe(CODE);
    expect(await p.codeVerifier()).toBe('verifier-SECRET-1');
    const before = now;
    await p.saveTokens({
      access_token: 'at-SECRET',
      token_type: 'Bearer',
      refresh_token: 'rt-SECRET',
      expires_in: 60,
    });
    secrets.add('at-SECRET').add('rt-SECRET');
    now += 10_000;
    const tokens = await p.tokens();
    expect(tokens?.access_token).toBe('at-SECRET');
    expect(tokens?.obtained_at).toBeGreaterThanOrEqual(before);
    expect(tokens?.expires_at).toBe((tokens?.obtained_at ?? 0) + 60_000);
    // The PKCE verifier is gone once the code is exchanged, and the port is free again.
    await expect(p.codeVerifier()).rejects.toThrow(/missing or expired/);
    for (const name of readdirSync(p.store.dir))
      expect(statSync(join(p.store.dir, name)).mode & 0o777).toBe(0o600);
    await portIsFree(port);
  });

  it('keeps two concurrent sign-ins apart: each callback finds its own verifier', async () => {
    const [portA, portB] = [await freePort(), await freePort()];
    const a = provider({ callbackPort: portA });
    const b = provider({ callbackPort: portB });
    const stateA = a.state();
    const stateB = b.state();
    await a.saveCodeVerifier('verifier-a');
    await b.saveCodeVerifier('verifier-b');
    await Promise.all([
      a.redirectToAuthorization(authorizationUrl(stateA, portA)),
      b.redirectToAuthorization(authorizationUrl(stateB, portB)),
    ]);
    await sendCallback(portB, { code: CODE, state: stateB });
    await sendCallback(portA, { code: CODE, state: stateA });
    expect((await b.waitForCallback())?.get('state')).toBe(stateB);
    expect(await b.codeVerifier()).toBe('verifier-b');
    expect((await a.waitForCallback())?.get('state')).toBe(stateA);
    expect(await a.codeVerifier()).toBe('verifier-a');
  });

  it('opens no browser when another process stored tokens after this one found none', async () => {
    const opened: string[] = [];
    const p = provider({ noBrowser: false, openBrowser: async (u) => opened.push(u) });
    expect(await p.tokens()).toBeUndefined();
    await new FileStore({ dir })
      .server(SERVER)
      .writeTokens(undefined, { access_token: 'at-other', token_type: 'Bearer' });
    await p.saveCodeVerifier('verifier-x');
    await p.redirectToAuthorization(authorizationUrl(p.state(), p.callbackPort));
    expect(await p.waitForCallback()).toBeUndefined();
    expect(opened).toEqual([]);
    expect(lines).toContain('Signed in to mcp.example.com by another lifeline process.');
    expect((await p.tokens())?.access_token).toBe('at-other');
  });

  it('discards a cached registration made for another callback port', async () => {
    const old = provider({ callbackPort: 21001 });
    await old.saveClientInformation(
      { client_id: 'c-old', redirect_uris: [loopbackRedirectUri(21001)] },
      { issuer: 'https://as' },
    );
    expect(
      (await provider({ callbackPort: 21001 }).clientInformation({ issuer: 'https://as' }))?.client_id,
    ).toBe('c-old');
    expect(
      await provider({ callbackPort: 21002 }).clientInformation({ issuer: 'https://as' }),
    ).toBeUndefined();
  });

  it('registers without a redirect for the device and client credentials grants', async () => {
    const device = provider({ grant: 'device_code' });
    expect(device.redirectUrl).toBeUndefined();
    expect(device.clientMetadata).toMatchObject({
      redirect_uris: [],
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
    });
    await expect(device.redirectToAuthorization(authorizationUrl('s', 20000))).rejects.toThrow(
      /device_code grant/,
    );
    const job = provider({
      grant: 'client_credentials',
      staticClient: { client_id: 'job', client_secret: 'cs-x' },
    });
    expect(job.clientMetadata).toMatchObject({ grant_types: ['client_credentials'], response_types: [] });
    // A device-code registration is not reused for a browser sign-in.
    await device.saveClientInformation(
      { client_id: 'c-device', grant_types: ['urn:ietf:params:oauth:grant-type:device_code'] } as never,
      { issuer: 'https://as' },
    );
    expect(
      (await provider({ grant: 'device_code' }).clientInformation({ issuer: 'https://as' }))?.client_id,
    ).toBe('c-device');
    expect(await provider().clientInformation({ issuer: 'https://as' })).toBeUndefined();
  });

  it('shows the device code and where to enter it, never the device_code', async () => {
    const opened: string[] = [];
    const p = provider({ grant: 'device_code', noBrowser: false, openBrowser: async (u) => opened.push(u) });
    secrets.add('device-code-SECRET');
    const response = {
      device_code: 'device-code-SECRET',
      user_code: 'WDJB-MJHT',
      verification_uri: 'https://as.example.com/device',
      verification_uri_complete: 'https://as.example.com/device?user_code=WDJB-MJHT',
      expires_in: 600,
    };
    await p.showDeviceAuthorization(response);
    expect(lines.join('\n')).toContain('WDJB-MJHT');
    expect(lines.join('\n')).toContain('https://as.example.com/device');
    expect(lines.join('\n')).toContain('10 min');
    expect(opened).toEqual(['https://as.example.com/device?user_code=WDJB-MJHT']);
  });

  it('uses a pre-registered client as is, never stores or drops it', async () => {
    const p = provider({ staticClient: { client_id: 'pre', client_secret: 'cs-SECRET' } });
    secrets.add('cs-SECRET');
    expect(p.clientMetadata.token_endpoint_auth_method).toBe('client_secret_basic');
    await p.saveClientInformation({ client_id: 'pre', client_secret: 'cs-SECRET', issuer: 'https://as' });
    await p.invalidateCredentials('client');
    expect(await p.clientInformation({ issuer: 'https://as' })).toEqual({
      client_id: 'pre',
      client_secret: 'cs-SECRET',
      issuer: 'https://as', // the SDK's SEP-2352 stamp, kept in memory only
    });
    expect(readdirSyncSafe(p.store.dir).filter((n) => n.startsWith('client-'))).toEqual([]);
  });

  it("invalidateCredentials('tokens') deletes only the set it handed out (compare-and-delete)", async () => {
    const p = provider();
    await p.saveTokens({ access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1' });
    await p.tokens(); // the SDK reads them, then its refresh is refused
    await new FileStore({ dir }).server(SERVER).writeTokens(undefined, {
      access_token: 'at-2',
      token_type: 'Bearer',
      refresh_token: 'rt-2',
    });
    await p.invalidateCredentials('tokens');
    expect((await p.tokens())?.access_token).toBe('at-2');
    await p.invalidateCredentials('tokens');
    expect(await p.tokens()).toBeUndefined();
  });

  it('keys tokens by the discovered resource and registrations by the issuer', async () => {
    const p = provider();
    await p.saveDiscoveryState({
      authorizationServerUrl: 'https://as.example.com/',
      resourceMetadata: {
        resource: 'https://mcp.example.com/mcp',
        authorization_servers: ['https://as.example.com/'],
      },
      authorizationServerMetadata: { issuer: 'https://as.example.com' },
    });
    await p.saveTokens({ access_token: 'at-r', token_type: 'Bearer' });
    await p.saveClientInformation({ client_id: 'c-1' });
    const store = new FileStore({ dir }).server(SERVER);
    expect((await store.readTokens('https://mcp.example.com/mcp'))?.issuer).toBe('https://as.example.com');
    expect((await store.readClient('https://as.example.com'))?.client.client_id).toBe('c-1');
    // A fresh process finds both through the stored discovery.
    expect((await provider().tokens())?.access_token).toBe('at-r');
    expect((await provider().clientInformation())?.client_id).toBe('c-1');
    await p.invalidateCredentials('discovery');
    expect(await provider().tokens()).toBeUndefined();
  });

  it('its own registration wins on disk when another process registered at the same time', async () => {
    const p = provider();
    await p.saveClientInformation({ client_id: 'mine' }, { issuer: 'https://as' });
    await new FileStore({ dir })
      .server(SERVER)
      .writeClient('https://as', { client_id: 'theirs' }, p.redirectUrl);
    expect((await p.clientInformation({ issuer: 'https://as' }))?.client_id).toBe('mine');
    await p.saveTokens({ access_token: 'at-mine', token_type: 'Bearer' }, { issuer: 'https://as' });
    expect((await provider().clientInformation({ issuer: 'https://as' }))?.client_id).toBe('mine');
    expect((await p.store.readTokens(undefined))?.clientId).toBe('mine');
  });

  it('refreshTokens refreshes once and hands the result to everyone who saw the old set', async () => {
    const p = provider();
    await p.saveTokens({ access_token: 'at-1', token_type: 'Bearer', refresh_token: 'rt-1', expires_in: 60 });
    let calls = 0;
    const refresh = async () => {
      calls++;
      return {
        tokens: { access_token: 'at-2', token_type: 'Bearer', refresh_token: 'rt-2', expires_in: 60 },
      };
    };
    const [x, y] = await Promise.all([
      p.refreshTokens({ access_token: 'at-1' }, refresh),
      provider().refreshTokens({ access_token: 'at-1' }, refresh),
    ]);
    expect(calls).toBe(1);
    expect([x?.access_token, y?.access_token]).toEqual(['at-2', 'at-2']);
  });
});

describe('a second lifeline process for the same server', () => {
  let sources: ChildSources;
  const children: Child[] = [];
  beforeAll(() => {
    sources = childSources(['src/auth/cli-provider.ts']);
  });
  afterAll(() => sources.close());
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.close();
      await child.exited;
    }
  });

  it('waits for the first sign-in without opening a browser, then uses the tokens it stored', async () => {
    const port = await freePort();
    const script = sources.script(
      'first.mjs',
      `import { FileStore } from './src/auth/file-store.js';
import { createCliAuthProvider } from './src/auth/cli-provider.js';
const [dir, port] = process.argv.slice(2);
const p = createCliAuthProvider({ serverUrl: '${SERVER}', store: new FileStore({ dir }), callbackPort: Number(port),
  noBrowser: true, clientName: 'first', log: (line) => process.stderr.write(line + '\\n') });
const state = p.state();
await p.saveCodeVerifier('verifier-first');
const url = new URL('https://auth.example.com/authorize');
url.searchParams.set('state', state);
await p.redirectToAuthorization(url);
console.log('state ' + state);
const params = await p.waitForCallback();
console.log('verifier ' + (await p.codeVerifier()));
await new Promise((resolve) => setTimeout(resolve, 200)); // the code exchange
await p.saveTokens({ access_token: 'at-first', token_type: 'Bearer', refresh_token: 'rt-first', expires_in: 3600 });
console.log('saved');`,
    );
    const first = runChild(script, [dir, String(port)]);
    children.push(first);
    const state = (await first.line(/^state /)).slice('state '.length);

    const opened: string[] = [];
    const second = provider({
      callbackPort: port,
      noBrowser: false,
      openBrowser: async (url) => {
        opened.push(url);
      },
    });
    await second.saveCodeVerifier('verifier-second');
    await second.redirectToAuthorization(authorizationUrl(second.state(), port));
    expect(lines.some((l) => l.startsWith('Another lifeline process is signing in'))).toBe(true);
    expect(lines.some((l) => l.includes('https://auth.example.com/authorize'))).toBe(false);

    expect(await sendCallback(port, { code: CODE, state })).toBe(200);
    expect(await first.line(/^verifier /)).toBe('verifier verifier-first');
    expect(await second.waitForCallback()).toBeUndefined();
    await first.line(/^saved/);
    expect((await second.tokens())?.access_token).toBe('at-first');
    expect(opened).toEqual([]);
    expect(first.stderr()).not.toContain(CODE);
  });
});

describe('driven by the SDK v2 auth() against oidc-provider', () => {
  let rig: OAuthRig;
  let port: number;
  beforeAll(async () => {
    port = await freePort();
    // Pre-registered: this oidc-provider refuses a dynamic registration whose `scope` names the
    // resource's scopes (mcp:tools), which the SDK puts in the registration body.
    rig = await startOAuthRig({
      authServer: {
        accessTokenTtl: 60,
        clients: [
          {
            client_id: 'lifeline-cli',
            redirect_uris: [loopbackRedirectUri(port)],
            token_endpoint_auth_method: 'none',
            application_type: 'native',
            grant_types: ['authorization_code', 'refresh_token'],
            response_types: ['code'],
          },
        ],
      },
    });
  });
  afterAll(async () => {
    await rig.close();
  });

  it('signs in through the loopback callback; a new process refreshes, a refused refresh deletes only that set', async () => {
    const serverUrl = rig.mcpServer.url;
    const browser = async (url: string) => {
      // The user's browser: sign in, consent, then land on the loopback callback.
      const landing = await followAuthorization(new URL(url));
      const res = await fetch(landing);
      await res.text();
    };
    const options = {
      serverUrl,
      callbackPort: port,
      noBrowser: false,
      openBrowser: browser,
      staticClient: { client_id: 'lifeline-cli' },
    };
    const p = provider(options);
    expect(await auth(sdk(p), { serverUrl })).toBe('REDIRECT');
    const params = await p.waitForCallback();
    const code = params?.get('code') ?? '';
    secrets.add(code);
    const iss = params?.get('iss');
    const result = await auth(sdk(p), { serverUrl, authorizationCode: code, ...(iss ? { iss } : {}) });
    expect(result).toBe('AUTHORIZED');
    const tokens = await p.tokens();
    expect(tokens?.refresh_token).toBeTruthy();
    secrets.add(tokens?.access_token ?? '').add(tokens?.refresh_token ?? '');
    expect(tokens?.expires_at).toBeGreaterThan(Date.now());
    expect(await initialize(serverUrl, tokens?.access_token ?? '')).toBe(200);

    // Another process (a new provider on the same store) needs no sign-in: the SDK refreshes.
    const again = provider(options);
    expect(await auth(sdk(again), { serverUrl })).toBe('AUTHORIZED');
    const refreshed = await again.tokens();
    secrets.add(refreshed?.access_token ?? '').add(refreshed?.refresh_token ?? '');
    expect(refreshed?.access_token).not.toBe(tokens?.access_token);
    expect(rig.authServer.stats()).toMatchObject({ authorizations: 1, refreshes: 1 });
    const store = new FileStore({ dir }).server(serverUrl);
    for (const name of readdirSync(store.dir))
      expect(statSync(join(store.dir, name)).mode & 0o777).toBe(0o600);

    // The grant is revoked: the SDK's refresh gets invalid_grant, invalidates the tokens (the set it read
    // is deleted) and starts a new sign-in.
    await rig.authServer.revoke({ clientId: 'lifeline-cli' });
    const third = provider(options);
    expect(await auth(sdk(third), { serverUrl })).toBe('REDIRECT');
    expect(await third.tokens()).toBeUndefined();
    expect((await third.waitForCallback())?.get('code')).toBeTruthy();
  });
});

/** An MCP initialize with a bearer token: the MCP server's verdict on it. */
async function initialize(serverUrl: string, accessToken: string): Promise<number> {
  const answer = await fetch(serverUrl, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    },
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't', version: '1' } },
    }),
  });
  await answer.text();
  return answer.status;
}

/**
 * The provider as the SDK's type: the same at run time; the types differ only where the SDK's
 * `OAuthDiscoveryState` is stricter under exactOptionalPropertyTypes than lifeline's structural copy.
 */
function sdk(p: CliAuthProvider): OAuthClientProvider {
  return p as unknown as OAuthClientProvider;
}

function readdirSyncSafe(path: string): string[] {
  try {
    return readdirSync(path);
  } catch {
    return [];
  }
}

async function portIsFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
