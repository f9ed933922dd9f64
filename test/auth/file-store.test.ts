// The CLI's token store on a real file system in a temporary folder, with real child processes for what
// happens between processes: atomic writes under SIGKILL, one refresh for two processes, compare-and-delete.

import { mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import envPaths from 'env-paths';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FileStore, TOKENS_LEASE } from '../../src/auth/file-store.js';
import { AUTH_DIR_ENV, authStoreDir, normalizeServerUrl, serverKey } from '../../src/auth/paths.js';
import { AuthorizationError } from '../../src/errors.js';
import { type Child, type ChildSources, childSources, runChild } from './child.js';

const SERVER = 'https://mcp.example.com/mcp';
const RESOURCE = 'https://mcp.example.com/mcp';
const ISSUER = 'https://auth.example.com';

function tokens(name: string, extra: Record<string, unknown> = {}) {
  return {
    access_token: `at-${name}`,
    token_type: 'Bearer',
    refresh_token: `rt-${name}`,
    expires_in: 3600,
    ...extra,
  };
}

function mode(path: string): number {
  return statSync(path).mode & 0o777;
}

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-store-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
});

describe('store location', () => {
  it('is LIFELINE_AUTH_DIR when set, else the env-paths config folder without any version in it', () => {
    expect(authStoreDir({ [AUTH_DIR_ENV]: '/somewhere/auth' })).toBe('/somewhere/auth');
    const standard = authStoreDir({});
    expect(standard).toBe(join(envPaths('lifeline', { suffix: '' }).config, 'auth'));
    expect(standard).not.toMatch(/\d+\.\d+/);
  });

  it('keys a server by its normalized URL: no fragment, no credentials, one trailing slash ignored', () => {
    expect(normalizeServerUrl('HTTPS://Mcp.Example.com:443/mcp/#x')).toBe('https://mcp.example.com/mcp');
    expect(normalizeServerUrl('https://user:pw@mcp.example.com/mcp')).toBe('https://mcp.example.com/mcp');
    expect(serverKey('https://mcp.example.com/mcp/')).toBe(serverKey(SERVER));
    expect(serverKey('https://mcp.example.com/mcp?tenant=2')).not.toBe(serverKey(SERVER));
  });
});

describe('files and modes', () => {
  it('writes files 0600 in folders 0700, tokens apart from the registration', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeClient(ISSUER, { client_id: 'c1' }, 'http://127.0.0.1:21000/oauth/callback');
    await server.writeTokens(RESOURCE, tokens('1'), { issuer: ISSUER, clientId: 'c1' });
    await server.saveVerifier('state-1', 'verifier-1');
    await server.writeDiscovery({ authorizationServerUrl: ISSUER });
    for (const folder of [dir, join(dir, 'servers'), server.dir]) expect(mode(folder)).toBe(0o700);
    const names = (await import('node:fs')).readdirSync(server.dir).sort();
    expect(names.filter((n) => n.startsWith('client-'))).toHaveLength(1);
    expect(names.filter((n) => n.startsWith('tokens-'))).toHaveLength(1);
    expect(names).toContain('server.json');
    for (const name of names) expect(mode(join(server.dir, name)), name).toBe(0o600);
    expect(JSON.parse(readFileSync(join(server.dir, 'server.json'), 'utf8')).url).toBe(SERVER);
  });

  it('narrows an existing folder that others can read to 0700', async () => {
    mkdirSync(dir, { recursive: true, mode: 0o755 });
    const { chmodSync } = await import('node:fs');
    chmodSync(dir, 0o755);
    await new FileStore({ dir }).server(SERVER).writeTokens(undefined, tokens('1'));
    expect(mode(dir)).toBe(0o700);
  });

  it('reads a damaged token file as no tokens instead of failing', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('1'));
    const { readdirSync } = await import('node:fs');
    const file = readdirSync(server.dir).find((n) => n.startsWith('tokens-')) as string;
    writeFileSync(join(server.dir, file), '{"tokens": {"access_tok');
    expect(await server.readTokens(RESOURCE)).toBeUndefined();
  });
});

