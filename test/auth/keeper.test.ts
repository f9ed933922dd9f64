/**
 * The token keeper against a loopback authorization server and MCP server: refresh before
 * expiry and on a 401 (one retry), one refresh for concurrent requests, the storm guard, the
 * step-up and its retry limit, and a refused refresh token ending in "authorization required".
 */

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { createLinkAuth, freshWindow, refreshSkew } from '../../src/auth/index.js';
import type { OAuthClientProviderLike } from '../../src/auth/types.js';
import { AuthorizationError, createTransport, ErrorCode, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { type MisbehavingServer, replyJson, startMisbehavingServer } from '../helpers/http-misbehaving.js';
import {
  type AuthServer,
  bearerOf,
  type ProtectedOptions,
  protectedMcp,
  startAuthServer,
  TestProvider,
} from './fixtures.js';

const keep = closeAfterEach();
let as: AuthServer | undefined;
afterEach(async () => {
  await as?.close();
  as = undefined;
});

/** A clock whose `now` the test moves; timers are real. */
function movableClock() {
  let offset = 0;
  return {
    setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
    clearTimeout: (id: unknown) => clearTimeout(id as NodeJS.Timeout),
    now: () => Date.now() + offset,
    advance: (ms: number) => {
      offset += ms;
    },
  };
}

interface Signed {
  server: MisbehavingServer;
  provider: TestProvider;
  transport: LifelineTransport;
  client: Client;
  clock: ReturnType<typeof movableClock>;
}

/** Signs in through the documented flow and connects an SDK Client. */
async function signedIn(
  options: { expiresIn?: number; tokenDelayMs?: number; mcp?: ProtectedOptions } = {},
): Promise<Signed> {
  as = await startAuthServer({
    expiresIn: options.expiresIn ?? 3600,
    tokenDelayMs: options.tokenDelayMs ?? 0,
  });
  const server = keep(await startMisbehavingServer(protectedMcp(as, options.mcp)));
  const provider = new TestProvider();
  const clock = movableClock();
  const transport = keep(createTransport({ url: server.url('/mcp'), authProvider: provider, clock }));
  const client = new Client({ name: 'test', version: '1.0.0' });
  await client.connect(transport).catch(() => {});
  await transport.finishAuth(provider.take());
  await client.connect(transport);
  keep({ close: () => client.close() });
  return { server, provider, transport, client, clock };
}

const tokensSent = (server: MisbehavingServer): (string | undefined)[] =>
  server.requests.filter((r) => r.method === 'POST').map(bearerOf);

describe('TokenKeeper: staying signed in', () => {
  it('refreshes before the token expires (expires_in minus the skew), without a 401', async () => {
    const { server, provider, client, clock } = await signedIn({ expiresIn: 100 });
    const first = provider.saved?.access_token;
    clock.advance(100_000 - refreshSkew(100_000) + 10);
    await client.listTools();
    expect(as?.refreshes).toBe(1);
    expect(provider.saved?.access_token).not.toBe(first);
    expect(tokensSent(server).at(-1)).toBe(provider.saved?.access_token);
    expect(
      server.requests.some(
        (r) => r.method === 'POST' && bearerOf(r) === first && r.rpc?.method === 'tools/list',
      ),
    ).toBe(false);
  });

  it('on a 401 refreshes and retries the request once; the connection stays open', async () => {
    const { server, provider, client, transport } = await signedIn();
    as?.revokeAccessTokens();
    const before = server.requests.length;
    await client.listTools();
    expect(as?.refreshes).toBe(1);
    const posts = server.requests.slice(before).filter((r) => r.method === 'POST');
    expect(posts.map((r) => r.rpc?.method)).toEqual(['tools/list', 'tools/list']);
    expect(bearerOf(posts[1] as (typeof posts)[number])).toBe(provider.saved?.access_token);
    expect(transport.state).toBe('open');
  });

  it('refreshes once for many concurrent requests refused together', async () => {
    // A slow token endpoint: every request is refused while the one refresh is in flight.
    const { client, server, transport } = await signedIn({ tokenDelayMs: 300 });
    as?.revokeAccessTokens();
    const before = server.requests.length;
    await Promise.all(Array.from({ length: 8 }, () => client.listTools()));
    expect(as?.refreshes).toBe(1);
    const refused = server.requests
      .slice(before)
      .filter((r) => r.method === 'POST' && as?.valid(bearerOf(r)) === undefined);
    expect(refused.length).toBeGreaterThanOrEqual(8);
    expect(transport.state).toBe('open');
  });

  it('refreshes once for many concurrent requests that find the token expiring', async () => {
    const { client, clock } = await signedIn({ expiresIn: 100 });
    clock.advance(99_000);
    await Promise.all(Array.from({ length: 8 }, () => client.listTools()));
    expect(as?.refreshes).toBe(1);
  });

  it('a refused refresh token: failed, "authorization required", every send refused at once', async () => {
    const { provider, client, transport } = await signedIn();
    provider.follow = false;
    as?.revokeAccessTokens();
    as?.revokeRefreshTokens();
    const error = await client.listTools().catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnauthorizedError');
    expect((error as { reason?: string }).reason).toBe('refresh-refused');
    await expect.poll(() => transport.state).toBe('failed');
    expect(transport.status.authorization).toBe('required');
    expect(transport.status.error?.code).toBe(ErrorCode.Unauthorized);
    expect(provider.authorizations).toHaveLength(2);
    expect(provider.invalidated).toContain('tokens');
    const refused = await transport
      .send({ jsonrpc: '2.0', id: 99, method: 'tools/list' })
      .catch((e: unknown) => e);
    expect((refused as { code?: string }).code).toBe(ErrorCode.Unauthorized);
  });
});

describe('TokenKeeper: a refresh refused before the request (test/auth/long-run.test.ts found it)', () => {
  it('reports refresh-refused, not sign-in-required, for the 401 of the request sent without the dropped set', async () => {
    const { provider, client, transport, clock } = await signedIn({ expiresIn: 100 });
    provider.follow = false;
    as?.revokeRefreshTokens();
    // Due for a refresh: refused before the request goes out, so the set is dropped and the request
    // goes without a token; its 401 is the refusal the user must hear about.
    clock.advance(100_000 - refreshSkew(100_000) + 10);
    const error = await client.listTools().catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnauthorizedError');
    expect((error as { reason?: string }).reason).toBe('refresh-refused');
    await expect.poll(() => transport.status.authorization).toBe('required');
    expect(provider.invalidated).toEqual(expect.arrayContaining(['tokens', 'discovery']));
  });
});

describe('TokenKeeper: scopes', () => {
  it('steps up on 403 insufficient_scope with the union of scopes; the link stays up (SEP-2350)', async () => {
    const { provider, client, transport } = await signedIn({
      mcp: { challengeScope: 'mcp:basic', methodScopes: { 'tools/call': 'mcp:write' } },
    });
    const error = await client.callTool({ name: 'echo', arguments: {} }).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnauthorizedError');
    expect(transport.state).toBe('open');
    expect(provider.authorizations.at(-1)?.searchParams.get('scope')).toBe('mcp:basic mcp:write');
    await transport.finishAuth(provider.take());
    await client.callTool({ name: 'echo', arguments: {} });
  });

  it('does not ask again when the token already has the scopes the server asks for (the retry limit)', async () => {
    const { provider, client, server } = await signedIn({ mcp: { challengeScope: 'mcp:basic' } });
    const authorizations = provider.authorizations.length;
    const protectedBehaviour = protectedMcp(as as AuthServer, { challengeScope: 'mcp:basic' });
    server.behave((request, response) => {
      if (request.rpc?.method !== 'tools/call') return protectedBehaviour(request, response);
      replyJson(response, { error: 'insufficient_scope' }, 403, {
        'www-authenticate': 'Bearer error="insufficient_scope", scope="mcp:basic"',
      });
    });
    const error = await client.callTool({ name: 'echo', arguments: {} }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).kind).toBe('insufficient_scope');
    expect(provider.authorizations).toHaveLength(authorizations);
  });
});

