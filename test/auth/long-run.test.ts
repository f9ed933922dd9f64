// Tokens that outlive the agent, compressed (issue 15, "What it must show"): a real authorization server
// (oidc-provider) issuing access tokens that live 2 seconds and rotating refresh tokens, in front of an MCP
// server that checks every token with jose (test/peers/oauth). Through lifeline's transport:
// - an SDK v2 Client holds one connection for 2 minutes (60 token lifetimes) with 8 callers, and an SDK v1
//   Client for 30 s: no call fails, no token is refreshed before it is due, every refresh names the resource;
// - two `lifeline bridge` processes (the built CLI, driven over stdio by SDK v1 Clients as a desktop host
//   does) share the token store for 60 s: no call fails, no refresh token is spent twice;
// - the refresh token is revoked: the status says "authorization required" within one request and calls get
//   the typed error at once, with a bounded number of token requests;
// - nothing the transport emitted (logs at debug, errors, status, actor snapshots, inspection events)
//   carries a token, refresh token, code or verifier.
// The three runs share one rig and run at the same time (it.concurrent) to keep the file near 2.5 minutes;
// the callers pause between calls so the file leaves the CPU to the others running beside it.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { decodeJwt } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCliAuthProvider } from '../../src/auth/cli-provider.js';
import { FileStore } from '../../src/auth/file-store.js';
import { createTransport, ErrorCode, isUnauthorizedError, type LifelineTransport } from '../../src/index.js';
import { buildCli } from '../helpers/cli.js';
import { freePort } from '../peers/index.js';
import { followAuthorization, type OAuthRig, startOAuthRig } from '../peers/oauth/index.js';
import { type BridgeHost, startBridgeHost } from './bridge-host.js';
import { Emitted } from './emitted.js';
import { combine, type LoadResult, runLoad, summarize, toolCall, toolKind } from './load.js';
import { MemoryProvider, signInWithRig } from './memory-provider.js';
import { auditRefreshes, type RefreshAudit } from './refresh-audit.js';
import { watchStoredTokens } from './token-watch.js';

const TTL_MS = 2_000;
const LONG_RUN_MS = 120_000;
const V1_RUN_MS = 30_000;
const BRIDGE_RUN_MS = 60_000;
/** Each caller awaits its call, then pauses: calls are always in flight, without a tight loop. */
const PAUSE_MS = 50;

let rig: OAuthRig;
/** The `resource` of the server's protected resource metadata (RFC 9728), exactly as served. */
let prmResource: string;
const emitted = new Emitted();
const v2 = { provider: new MemoryProvider(), heard: [] as unknown[] } as {
  provider: MemoryProvider;
  /** What the transport reported to the Client's `onerror`. */
  heard: unknown[];
  transport: LifelineTransport;
  client: ClientV2;
  signedInAt: number;
};
const v1Provider = new MemoryProvider();
const closers: Array<() => Promise<unknown>> = [];

/** A transport whose every emission is kept for the secrets check. */
function watchedTransport(provider: MemoryProvider): LifelineTransport {
  const transport = createTransport({
    url: rig.mcpServer.url,
    authProvider: provider,
    logger: emitted.logger,
    inspect: emitted.inspect,
  });
  transport.subscribe((status) => emitted.add('status', status));
  closers.push(() => transport.close());
  return transport;
}

/** The measurements, in the test output: calls, latency, and refreshes against token lifetimes. */
function report(name: string, load: LoadResult, audit: RefreshAudit): void {
  const lifetimes = load.elapsedMs / TTL_MS;
  console.log(
    `${summarize(name, load)}. ${audit.refreshes} refreshes: ${(audit.refreshes / lifetimes).toFixed(2)} per 2-s lifetime, ` +
      `one every ${Math.round(load.elapsedMs / Math.max(1, audit.refreshes))} ms; the tokens lived ${Math.round(audit.meanLifetimeMs)} ms ` +
      `on average (exp is whole seconds${audit.exact ? '' : ', a lower bound'}); none refreshed before due: ${audit.early.length === 0}`,
  );
}

