// The command line's sign-in on real loopback sockets: the callback server, the port shared by two sign-ins
// to the same server, the time limit, a pasted redirect URL, and what is printed (never a code).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { PassThrough } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import {
  CALLBACK_PORT_RANGE,
  callbackPortFor,
  DEFAULT_SIGN_IN_TIMEOUT_MS,
  loopbackRedirectUri,
  type SignIn,
  type SignInOptions,
  startSignIn,
} from '../../src/auth/interactive.js';
import { AuthorizationError } from '../../src/errors.js';

const SERVER = 'https://mcp.example.com/mcp';
const CODE = 'code-SECRET-4f1c';

/** A port free right now (bound on 0, then released). */
async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function authorizationUrl(state: string, port: number): URL {
  const url = new URL('https://auth.example.com/authorize');
  url.searchParams.set('response_type', 'code');
  url.searchParams.set('state', state);
  url.searchParams.set('redirect_uri', loopbackRedirectUri(port));
  url.searchParams.set('code_challenge', 'challenge');
  return url;
}

/** What the browser does when the authorization server sends it back. */
async function callback(port: number, query: Record<string, string>, host?: string) {
  const url = `${loopbackRedirectUri(port)}?${new URLSearchParams(query)}`;
  const res = await fetch(url, host === undefined ? {} : { headers: { host } });
  return { status: res.status, text: await res.text(), headers: res.headers };
}

const lines: string[] = [];
const open: SignIn[] = [];
const servers: Server[] = [];

function options(port: number, state: string, extra: Partial<SignInOptions> = {}): SignInOptions {
  return {
    serverUrl: SERVER,
    authorizationUrl: authorizationUrl(state, port),
    port,
    noBrowser: true,
    log: (line) => lines.push(line),
    ...extra,
  };
}

async function begin(opts: SignInOptions): Promise<SignIn> {
  const signIn = await startSignIn(opts);
  open.push(signIn);
  return signIn;
}

afterEach(async () => {
  await Promise.all(open.splice(0).map((s) => s.cancel()));
  await Promise.all(servers.splice(0).map((s) => new Promise((resolve) => s.close(resolve))));
  // Nothing printed in any test carries an authorization code.
  expect(lines.join('\n')).not.toContain(CODE);
  lines.length = 0;
});

describe('callback port', () => {
  it('is derived from the server URL: stable, in range, the same for an equivalent URL', () => {
    const port = callbackPortFor(SERVER);
    expect(port).toBeGreaterThanOrEqual(CALLBACK_PORT_RANGE.min);
    expect(port).toBeLessThanOrEqual(CALLBACK_PORT_RANGE.max);
    expect(callbackPortFor(`${SERVER}/`)).toBe(port);
    expect(callbackPortFor('https://other.example.com/mcp')).not.toBe(port);
    expect(loopbackRedirectUri(port)).toBe(`http://127.0.0.1:${port}/oauth/callback`);
  });

  it('defaults the sign-in time limit to 5 minutes', () => {
    expect(DEFAULT_SIGN_IN_TIMEOUT_MS).toBe(300_000);
  });
});

describe('callback server', () => {
  it('accepts the callback with the right state and answers with a page that echoes nothing', async () => {
    const port = await freePort();
    const signIn = await begin(options(port, 'state-1'));
    const res = await callback(port, { code: CODE, state: 'state-1', iss: 'https://auth.example.com' });
    expect(res.status).toBe(200);
    expect(res.text).toContain('You can close this tab');
    expect(res.text).not.toContain(CODE);
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    expect(res.headers.get('cache-control')).toBe('no-store');
    const outcome = await signIn.outcome;
    expect(outcome.kind).toBe('callback');
    if (outcome.kind !== 'callback') return;
    expect(Object.fromEntries(outcome.params)).toEqual({
      code: CODE,
      state: 'state-1',
      iss: 'https://auth.example.com',
    });
    await signIn.finish();
    await freePortIsFree(port);
  });

  it('refuses a wrong state and keeps waiting for the right one', async () => {
    const port = await freePort();
    const signIn = await begin(options(port, 'state-1'));
    const wrong = await callback(port, { code: CODE, state: 'state-forged' });
    expect(wrong.status).toBe(400);
    expect(wrong.text).not.toContain(CODE);
    expect((await callback(port, { state: 'state-1' })).status).toBe(400); // neither code nor error
    let settled = false;
    void signIn.outcome.then(() => {
      settled = true;
    });
    await new Promise((r) => setTimeout(r, 20));
    expect(settled).toBe(false);
    expect((await callback(port, { code: CODE, state: 'state-1' })).status).toBe(200);
    expect((await signIn.outcome).kind).toBe('callback');
  });

  it('passes an error response on (the caller reports it) with a page that says so', async () => {
    const port = await freePort();
    const signIn = await begin(options(port, 'state-1'));
    const res = await callback(port, { error: 'access_denied', state: 'state-1' });
    expect(res.text).toContain('did not grant access');
    const outcome = await signIn.outcome;
    expect(outcome.kind === 'callback' && outcome.params.get('error')).toBe('access_denied');
  });

  it('refuses a request whose Host is not the loopback address (DNS rebinding)', async () => {
    const port = await freePort();
    await begin(options(port, 'state-1'));
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(
        {
          host: '127.0.0.1',
          port,
          path: '/oauth/callback?state=state-1&code=x',
          headers: { host: 'evil.example' },
        },
        (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(status).toBe(400);
  });

  it('gives up after the time limit with a typed error and releases the port', async () => {
    const port = await freePort();
    const signIn = await begin(options(port, 'state-1', { timeoutMs: 150 }));
    const error = await signIn.outcome.catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).kind).toBe('callback');
    expect((error as Error).message).toMatch(/did not complete within 150 ms/);
    await freePortIsFree(port);
  });

  it('refuses to start when another program holds the port', async () => {
    const port = await freePort();
    const other = createServer((_req, res) => res.end('hello'));
    servers.push(other);
    await new Promise<void>((resolve) => other.listen(port, '127.0.0.1', resolve));
    const error = await startSignIn(options(port, 'state-1')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as Error).message).toMatch(/in use by another program.*--callback-port/);
  });
});

