/**
 * The SDK's documented OAuth flow through lifeline's transport, with both SDK Clients: connect,
 * catch `UnauthorizedError`, `transport.finishAuth(callbackParams)`, connect again. Against a
 * loopback authorization server and MCP server (test/auth/fixtures.ts).
 */

import { Client as ClientV2, UnauthorizedError as SdkUnauthorizedError } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTransport,
  isUnauthorizedError,
  type LifelineTransport,
  UnauthorizedError,
} from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { startMisbehavingServer } from '../helpers/http-misbehaving.js';
import { type AuthServer, bearerOf, protectedMcp, startAuthServer, TestProvider } from './fixtures.js';

const keep = closeAfterEach();
let as: AuthServer | undefined;
afterEach(async () => {
  await as?.close();
  as = undefined;
});

type AnyClient = ClientV1 | ClientV2;
const clients: Record<string, () => AnyClient> = {
  'SDK v1 Client': () => new ClientV1({ name: 'test', version: '1.0.0' }),
  'SDK v2 Client (auto negotiation)': () =>
    new ClientV2({ name: 'test', version: '1.0.0' }, { versionNegotiation: { mode: 'auto' } }),
};

/** Every line logged, for the secrets check. */
function capture(): {
  lines: string[];
  logger: Record<'debug' | 'info' | 'warn' | 'error', (f: unknown, m?: string) => void>;
} {
  const lines: string[] = [];
  const write = (fields: unknown, message?: string) =>
    lines.push(`${message ?? ''} ${JSON.stringify(fields)}`);
  return { lines, logger: { debug: write, info: write, warn: write, error: write } };
}

async function setUp(): Promise<{
  provider: TestProvider;
  transport: LifelineTransport;
  lines: string[];
  url: string;
}> {
  as = await startAuthServer({ clientSecret: 'dyn-secret-value', authMethods: ['client_secret_post'] });
  const server = keep(await startMisbehavingServer(protectedMcp(as, { challengeScope: 'mcp:basic' })));
  const provider = new TestProvider();
  const { lines, logger } = capture();
  const transport = keep(createTransport({ url: server.url('/mcp'), authProvider: provider, logger }));
  return { provider, transport, lines, url: server.url('/mcp') };
}

describe.each(Object.entries(clients))('the documented flow with the %s', (_name, makeClient) => {
  it('connect fails with UnauthorizedError, finishAuth, connect again, then calls work', async () => {
    const { provider, transport, lines, url } = await setUp();
    const client = makeClient();
    const error = await client.connect(transport).catch((e: unknown) => e);
    expect(isUnauthorizedError(error)).toBe(true);
    expect((error as Error).name).toBe('UnauthorizedError');
    expect((error as UnauthorizedError).code).toBe('LIFELINE_ERR_UNAUTHORIZED');
    expect(error instanceof SdkUnauthorizedError).toBe(true);
    expect(provider.authorizations).toHaveLength(1);
    const authorization = provider.authorizations[0] as URL;
    expect(authorization.searchParams.get('scope')).toBe('mcp:basic');
    // RFC 8707: the resource exactly as the resource metadata gives it.
    expect(authorization.searchParams.get('resource')).toBe(url);

    await transport.finishAuth(provider.take());
    expect(provider.saved).toMatchObject({ token_type: 'Bearer', issuer: as?.issuer });
    await client.connect(transport);
    const { tools } = await client.listTools();
    expect(Array.isArray(tools)).toBe(true);
    await client.close();

    // Secrets never reach the log: tokens, the client secret, the code, the verifier, the state.
    const secrets = [
      String(provider.saved?.access_token),
      String(provider.saved?.refresh_token),
      'dyn-secret-value',
      provider.verifier,
      authorization.searchParams.get('state') ?? '',
    ];
    const logged = lines.join('\n');
    for (const secret of secrets) expect(logged).not.toContain(secret);
  });
});

describe('finishAuth', () => {
  it('takes the code and iss as SDK v2 finishAuth(code, iss) does', async () => {
    const { provider, transport } = await setUp();
    const client = clients['SDK v1 Client']?.() as ClientV1;
    await client.connect(transport).catch(() => {});
    const callback = provider.take();
    await transport.finishAuth(callback.get('code') ?? '', callback.get('iss') ?? undefined);
    await client.connect(transport);
    await client.close();
  });

  it('completes on a transport created after the redirect (the verifier and discovery from the provider)', async () => {
    const { provider, transport, url } = await setUp();
    const client = new ClientV1({ name: 'test', version: '1.0.0' });
    await client.connect(transport).catch(() => {});
    const fresh = keep(createTransport({ url, authProvider: provider }));
    await fresh.finishAuth(provider.take());
    await client.connect(fresh);
    await client.listTools();
    await client.close();
  });

  it('rejects without an OAuthClientProvider, as the SDK does', async () => {
    const transport = keep(
      createTransport({ url: 'http://127.0.0.1:9/mcp', authProvider: { token: async () => 't' } }),
    );
    await expect(transport.finishAuth('code')).rejects.toThrow(UnauthorizedError);
  });
});

describe("SDK v2's AuthProvider { token, onUnauthorized }", () => {
  it('sends token() and, on a 401, awaits onUnauthorized and retries once', async () => {
    as = await startAuthServer();
    const server = keep(await startMisbehavingServer(protectedMcp(as)));
    const authServer = as;
    let token = 'not-a-valid-token';
    let hooks = 0;
    const authProvider = {
      token: async () => token,
      onUnauthorized: async () => {
        hooks += 1;
        const response = await fetch(`${authServer.origin}/token`, { method: 'POST' }).catch(() => undefined);
        await response?.text();
        // What a real provider would do: get a valid token (here: mint one at the fixture).
        token = 'minted';
        authServer.tokens.set('minted', {
          scope: undefined,
          resource: undefined,
          expiresAt: Date.now() + 60_000,
          revoked: false,
        });
      },
    };
    const transport = keep(createTransport({ url: server.url('/mcp'), authProvider }));
    const client = new ClientV1({ name: 'test', version: '1.0.0' });
    await client.connect(transport);
    expect(hooks).toBe(1);
    expect(
      server.requests
        .filter((r) => r.method === 'POST')
        .map(bearerOf)
        .slice(0, 2),
    ).toEqual(['not-a-valid-token', 'minted']);
    await client.close();
  });

  it('without onUnauthorized, a 401 is UnauthorizedError', async () => {
    as = await startAuthServer();
    const server = keep(await startMisbehavingServer(protectedMcp(as)));
    const transport = keep(
      createTransport({ url: server.url('/mcp'), authProvider: { token: async () => 'nope' } }),
    );
    const client = new ClientV1({ name: 'test', version: '1.0.0' });
    const error = await client.connect(transport).catch((e: unknown) => e);
    expect((error as Error).name).toBe('UnauthorizedError');
  });
});