describe('tokens', () => {
  it('keeps one token set per resource, with obtained and expiry times', async () => {
    let now = 1_000_000;
    const server = new FileStore({ dir, now: () => now }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('a'), { issuer: ISSUER });
    now += 5000;
    await server.writeTokens('https://mcp.example.com/other', tokens('b'));
    const a = await server.readTokens(RESOURCE);
    expect(a).toMatchObject({
      resource: RESOURCE,
      issuer: ISSUER,
      obtainedAt: 1_000_000,
      expiresAt: 4_600_000,
    });
    expect(a?.tokens.access_token).toBe('at-a');
    expect((await server.readTokens('https://mcp.example.com/other'))?.tokens.access_token).toBe('at-b');
    expect(await server.readTokens(undefined)).toBeUndefined();
  });

  it('keeps the timestamps when the same access token is saved again (an issuer stamp added)', async () => {
    let now = 1_000;
    const server = new FileStore({ dir, now: () => now }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('a'));
    now = 9_000;
    await server.writeTokens(RESOURCE, { ...tokens('a'), issuer: ISSUER });
    expect(await server.readTokens(RESOURCE)).toMatchObject({ obtainedAt: 1_000, issuer: ISSUER });
  });

  it('compare-and-delete removes only the token set that failed', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('old'));
    const failed = (await server.readTokens(RESOURCE))?.tokens;
    // Another process refreshed meanwhile.
    await new FileStore({ dir }).server(SERVER).writeTokens(RESOURCE, tokens('new'));
    expect(await server.deleteTokensIf(RESOURCE, { refresh_token: failed?.refresh_token })).toBe(false);
    expect((await server.readTokens(RESOURCE))?.tokens.access_token).toBe('at-new');
    expect(await server.deleteTokensIf(RESOURCE, { refresh_token: 'rt-new', access_token: 'at-new' })).toBe(
      true,
    );
    expect(await server.readTokens(RESOURCE)).toBeUndefined();
    expect(await server.deleteTokensIf(RESOURCE, {})).toBe(false);
  });

  it('refreshes once for concurrent callers in one process, the others get the stored result', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('1'));
    let refreshes = 0;
    const refresh = async () => {
      refreshes++;
      await new Promise((r) => setTimeout(r, 30));
      return { tokens: tokens('2') };
    };
    const results = await Promise.all(
      Array.from({ length: 5 }, () => server.refreshTokens(RESOURCE, { access_token: 'at-1' }, refresh)),
    );
    expect(refreshes).toBe(1);
    expect(results.map((r) => r?.tokens.access_token)).toEqual(Array(5).fill('at-2'));
  });
});

describe('registrations', () => {
  it('are kept per issuer, and one made for another redirect port is discarded', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    const old = 'http://127.0.0.1:21000/oauth/callback';
    await server.writeClient(ISSUER, { client_id: 'c1', redirect_uris: [old] }, old);
    await server.writeClient('https://other-as.example.com', { client_id: 'c2' }, old);
    expect((await server.readClient(`${ISSUER}/`))?.client.client_id).toBe('c1'); // one trailing slash: same issuer
    expect((await server.readClient(ISSUER, { redirectUri: old }))?.client.client_id).toBe('c1');
    expect(
      await server.readClient(ISSUER, { redirectUri: 'http://127.0.0.1:22000/oauth/callback' }),
    ).toBeUndefined();
    expect(await server.readClient(ISSUER)).toBeUndefined(); // deleted, not just hidden
    expect((await server.readClient('https://other-as.example.com'))?.client.client_id).toBe('c2');
  });

  it('survive a refused refresh token: deleting tokens leaves the registration', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeClient(ISSUER, { client_id: 'c1' }, undefined);
    await server.writeTokens(RESOURCE, tokens('1'));
    await server.deleteTokensIf(RESOURCE, { refresh_token: 'rt-1' });
    expect((await server.readClient(ISSUER))?.client.client_id).toBe('c1');
  });
});

