// Signing in from the command line (issue 15), as users run it: dist/cli/main.js in child processes, in
// front of a real authorization server (oidc-provider) and an MCP server that checks its tokens
// (test/peers/oauth). The user's browser is the rig's headless stand-in: it follows the authorization
// address the command prints on stderr, and the test sends the redirect it ends on to the command's
// loopback callback, as the browser would. Tokens live in a temporary LIFELINE_AUTH_DIR.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell variables as ${…} in plain strings.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FleetRow, jsonRow, renderTable } from '../../src/cli/fleet.js';
import { buildCli, cli, cliEnv } from '../helpers/cli.js';
import { waitFor } from '../helpers/processes.js';
import {
  completeDeviceAuthorization,
  followAuthorization,
  type OAuthRig,
  startOAuthRig,
} from '../peers/oauth/index.js';

let rig: OAuthRig;
let dir: string;
/** Everything the commands printed, and the secrets none of it may contain. */
const printed: string[] = [];
const secrets = new Set<string>();
const cleanups: (() => Promise<unknown>)[] = [];

/** A client registered beforehand for jobs with no user (client credentials). */
const JOB = { client_id: 'nightly-job', client_secret: 'job-SECRET-3b7e91c4' };

beforeAll(async () => {
  buildCli();
  rig = await startOAuthRig({
    authServer: {
      clients: [
        {
          ...JOB,
          grant_types: ['client_credentials'],
          redirect_uris: [],
          response_types: [],
          token_endpoint_auth_method: 'client_secret_basic',
        },
      ],
    },
  });
}, 180_000);
afterAll(async () => {
  await rig?.close();
});
/** Samples the store while a test runs: tokens rotate (2-second access tokens), every one seen is a secret. */
let sampler: NodeJS.Timeout | undefined;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'lifeline-auth-cli-'));
  sampler = setInterval(() => {
    for (const secret of storedSecrets()) secrets.add(secret);
  }, 100);
});
afterEach(async () => {
  clearInterval(sampler);
  await Promise.allSettled(cleanups.splice(0).map((cleanup) => cleanup()));
  for (const secret of storedSecrets()) secrets.add(secret);
  const all = printed.splice(0).join('\n');
  for (const secret of secrets) expect(all).not.toContain(secret);
  // The access tokens are JWTs: none at all may be printed, the ones the sampler missed included.
  expect(all).not.toMatch(/eyJ[\w-]{10,}\.eyJ[\w-]{10,}\./);
  secrets.clear();
  rmSync(dir, { recursive: true, force: true });
});

function env(extra: NodeJS.ProcessEnv = {}): Record<string, string> {
  const all = cliEnv({ LIFELINE_AUTH_DIR: dir, ...extra });
  return Object.fromEntries(
    Object.entries(all).filter((entry): entry is [string, string] => entry[1] !== undefined),
  );
}

/** Every file below `root`, with its mode; and every folder. */
function walk(root: string): {
  files: { path: string; mode: number }[];
  dirs: { path: string; mode: number }[];
} {
  const files: { path: string; mode: number }[] = [];
  const dirs = [{ path: root, mode: statSync(root).mode & 0o777 }];
  for (const entry of readdirSync(root, { withFileTypes: true, recursive: true })) {
    const path = join(entry.parentPath, entry.name);
    const mode = statSync(path).mode & 0o777;
    (entry.isDirectory() ? dirs : files).push({ path, mode });
  }
  return { files, dirs };
}

/** The tokens, secrets and codes in the store: none may be printed. */
function storedSecrets(): string[] {
  const out: string[] = [];
  let files: { path: string }[] = [];
  try {
    files = walk(dir).files;
  } catch {
    return out;
  }
  for (const { path } of files) {
    if (!path.endsWith('.json')) continue;
    const text = readFileSync(path, 'utf8');
    for (const key of ['access_token', 'refresh_token', 'id_token', 'client_secret', 'verifier']) {
      const match = new RegExp(`"${key}"\\s*:\\s*"([^"]+)"`).exec(text);
      if (match?.[1] !== undefined && match[1].length >= 8) out.push(match[1]);
    }
  }
  return out;
}

/** A `lifeline` child process whose output the test reads as it comes. */
class Run {
  readonly child: ChildProcessWithoutNullStreams;
  stdout = '';
  stderr = '';
  readonly exited: Promise<number | null>;