/** What every run must show: no failed call, no early refresh, the resource on every refresh, no reuse. */
function expectHeld(expectIt: typeof expect, load: LoadResult, audit: RefreshAudit, callers: number): void {
  expectIt(load.failures).toEqual([]);
  // Calling all the time: every caller made a call at least every half second on average.
  expectIt(load.calls).toBeGreaterThan((callers * load.elapsedMs) / 500);
  // At most one refresh per token lifetime: none before its token was due...
  expectIt(audit.early).toEqual([]);
  // ...so never more than one per the shortest life a 2-s token can have (1 s, exp rounded down).
  expectIt(audit.refreshes).toBeLessThanOrEqual(Math.ceil(load.elapsedMs / (TTL_MS - 1_000)) + 1);
  // And the tokens were in use: a token lives 2 s at most, so calls all the time need a refresh about that
  // often (three quarters of it leaves room for a stalled event loop on a busy machine).
  expectIt(audit.refreshes).toBeGreaterThanOrEqual(Math.floor((0.75 * load.elapsedMs) / TTL_MS));
  // RFC 8707: every refresh carried the resource exactly as the metadata names it (no added slash).
  expectIt(audit.resources).toEqual({ [JSON.stringify(prmResource)]: audit.refreshes });
  expectIt(audit.errors).toEqual({});
}

beforeAll(async () => {
  // The CLI the bridges run, built before any load starts (a build here would stall the runs).
  buildCli();
  rig = await startOAuthRig({ authServer: { accessTokenTtl: TTL_MS / 1000 } });
  const metadata = await fetch(rig.mcpServer.resourceMetadataUrl);
  prmResource = ((await metadata.json()) as { resource: string }).resource;
  v2.transport = watchedTransport(v2.provider);
  v2.client = new ClientV2({ name: 'long-run', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } });
  v2.client.onerror = (error) => {
    v2.heard.push(error);
    emitted.add('error', error);
  };
  closers.push(() => v2.client.close());
  await signInWithRig(v2.client, v2.transport, v2.provider);
  v2.signedInAt = Date.now();
}, 240_000);

afterAll(async () => {
  for (const close of closers.splice(0).reverse()) await close().catch(() => undefined);
  await rig?.close();
});