describe('TokenKeeper: the storm guard', () => {
  it('gives up after three freshly issued tokens are refused', async () => {
    as = await startAuthServer();
    const provider = new TestProvider();
    const serverUrl = new URL(`${as.origin}/mcp`);
    // No resource metadata here: the authorization server is the origin (2025-03-26 discovery).
    const keeper = createLinkAuth({ serverUrl, provider: provider as unknown as OAuthClientProviderLike });
    const challenge = {
      status: 401 as const,
      wwwAuthenticate: 'Bearer error="invalid_token"',
      what: 'POST' as const,
    };
    await expect(keeper.challenged({ ...challenge, sent: undefined })).rejects.toThrow(
      /requires authorization/,
    );
    await keeper.completeAuthorization(provider.take());
    let sent = await keeper.authorization();
    for (let refused = 1; refused < 3; refused += 1) {
      await expect(keeper.challenged({ ...challenge, sent })).resolves.toBe('retry');
      sent = await keeper.authorization();
    }
    const error = await keeper.challenged({ ...challenge, sent }).catch((e: unknown) => e);
    expect((error as AuthorizationError).kind).toBe('refused_fresh_token');
    expect(as.refreshes).toBe(2);
  });
});

describe('TokenKeeper: the storm guard and short-lived tokens (test/auth/long-run.test.ts found it)', () => {
  it('counts a refusal as fresh only within half the life left after a second of exp rounding', () => {
    expect(freshWindow(3_600_000)).toBe(60_000);
    expect(freshWindow(60_000)).toBe(29_500);
    expect(freshWindow(2_000)).toBe(500);
    expect(freshWindow(1_000)).toBe(0);
    expect(freshWindow(undefined)).toBe(60_000);
  });

  it('keeps refreshing 2-second tokens that expire, and still gives up on ones refused at once', async () => {
    as = await startAuthServer({ expiresIn: 2 });
    const provider = new TestProvider();
    const clock = movableClock();
    const serverUrl = new URL(`${as.origin}/mcp`);
    const keeper = createLinkAuth({
      serverUrl,
      provider: provider as unknown as OAuthClientProviderLike,
      now: clock.now,
    });
    const challenge = {
      status: 401 as const,
      wwwAuthenticate: 'Bearer error="invalid_token"',
      what: 'POST' as const,
    };
    await keeper.challenged({ ...challenge, sent: undefined }).catch(() => {});
    await keeper.completeAuthorization(provider.take());
    // Expired tokens (refused 1.2 s after they were issued, as a 2-s token whose exp was rounded
    // down is): every one is refreshed, however many.
    for (let expired = 0; expired < 6; expired += 1) {
      clock.advance(1_200);
      const sent = await keeper.authorization();
      await expect(keeper.challenged({ ...challenge, sent })).resolves.toBe('retry');
    }
    expect(as.refreshes).toBe(6);
    // Refused within their first 500 ms: a server that does not take this authorization server's tokens.
    let sent = await keeper.authorization();
    for (let refused = 1; refused < 3; refused += 1) {
      await expect(keeper.challenged({ ...challenge, sent })).resolves.toBe('retry');
      sent = await keeper.authorization();
    }
    const error = await keeper.challenged({ ...challenge, sent }).catch((e: unknown) => e);
    expect((error as AuthorizationError).kind).toBe('refused_fresh_token');
  });
});