  constructor(args: readonly string[], extraEnv: NodeJS.ProcessEnv = {}, keepStdin = false) {
    this.child = spawn(process.execPath, [cli, ...args], { env: env(extraEnv), stdio: 'pipe' });
    if (!keepStdin) this.child.stdin.end();
    this.child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      this.stdout += chunk;
    });
    this.child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      this.stderr += chunk;
    });
    this.exited = new Promise((resolve) => this.child.on('close', (code) => resolve(code)));
    cleanups.push(async () => {
      if (this.child.exitCode === null) this.child.kill('SIGKILL');
      await this.exited;
      printed.push(this.stdout, this.stderr);
    });
  }

  async exit(timeoutMs = 20_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const late = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () => reject(new Error(`no exit within ${timeoutMs} ms:\n${this.stderr}`)),
        timeoutMs,
      );
    });
    try {
      return await Promise.race([this.exited, late]);
    } finally {
      clearTimeout(timer);
    }
  }
}

/** The authorization address a command printed (an indented line of its own). */
async function printedAuthorizationUrl(read: () => string): Promise<URL> {
  const find = () => /^\s+(https?:\/\/\S+\/auth\S*)$/m.exec(read())?.[1];
  await waitFor(() => find() !== undefined, {
    timeoutMs: 15_000,
    message: `no sign-in address in:\n${read()}`,
  });
  return new URL(find() as string);
}

/**
 * The user signs in: the stand-in follows the address and the redirect it ends on goes to the command's
 * loopback callback. Resolves to the callback's status.
 */
async function signIn(read: () => string, delayMs = 0): Promise<number> {
  const authorization = await printedAuthorizationUrl(read);
  // A person takes a while: the command's own deadline must not run meanwhile.
  if (delayMs > 0) await new Promise((resolve) => setTimeout(resolve, delayMs));
  const callback = await followAuthorization(authorization, { login: 'alice' });
  const code = callback.searchParams.get('code');
  if (code !== null) secrets.add(code);
  const response = await fetch(callback);
  await response.text();
  return response.status;
}

describe('lifeline connect <url> against a server that requires sign-in', () => {
  it('prints the address, waits for the sign-in, lists the tools; the next run uses the stored tokens', async () => {
    const before = rig.authServer.stats().authorizations;
    const missing = rig.mcpServer.stats().refusals.missing ?? 0;
    // --timeout 1000 and a user who takes 1.5 s: the sign-in has its own limit.
    const first = new Run(['connect', rig.mcpServer.url, '--no-browser', '--timeout', '1000']);
    expect(await signIn(() => first.stderr, 1500)).toBe(200);
    expect(await first.exit()).toBe(0);
    expect(first.stdout).toMatch(/tools\s+4/);
    expect(first.stdout).toContain('echo');
    expect(first.stderr).toMatch(/requires sign-in; waiting for it \(up to 5 min\)/);
    expect(rig.authServer.stats().authorizations).toBe(before + 1);
    // The spec's flow: the first request goes without a token, and its 401 starts the sign-in.
    expect(rig.mcpServer.stats().refusals.missing ?? 0).toBeGreaterThan(missing);

    // The store: only this user can read it.
    const { files, dirs } = walk(dir);
    expect(files.some((file) => /tokens-[0-9a-f]+\.json$/.test(file.path))).toBe(true);
    for (const file of files) expect(file.mode, file.path).toBe(0o600);
    for (const folder of dirs.filter((d) => !d.path.includes(`${join(dir, 'locks')}`)))
      expect(folder.mode, folder.path).toBe(0o700);

    const second = new Run(['connect', rig.mcpServer.url, '--no-browser']);
    expect(await second.exit()).toBe(0);
    expect(second.stdout).toContain('echo');
    expect(second.stderr).not.toMatch(/sign-in|Sign in/);
    expect(rig.authServer.stats().authorizations).toBe(before + 1);
    expect(storedSecrets().length).toBeGreaterThanOrEqual(2);
  });
});