describe('PKCE verifiers', () => {
  it('are kept per state, so two sign-ins at once do not overwrite each other', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await Promise.all([
      server.saveVerifier('state-a', 'verifier-a'),
      server.saveVerifier('state-b', 'verifier-b'),
    ]);
    expect(await server.readVerifier('state-a')).toBe('verifier-a');
    expect(await server.readVerifier('state-b')).toBe('verifier-b');
    await server.deleteVerifier('state-a');
    expect(await server.readVerifier('state-a')).toBeUndefined();
    expect(await server.readVerifier('state-b')).toBe('verifier-b');
  });

  it('expire', async () => {
    let now = 0;
    const server = new FileStore({ dir, now: () => now, verifierTtlMs: 1000 }).server(SERVER);
    await server.saveVerifier('state-a', 'verifier-a');
    now = 999;
    expect(await server.readVerifier('state-a')).toBe('verifier-a');
    now = 1000;
    expect(await server.readVerifier('state-a')).toBeUndefined();
  });
});

describe('auth list and logout', () => {
  it('lists the servers with what is stored, without secrets, and removes one', async () => {
    const store = new FileStore({ dir });
    await store
      .server(SERVER)
      .writeTokens(RESOURCE, tokens('secret1', { scope: 'mcp:tools' }), { issuer: ISSUER });
    await store
      .server(SERVER)
      .writeClient(ISSUER, { client_id: 'c1', client_secret: 'cs-secret' }, undefined);
    await store.server('https://b.example.com/').writeTokens(undefined, tokens('secret2'));
    const list = await store.listStored();
    expect(list.map((s) => s.serverUrl)).toEqual(['https://b.example.com/', SERVER]);
    expect(list[1]).toMatchObject({
      clients: [{ issuer: ISSUER }],
      tokens: [{ resource: RESOURCE, issuer: ISSUER, hasRefreshToken: true, scope: 'mcp:tools' }],
    });
    expect(JSON.stringify(list)).not.toMatch(/secret/);
    expect(await store.removeStored(`${SERVER}/`)).toBe(true);
    expect((await store.listStored()).map((s) => s.serverUrl)).toEqual(['https://b.example.com/']);
    expect(await store.removeStored(SERVER)).toBe(false);
  });
});