describe('browser and terminal', () => {
  it('always prints the authorization URL, and opens the browser unless told not to', async () => {
    const port = await freePort();
    const opened: string[] = [];
    const url = authorizationUrl('state-1', port);
    await begin(
      options(port, 'state-1', {
        noBrowser: false,
        openBrowser: async (u) => {
          opened.push(u);
        },
      }),
    );
    expect(opened).toEqual([url.href]);
    expect(lines).toContain(`  ${url.href}`);
  });

  it('says so when the browser cannot be opened, and keeps waiting', async () => {
    const port = await freePort();
    const signIn = await begin(
      options(port, 'state-1', {
        noBrowser: false,
        openBrowser: async () => {
          throw new Error('spawn xdg-open ENOENT');
        },
      }),
    );
    expect(lines.some((l) => l.includes('Could not open a browser'))).toBe(true);
    await callback(port, { code: CODE, state: 'state-1' });
    expect((await signIn.outcome).kind).toBe('callback');
  });

  it('accepts a pasted redirect URL (SSH, containers), ignoring lines that are not it, echoing none', async () => {
    const port = await freePort();
    const terminal = new PassThrough();
    const signIn = await begin(options(port, 'state-1', { pasteInput: terminal }));
    expect(lines.some((l) => l.includes('paste here the address'))).toBe(true);
    terminal.write('not a url\n');
    terminal.write(`${loopbackRedirectUri(port)}?code=${CODE}&state=state-other\n`);
    terminal.write(
      `  ${loopbackRedirectUri(port)}?code=${CODE}&state=state-1&iss=https%3A%2F%2Fauth.example.com  \n`,
    );
    const outcome = await signIn.outcome;
    expect(outcome.kind === 'callback' && Object.fromEntries(outcome.params)).toEqual({
      code: CODE,
      state: 'state-1',
      iss: 'https://auth.example.com',
    });
    expect(lines.filter((l) => l.startsWith('That is not'))).toHaveLength(2);
  });
});

describe('two sign-ins to the same server', () => {
  it('the second waits for the first (no second browser tab), then reads the store', async () => {
    const port = await freePort();
    const opened: string[] = [];
    const openBrowser = async (u: string) => {
      opened.push(u);
    };
    const first = await begin(options(port, 'state-1', { noBrowser: false, openBrowser }));
    let stored = false;
    const second = await begin(
      options(port, 'state-2', { noBrowser: false, openBrowser, signedInElsewhere: async () => stored }),
    );
    expect(opened).toHaveLength(1);
    expect(lines.some((l) => l.startsWith('Another lifeline process is signing in'))).toBe(true);
    await callback(port, { code: CODE, state: 'state-1' });
    expect((await first.outcome).kind).toBe('callback');
    stored = true; // the first stored its tokens
    await first.finish();
    expect(await second.outcome).toEqual({ kind: 'shared' });
    expect(opened).toHaveLength(1);
  });

  it('the second takes over when the first ends without tokens', async () => {
    const port = await freePort();
    const first = await begin(options(port, 'state-1'));
    const second = await begin(options(port, 'state-2', { signedInElsewhere: async () => false }));
    await first.cancel();
    await expect(first.outcome).rejects.toThrow(/cancelled/);
    // The second now owns the port and prints its own URL.
    await waitFor(() => lines.some((l) => l.includes('state=state-2')));
    await callback(port, { code: CODE, state: 'state-2' });
    const outcome = await second.outcome;
    expect(outcome.kind === 'callback' && outcome.params.get('state')).toBe('state-2');
  });

  it('a port held by a lifeline sign-in to another server is refused', async () => {
    const port = await freePort();
    await begin(options(port, 'state-1'));
    const error = await startSignIn({
      ...options(port, 'state-2'),
      serverUrl: 'https://other.example.com/',
    }).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/in use by another sign-in/);
  });
});

async function waitFor(condition: () => boolean, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error('condition not met');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function freePortIsFree(port: number): Promise<void> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', resolve);
  });
  await new Promise<void>((resolve) => server.close(() => resolve()));
}