describe('sign-in without a browser', () => {
  it('--device-code prints where to enter the code and connects once the user approved on another device', async () => {
    const run = new Run(['connect', rig.mcpServer.url, '--device-code', '--no-browser']);
    const complete = () => /Or open: (\S+)/.exec(run.stderr)?.[1];
    await waitFor(() => complete() !== undefined, { timeoutMs: 15_000, message: run.stderr });
    expect(run.stderr).toMatch(/lifeline connect: and enter the code \S+ \(valid for 10 min\)/);
    await completeDeviceAuthorization(complete() as string, { login: 'alice' });
    expect(await run.exit()).toBe(0);
    expect(run.stdout).toContain('echo');
    expect(run.stderr).not.toMatch(/redirect_uri|Sign in to/);
  }, 30_000);

  it('a config entry with a client credentials oauth block connects as the client, its secret from the environment', async () => {
    secrets.add(JOB.client_secret);
    const config = join(dir, 'mcp.json');
    const oauth = {
      clientId: JOB.client_id,
      clientSecret: '${env:NIGHTLY_SECRET}',
      grant: 'client_credentials',
    };
    writeFileSync(config, JSON.stringify({ mcpServers: { job: { url: rig.mcpServer.url, oauth } } }));
    const before = rig.authServer.stats();
    const run = new Run(['connect', 'job', '--config', config, '--call', 'whoami'], {
      NIGHTLY_SECRET: JOB.client_secret,
    });
    expect(await run.exit()).toBe(0);
    expect(run.stdout).toContain(JOB.client_id);
    expect(rig.authServer.stats().authorizations).toBe(before.authorizations);
    expect(rig.authServer.stats().registrations).toBe(before.registrations);
    // The secret comes from the environment: an unset variable is a configuration error that names it, not its value.
    const unset = new Run(['connect', 'job', '--config', config]);
    expect(await unset.exit()).toBe(2);
    expect(unset.stderr).toContain('oauth.clientSecret: ${env:NIGHTLY_SECRET} is not set');
  });
});

describe('lifeline bridge <url> started by a desktop host', () => {
  /** A desktop host: an SDK Client that starts the bridge over stdio. */
  function host(): { client: Client; connect: () => Promise<void>; stderr: () => string } {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [cli, 'bridge', rig.mcpServer.url, '--no-browser', '--reconnect-delay', '200'],
      env: env(),
      stderr: 'pipe',
    });
    let log = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      log += chunk.toString('utf8');
    });
    const client = new Client({ name: 'desktop-host', version: '1.0.0' });
    cleanups.push(async () => {
      await client.close();
      printed.push(log);
    });
    // A line on stdout that is not JSON-RPC would reach the host as an error here.
    client.onerror = (error) => {
      log += `\nHOST ERROR: ${error.message}`;
    };
    return { client, connect: () => client.connect(transport), stderr: () => log };
  }

  const echo = async (client: Client, message: string): Promise<string> => {
    const result = await client.callTool({ name: 'echo', arguments: { message } });
    return JSON.stringify(result.content);
  };

  it("signs in while the host's initialize waits, serves across a server restart; a second bridge needs no sign-in", async () => {
    const before = rig.authServer.stats().authorizations;
    const first = host();
    // The host's initialize is in flight while the user signs in.
    const connecting = first.connect();
    expect(await signIn(first.stderr)).toBe(200);
    await connecting;
    expect(first.stderr()).toMatch(/lifeline bridge: .* requires sign-in; waiting for it/);
    expect((await first.client.listTools()).tools.map((tool) => tool.name)).toContain('echo');
    expect(await echo(first.client, 'before')).toContain('before');

    // The MCP server restarts: calls made meanwhile are answered once it is back.
    const restarted = rig.mcpServer.restart({ downMs: 700 });
    await new Promise((resolve) => setTimeout(resolve, 100));
    const during = await Promise.all([echo(first.client, 'during-1'), echo(first.client, 'during-2')]);
    await restarted;
    expect(during[0]).toContain('during-1');
    expect(during[1]).toContain('during-2');
    expect(await echo(first.client, 'after')).toContain('after');
    expect(rig.authServer.stats().authorizations).toBe(before + 1);
    expect(rig.mcpServer.stats().starts).toBeGreaterThanOrEqual(2);
    await first.client.close();

    const second = host();
    await second.connect();
    expect(await echo(second.client, 'second')).toContain('second');
    expect(second.stderr()).not.toMatch(/requires sign-in|Sign in to/);

    expect(rig.authServer.stats().authorizations).toBe(before + 1);
    for (const file of walk(dir).files) expect(file.mode, file.path).toBe(0o600);
    expect(`${first.stderr()}${second.stderr()}`).not.toContain('HOST ERROR');
  });

  it("answers the host's initialize with an error when the sign-in times out; the next message signs in again", async () => {
    // A raw host: the SDK Client would close the bridge on the failed initialize.
    const bridge = new Run(
      ['bridge', rig.mcpServer.url, '--no-browser', '--sign-in-timeout', '1000'],
      {},
      true,
    );
    const answers = () =>
      bridge.stdout
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { id: number; result?: unknown; error?: { message: string } });
    const initialize = (id: number) =>
      bridge.child.stdin.write(
        `${JSON.stringify({
          jsonrpc: '2.0',
          id,
          method: 'initialize',
          params: {
            protocolVersion: '2025-06-18',
            capabilities: {},
            clientInfo: { name: 'raw-host', version: '1' },
          },
        })}\n`,
      );
    initialize(1);
    await waitFor(() => answers().some((answer) => answer.id === 1), {
      timeoutMs: 10_000,
      message: bridge.stderr,
    });
    expect(answers()[0]?.error?.message).toMatch(/did not complete within 1(\.0)? s/);
    await waitFor(() => /sign-in required \(Sign-in to .* did not complete/.test(bridge.stderr), {
      message: bridge.stderr,
    });

    initialize(2);
    await waitFor(() => (bridge.stderr.match(/Sign in to /g) ?? []).length === 2, {
      timeoutMs: 10_000,
      message: `${bridge.stderr}\n${bridge.stdout}`,
    });
    expect(await signIn(() => bridge.stderr.slice(bridge.stderr.lastIndexOf('Sign in to ')))).toBe(200);
    await waitFor(() => answers().some((answer) => answer.id === 2), {
      timeoutMs: 10_000,
      message: bridge.stderr,
    });
    expect(answers().find((answer) => answer.id === 2)?.result).toMatchObject({
      protocolVersion: '2025-06-18',
    });
    bridge.child.stdin.end();
    expect(await bridge.exit()).toBe(0);
  });
});