describe('between processes', () => {
  let sources: ChildSources;
  const children: Child[] = [];
  beforeAll(() => {
    sources = childSources(['src/auth/file-store.ts']);
  });
  afterAll(() => sources.close());
  afterEach(async () => {
    for (const child of children.splice(0)) {
      child.close();
      await child.exited;
    }
  });

  it('a process killed in the middle of writing leaves a file that is always valid JSON', async () => {
    const writer = sources.script(
      'writer.mjs',
      `import { FileStore } from './src/auth/file-store.js';
const server = new FileStore({ dir: process.argv[2] }).server('${SERVER}');
const padding = 'x'.repeat(200_000);
for (let i = 0; ; i++) {
  await server.writeTokens('${RESOURCE}', { access_token: 'at-' + i, token_type: 'Bearer', padding });
  if (i === 20) console.log('writing');
}`,
    );
    const child = runChild(writer, [dir]);
    children.push(child);
    await child.line(/writing/);
    const server = new FileStore({ dir }).server(SERVER);
    let reads = 0;
    const until = Date.now() + 500;
    while (Date.now() < until) {
      const record = await server.readTokens(RESOURCE);
      expect(record?.tokens.access_token).toMatch(/^at-\d+$/);
      reads++;
    }
    child.process.kill('SIGKILL');
    await child.exited;
    const { readdirSync } = await import('node:fs');
    const file = readdirSync(server.dir).find((n) => n.startsWith('tokens-')) as string;
    expect(() => JSON.parse(readFileSync(join(server.dir, file), 'utf8'))).not.toThrow();
    expect((await server.readTokens(RESOURCE))?.tokens.access_token).toMatch(/^at-\d+$/);
    expect(reads).toBeGreaterThan(10);
  });

  it('two processes contend for one refresh: only one refreshes, the other re-reads and uses its tokens', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('1'));
    const counter = join(dir, 'refreshes');
    writeFileSync(counter, '0');
    const refresher = sources.script(
      'refresher.mjs',
      `import { readFileSync, writeFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { FileStore } from './src/auth/file-store.js';
const [dir, counter, name] = process.argv.slice(2);
const server = new FileStore({ dir }).server('${SERVER}');
const seen = (await server.readTokens('${RESOURCE}')).tokens;
console.log('ready');
await new Promise((resolve) => createInterface({ input: process.stdin }).once('line', resolve));
const result = await server.refreshTokens('${RESOURCE}', seen, async (current) => {
  // The refresh token is spent here: a second use would be refused by a rotating server.
  if (current.tokens.refresh_token !== seen.refresh_token) throw new Error('refresh token already spent');
  writeFileSync(counter, String(Number(readFileSync(counter, 'utf8')) + 1));
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { tokens: { access_token: 'at-by-' + name, token_type: 'Bearer', refresh_token: 'rt-by-' + name, expires_in: 3600 } };
});
console.log('result ' + result.tokens.access_token);
process.exit(0);`,
    );
    const a = runChild(refresher, [dir, counter, 'a']);
    const b = runChild(refresher, [dir, counter, 'b']);
    children.push(a, b);
    await Promise.all([a.line(/ready/), b.line(/ready/)]);
    a.process.stdin.write('go\n');
    b.process.stdin.write('go\n');
    const [ra, rb] = await Promise.all([a.line(/^result /), b.line(/^result /)]);
    expect(readFileSync(counter, 'utf8')).toBe('1');
    expect(ra).toBe(rb);
    expect((await server.readTokens(RESOURCE))?.tokens.access_token).toBe(ra.slice('result '.length));
  });

  it('a lease held by another process makes a waiter give up at its timeout with a typed error', async () => {
    const holder = sources.script(
      'holder.mjs',
      `import { FileStore } from './src/auth/file-store.js';
const server = new FileStore({ dir: process.argv[2] }).server('${SERVER}');
await server.withLease('${TOKENS_LEASE}', async () => {
  console.log('holding');
  await new Promise(() => setInterval(() => {}, 1000));
});`,
    );
    const child = runChild(holder, [dir]);
    children.push(child);
    await child.line(/holding/);
    const server = new FileStore({ dir, lease: { timeoutMs: 300 } }).server(SERVER);
    const started = Date.now();
    const error = await server.withLease(TOKENS_LEASE, async () => 'got it').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect(Date.now() - started).toBeGreaterThanOrEqual(250);
    child.process.kill('SIGTERM'); // proper-lockfile removes its lock on exit
    await child.exited;
    expect(await server.withLease(TOKENS_LEASE, async () => 'got it')).toBe('got it');
  });

  it('compare-and-delete waits for a refresh in another process and keeps what it stored', async () => {
    const server = new FileStore({ dir }).server(SERVER);
    await server.writeTokens(RESOURCE, tokens('1'));
    const slow = sources.script(
      'slow-refresh.mjs',
      `import { FileStore } from './src/auth/file-store.js';
const server = new FileStore({ dir: process.argv[2] }).server('${SERVER}');
await server.refreshTokens('${RESOURCE}', { access_token: 'at-1' }, async () => {
  console.log('refreshing');
  await new Promise((resolve) => setTimeout(resolve, 300));
  return { tokens: { access_token: 'at-2', token_type: 'Bearer', refresh_token: 'rt-2' } };
});
console.log('done');`,
    );
    const child = runChild(slow, [dir]);
    children.push(child);
    await child.line(/refreshing/);
    // This process's refresh with rt-1 was refused (invalid_grant) while the other one refreshed.
    expect(await server.deleteTokensIf(RESOURCE, { refresh_token: 'rt-1' })).toBe(false);
    expect((await server.readTokens(RESOURCE))?.tokens.access_token).toBe('at-2');
    await child.line(/done/);
  });
});