describe('2-second tokens from oidc-provider, held through lifeline', () => {
  it.concurrent(
    'an SDK v2 Client with 8 callers for 2 minutes: no call fails, one refresh per token lifetime',
    async ({ expect: expectIt }) => {
      const from = v2.signedInAt - 5_000;
      v2.heard.length = 0;
      const load = await runLoad({
        callers: 8,
        durationMs: LONG_RUN_MS,
        pauseMs: PAUSE_MS,
        call: (caller, n) => v2.client.callTool(toolCall(caller, n)),
        kind: toolKind,
      });
      for (const failure of load.failures) emitted.add('error', failure);
      const clientId = v2.provider.client?.client_id ?? '';
      const exps = v2.provider.accessTokens.map((token) => (decodeJwt(token).exp ?? 0) * 1000);
      const audit = auditRefreshes(rig.authServer.events, {
        clientId,
        from,
        to: Date.now(),
        ttlMs: TTL_MS,
        exps,
      });
      report('SDK v2 Client, 8 callers', load, audit);
      expectIt(audit.issued).toBe(exps.length);
      expectHeld(expectIt, load, audit, 8);
      expectIt(v2.heard).toEqual([]);
      expectIt(v2.transport.state).toBe('open');
      expectIt(rig.authServer.stats().refreshReuse).toBe(0);
      // Signed in once: the code grant of the beforeAll, no other authorization.
      expectIt(v2.provider.authorizations).toHaveLength(1);
    },
    LONG_RUN_MS + 60_000,
  );

  it.concurrent(
    'an SDK v1 Client with 4 callers for 30 s: no call fails, one refresh per token lifetime',
    async ({ expect: expectIt }) => {
      const client = new ClientV1({ name: 'long-run-v1', version: '1.0.0' });
      const heard: unknown[] = [];
      client.onerror = (error) => {
        heard.push(error);
        emitted.add('error', error);
      };
      closers.push(() => client.close());
      await signInWithRig(client, watchedTransport(v1Provider), v1Provider, () =>
        watchedTransport(v1Provider),
      );
      heard.length = 0;
      const from = Date.now() - 5_000;
      const load = await runLoad({
        callers: 4,
        durationMs: V1_RUN_MS,
        pauseMs: PAUSE_MS,
        call: (caller, n) => client.callTool(toolCall(caller, n)),
        kind: toolKind,
      });
      for (const failure of load.failures) emitted.add('error', failure);
      const clientId = v1Provider.client?.client_id ?? '';
      const exps = v1Provider.accessTokens.map((token) => (decodeJwt(token).exp ?? 0) * 1000);
      const audit = auditRefreshes(rig.authServer.events, {
        clientId,
        from,
        to: Date.now(),
        ttlMs: TTL_MS,
        exps,
      });
      report('SDK v1 Client, 4 callers', load, audit);
      expectHeld(expectIt, load, audit, 4);
      // Nor did the transport report a problem to the Client meanwhile.
      expectIt(heard).toEqual([]);
      await client.close();
    },
    V1_RUN_MS + 60_000,
  );

  it.concurrent(
    'two `lifeline bridge` processes sharing the token store for 60 s: no call fails, no refresh token spent twice',
    async ({ expect: expectIt }) => {
      const dir = mkdtempSync(join(tmpdir(), 'lifeline-long-run-'));
      const bridges: BridgeHost[] = [];
      try {
        // The first sign-in, as the bridge does it: the CLI's provider over the store, its loopback callback,
        // and the browser stand-in in place of the user. The bridges then start signed in.
        const port = await freePort();
        const store = new FileStore({ dir });
        const from = Date.now();
        // Every token the bridges will use, as the store holds them: their real exp for the audit.
        const watch = watchStoredTokens(store.server(rig.mcpServer.url), prmResource);
        closers.push(async () => watch.stop());
        const signer = createCliAuthProvider({
          serverUrl: rig.mcpServer.url,
          store,
          callbackPort: port,
          openBrowser: async (url) => {
            const landing = await followAuthorization(new URL(url), { login: 'alice' });
            await (await fetch(landing)).text();
          },
          clientName: 'lifeline long-run sign-in',
          log: () => undefined,
        });
        const transport = createTransport({ url: rig.mcpServer.url, authProvider: signer });
        const client = new ClientV2(
          { name: 'sign-in', version: '1.0.0' },
          { versionNegotiation: { mode: 'auto' } },
        );
        await client.connect(transport); // waits for the managed sign-in
        await client.close();
        await signer.close();
        const clientId = (await signer.clientInformation())?.client_id ?? '';
        expectIt(clientId).not.toBe('');

        // The same callback port: the registration on disk was made for its redirect URI. A bridge that had
        // to sign in would wait 3 s for nobody and fail the test.
        const flags = ['--callback-port', String(port), '--no-browser', '--sign-in-timeout', '3000'];
        for (let i = 0; i < 2; i++) {
          const bridge = await startBridgeHost(rig.mcpServer.url, [...flags, '--log-level', 'debug'], dir);
          bridges.push(bridge);
          closers.push(() => bridge.close());
        }
        const load = combine(
          await Promise.all(
            bridges.map((bridge) =>
              runLoad({
                callers: 3,
                durationMs: BRIDGE_RUN_MS,
                pauseMs: PAUSE_MS,
                call: (caller, n) => bridge.client.callTool(toolCall(caller, n)),
                kind: toolKind,
              }),
            ),
          ),
        );
        watch.stop();
        const exps = watch.seen.map((token) => (decodeJwt(token).exp ?? 0) * 1000);
        const audit = auditRefreshes(rig.authServer.events, {
          clientId,
          from,
          to: Date.now(),
          ttlMs: TTL_MS,
          exps,
        });
        // The watch saw every token the authorization server issued (none lived less than its 25 ms).
        expectIt(audit.issued).toBe(exps.length);
        report('two lifeline bridge processes, 3 callers each', load, audit);
        // One refresh per lifetime for both processes together: a token refreshed by one is used by the other.
        expectHeld(expectIt, load, audit, 6);
        expectIt(rig.authServer.stats().refreshReuse).toBe(0);
        expectIt(
          rig.authServer.events.filter((e) => e.clientId === clientId && e.type === 'refresh.reuse'),
        ).toEqual([]);
        // No sign-in in the bridges: the one of the test, nothing more.
        const codes = rig.authServer.events.filter(
          (e) => e.clientId === clientId && e.type === 'authorization',
        );
        expectIt(codes).toHaveLength(1);
        // What the bridges logged (at debug) carries no token: not the stored set, no JWT at all.
        const stored = await store.server(rig.mcpServer.url).readTokens(prmResource);
        expectIt(stored?.tokens.refresh_token).toBeDefined();
        const logged = bridges.map((bridge) => bridge.stderr()).join('\n');
        expectIt(logged).toMatch(/open/);
        for (const secret of [stored?.tokens.access_token, stored?.tokens.refresh_token])
          expectIt(logged.includes(secret ?? '<none>')).toBe(false);
        expectIt(logged).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
      } finally {
        await Promise.all(bridges.map((bridge) => bridge.close().catch(() => undefined)));
        rmSync(dir, { recursive: true, force: true });
      }
    },
    BRIDGE_RUN_MS + 90_000,
  );

  it('a revoked refresh token: "authorization required" within one request, then the typed error at once', async () => {
    const { client, transport, provider } = v2;
    expect(transport.state).toBe('open');
    const tokenRequests = () => rig.authServer.stats().tokenRequests;
    const mcpRequests = () => rig.mcpServer.stats().mcpRequests;
    const before = tokenRequests();
    const revokedAt = Date.now();
    expect(await rig.authServer.revoke({ refreshToken: provider.current?.refresh_token ?? '' })).toBe(1);

    // The access token in hand is a JWT the server checks offline: it is honoured until its exp (at most
    // 2 s). The first request that needs a new one must end the session, not hang or retry.
    let served = 0;
    let failure: unknown;
    while (Date.now() - revokedAt < 10_000) {
      try {
        await client.callTool({ name: 'echo', arguments: { message: 'after revocation' } });
        served += 1;
      } catch (error) {
        failure = error;
        break;
      }
      await sleep(PAUSE_MS);
    }
    const failedAt = Date.now();
    emitted.add('error', failure);
    expect(isUnauthorizedError(failure), String(failure)).toBe(true);
    expect((failure as { reason?: string }).reason).toBe('refresh-refused');
    // The link reports its end right after the refused request has been answered (the same turn of
    // the event loop, setImmediate): nothing else is sent meanwhile.
    await expect.poll(() => transport.status.state, { timeout: 100, interval: 1 }).toBe('failed');
    expect(transport.status.authorization).toBe('required');
    expect(transport.status.error?.code).toBe(ErrorCode.Unauthorized);
    expect(failedAt - revokedAt).toBeLessThan(TTL_MS + 1_000);
    console.log(
      `revocation: ${served} calls served on the last access token, the next one failed ${failedAt - revokedAt} ms after the revocation with ${String((failure as Error)?.message ?? failure).slice(0, 120)}`,
    );

    // Every send is refused at once with the typed error.
    const t0 = performance.now();
    const refused = await transport
      .send({ jsonrpc: '2.0', id: 'after-revocation', method: 'tools/list' })
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    const sendMs = performance.now() - t0;
    emitted.add('error', refused);
    expect((refused as { code?: string }).code).toBe(ErrorCode.Unauthorized);
    expect(sendMs).toBeLessThan(100);

    // Connecting again (the SDK's documented next step) fails with UnauthorizedError and a new sign-in URL.
    const t1 = performance.now();
    const again = await client.connect(transport).then(
      () => undefined,
      (error: unknown) => error,
    );
    const connectMs = performance.now() - t1;
    emitted.add('error', again);
    expect(isUnauthorizedError(again)).toBe(true);
    expect(provider.authorizations.length).toBeGreaterThanOrEqual(2);
    console.log(
      `after revocation: send refused in ${sendMs.toFixed(1)} ms, connect refused in ${connectMs.toFixed(1)} ms`,
    );
    expect(connectMs).toBeLessThan(1_000);

    // Bounded: a refused refresh or two, then nothing more while nobody asks.
    const settled = { tokens: tokenRequests(), mcp: mcpRequests() };
    expect(settled.tokens - before).toBeGreaterThanOrEqual(1);
    expect(settled.tokens - before).toBeLessThanOrEqual(2);
    const clientId = provider.client?.client_id;
    const refusals = rig.authServer.events.filter(
      (e) => e.clientId === clientId && e.type === 'token.error' && e.at >= revokedAt,
    );
    expect(refusals.map((e) => e.error)).toContain('invalid_grant');
    await sleep(TTL_MS);
    expect({ tokens: tokenRequests(), mcp: mcpRequests() }).toEqual(settled);
  }, 30_000);

  // Reads what the tests above made the transports emit (run the file, not this test alone).
  it('nothing emitted carries an access token, refresh token, code or verifier', () => {
    const { transport } = v2;
    emitted.add('status', transport.status);
    emitted.add('snapshot', transport.actor.getSnapshot());
    emitted.add('snapshot', transport.actor.getPersistedSnapshot());
    emitted.add('snapshot', JSON.stringify(transport.actor.getSnapshot()));
    // Non-vacuous: each kind of output is there, the refusal included.
    for (const source of ['log', 'inspect', 'status', 'snapshot', 'error'])
      expect(emitted.count(source), source).toBeGreaterThan(0);
    expect(emitted.text('log')).toMatch(/authorization required/);
    const secrets = [...v2.provider.secrets, ...v1Provider.secrets];
    // Every access and refresh token of the runs, the codes and verifiers of the sign-ins.
    expect(secrets.length).toBeGreaterThan(2 * v2.provider.accessTokens.length);
    console.log(
      `secrets: ${secrets.length} searched for in ${JSON.stringify(emitted.sizes())}; the MCP server refused ${JSON.stringify(rig.mcpServer.stats().refusals)}`,
    );
    expect(emitted.leaks(secrets)).toEqual([]);
    // Nor any JWT at all, whoever's.
    expect(emitted.text()).not.toMatch(/eyJ[\w-]+\.eyJ[\w-]+\.[\w-]+/);
  });
});