describe('lifeline auth', () => {
  it('login signs in without connecting, list shows it without tokens, logout revokes and forgets it', async () => {
    const url = rig.mcpServer.url;
    const login = new Run(['auth', 'login', url, '--no-browser']);
    expect(await signIn(() => login.stderr)).toBe(200);
    expect(await login.exit()).toBe(0);
    expect(login.stderr).toMatch(
      /lifeline auth: signed in to .*\(issuer http:\/\/127\.0\.0\.1:\d+, scope mcp:tools, access token expires in .*, refresh token held\)/,
    );
    expect(login.stdout).toBe('');
    const again = new Run(['auth', 'login', url, '--no-browser']);
    expect(await again.exit()).toBe(0);
    expect(again.stderr).toMatch(/already signed in to/);
    expect(again.stderr).not.toMatch(/Sign in to/);

    const list = new Run(['auth', 'list']);
    expect(await list.exit()).toBe(0);
    const [header, row] = list.stdout.trim().split('\n');
    expect(header).toMatch(/^SERVER\s+ISSUER\s+SCOPE\s+EXPIRES\s+REFRESH TOKEN$/);
    expect(row).toContain(url);
    expect(row).toContain(rig.authServer.issuer);
    expect(row).toMatch(/mcp:tools\s+(in|expired) .*\s+yes$/);
    const json = new Run(['auth', 'list', '--json']);
    expect(await json.exit()).toBe(0);
    const listed = JSON.parse(json.stdout) as {
      serverUrl: string;
      tokens: { issuer: string; scope: string; refreshToken: boolean; expiresAt: string }[];
    }[];
    expect(listed).toHaveLength(1);
    expect(listed[0]?.serverUrl).toBe(url);
    expect(listed[0]?.tokens[0]).toMatchObject({ issuer: rig.authServer.issuer, refreshToken: true });
    expect(json.stdout).not.toMatch(/access_token|refresh_token|client_secret/);

    const revoked = () =>
      rig.authServer.events.filter((event) => event.type === 'grant.revoked' && event.route === 'revocation')
        .length;
    const before = revoked();
    const logout = new Run(['auth', 'logout', url]);
    expect(await logout.exit()).toBe(0);
    expect(logout.stderr).toContain(`revoked the refresh token at ${rig.authServer.issuer}`);
    expect(logout.stderr).toMatch(/signed out of/);
    expect(revoked()).toBe(before + 1);
    expect(existsSync(join(dir, 'servers')) ? readdirSync(join(dir, 'servers')) : []).toEqual([]);
    const empty = new Run(['auth', 'list', '--json']);
    expect(await empty.exit()).toBe(0);
    expect(JSON.parse(empty.stdout)).toEqual([]);
    const nothing = new Run(['auth', 'logout', url]);
    expect(await nothing.exit()).toBe(0);
    expect(nothing.stderr).toMatch(/nothing stored for/);
  });

  it('status shows a configured server as "authorization required" until auth login signs in to it', async () => {
    const config = join(dir, 'mcp.json');
    writeFileSync(
      config,
      JSON.stringify({ mcpServers: { rig: { url: rig.mcpServer.url, oauth: { scopes: ['mcp:tools'] } } } }),
    );
    const before = new Run(['status', '--config', config, '--json']);
    expect(await before.exit()).toBe(1);
    const [row] = JSON.parse(before.stdout) as {
      state: string;
      authorization: string | null;
      error: { code: string };
    }[];
    expect(row).toMatchObject({
      state: 'failed',
      authorization: 'required',
      error: { code: 'LIFELINE_ERR_UNAUTHORIZED' },
    });
    expect(before.stderr).toContain(`rig requires sign-in: lifeline auth login rig --config ${config}`);
    expect(before.stderr).not.toMatch(/Sign in to|\/auth\?/);
    const table = new Run(['status', '--config', config]);
    expect(await table.exit()).toBe(1);
    expect(table.stdout).toMatch(/rig\s+http\s+failed \(authorization required\)/);

    const login = new Run(['auth', 'login', 'rig', '--config', config, '--no-browser']);
    expect(await signIn(() => login.stderr)).toBe(200);
    expect(await login.exit()).toBe(0);

    const after = new Run(['status', '--config', config, '--json']);
    expect(await after.exit()).toBe(0);
    expect(JSON.parse(after.stdout)).toMatchObject([{ name: 'rig', state: 'open', authorization: null }]);
  });

  it('explains mistakes: unknown subcommands and flags, sign-in flags for a command target', async () => {
    const typo = new Run(['auth', 'lgoin']);
    expect(await typo.exit()).toBe(2);
    expect(typo.stderr).toContain('unknown command auth lgoin (did you mean login?)');
    const flag = new Run(['auth', 'login', rig.mcpServer.url, '--no-browsr']);
    expect(await flag.exit()).toBe(2);
    expect(flag.stderr).toContain('unknown option --no-browsr (did you mean --no-browser?)');
    const stdio = new Run(['connect', '--device-code', '--', process.execPath, '-e', '0']);
    expect(await stdio.exit()).toBe(2);
    expect(stdio.stderr).toMatch(/cannot sign in: sign-in applies to servers reached by URL/);
    const help = new Run(['auth', 'login', '--help']);
    expect(await help.exit()).toBe(0);
    expect(help.stdout).toContain('--device-code');
    const late = new Run(['auth', 'login', rig.mcpServer.url, '--no-browser', '--sign-in-timeout', '800']);
    expect(await late.exit()).toBe(1);
    expect(late.stderr).toMatch(/lifeline auth: Sign-in to .* did not complete within 800 ms/);
  });
});

describe('the status table', () => {
  const row = (state: 'failed' | 'open', authorization?: 'required' | 'waiting'): FleetRow => ({
    name: 'tracker',
    type: 'http',
    state,
    attempt: 0,
    since: 0,
    nextRetryAt: undefined,
    error: undefined,
    roundTripMs: undefined,
    stats: { written: 0, received: 0, queued: 0, failed: 0, reestablished: 0, reissued: 0, links: 1 },
    server: undefined,
    ...(authorization === undefined ? {} : { authorization }),
  });

  it('says in the STATE column and in --json when a server waits for sign-in or needs one', () => {
    const [, waiting, required] = renderTable([row('open', 'waiting'), row('failed', 'required')], 0);
    expect(waiting).toMatch(/^tracker\s+http\s+open \(waiting for sign-in\)/);
    expect(required).toMatch(/^tracker\s+http\s+failed \(authorization required\)/);
    expect(jsonRow(row('open', 'waiting'))).toMatchObject({ state: 'open', authorization: 'waiting' });
    expect(jsonRow(row('open'))).toMatchObject({ authorization: null });
  });
});
