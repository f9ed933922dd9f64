// Proves the OAuth rig with a client written directly against oauth4webapi (no lifeline code): discovery
// from the MCP server's challenge and metadata, dynamic registration, PKCE, sign-in through the browser
// stand-in, the code exchange with `resource`, a real SDK Client calling the MCP server with the token,
// expiry after 2 s, refresh rotation, reuse detection and revocation. Everything is real HTTP on loopback.

import { Client, StreamableHTTPClientTransport } from '@modelcontextprotocol/client';
import { decodeJwt } from 'jose';
import * as oauth from 'oauth4webapi';
import { fetch } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completeDeviceAuthorization, followAuthorization, type OAuthRig, startOAuthRig } from './index.js';

const REDIRECT_URI = 'http://127.0.0.1:53682/callback';
/** Plain http is fine here: every endpoint is on loopback. */
const insecure = { [oauth.allowInsecureRequests]: true } as const;

let rig: OAuthRig;
beforeAll(async () => {
  rig = await startOAuthRig();
});
afterAll(async () => {
  await rig?.close();
});

/** An MCP request without a token: what the server says, and the challenge's parameters. */
async function challenge(): Promise<{ status: number; params: Map<string, string> }> {
  const res = await fetch(rig.mcpServer.url, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream' },
    body: JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'tools/list' }),
  });
  await res.body?.cancel();
  const header = res.headers.get('www-authenticate') ?? '';
  const params = new Map([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1] ?? '', m[2] ?? '']));
  return { status: res.status, params };
}

/** Discovery the MCP way: protected resource metadata (RFC 9728), then its authorization server (RFC 8414). */
async function discover(): Promise<oauth.AuthorizationServer> {
  const resource = new URL(rig.mcpServer.url);
  const prm = await oauth.processResourceDiscoveryResponse(
    resource,
    await oauth.resourceDiscoveryRequest(resource, insecure),
  );
  const issuer = new URL(prm.authorization_servers?.[0] ?? '');
  return oauth.processDiscoveryResponse(
    issuer,
    await oauth.discoveryRequest(issuer, { algorithm: 'oauth2', ...insecure }),
  );
}

async function register(
  as: oauth.AuthorizationServer,
  metadata: Partial<oauth.Client>,
): Promise<oauth.Client> {
  return oauth.processDynamicClientRegistrationResponse(
    await oauth.dynamicClientRegistrationRequest(as, metadata, insecure),
  );
}

/** Authorization code + PKCE through the stand-in; returns the token response. */
async function signIn(as: oauth.AuthorizationServer, client: oauth.Client) {
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(as.authorization_endpoint ?? '');
  url.search = new URLSearchParams({
    response_type: 'code',
    client_id: client.client_id,
    redirect_uri: REDIRECT_URI,
    state,
    code_challenge: await oauth.calculatePKCECodeChallenge(verifier),
    code_challenge_method: 'S256',
    scope: 'mcp:tools offline_access',
    prompt: 'consent',
    resource: rig.mcpServer.resource,
  }).toString();
  const callback = await followAuthorization(url, { login: 'alice' });
  expect(callback.origin + callback.pathname).toBe(REDIRECT_URI);
  // Checks `state` and the RFC 9207 `iss` against the metadata.
  const params = oauth.validateAuthResponse(as, client, callback, state);
  const res = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    REDIRECT_URI,
    verifier,
    {
      additionalParameters: { resource: rig.mcpServer.resource },
      ...insecure,
    },
  );
  return oauth.processAuthorizationCodeResponse(as, client, res);
}

async function refresh(as: oauth.AuthorizationServer, client: oauth.Client, refreshToken: string) {
  const res = await oauth.refreshTokenGrantRequest(as, client, oauth.None(), refreshToken, {
    additionalParameters: { resource: rig.mcpServer.resource },
    ...insecure,
  });
  return oauth.processRefreshTokenResponse(as, client, res);
}

/** The OAuth error a refresh ends with, or 'ok'. */
async function refreshOutcome(as: oauth.AuthorizationServer, client: oauth.Client, refreshToken: string) {
  try {
    await refresh(as, client, refreshToken);
    return 'ok';
  } catch (err) {
    return err instanceof oauth.ResponseBodyError ? err.error : String(err);
  }
}

/** Calls `echo` through the v2 SDK Client with a fixed bearer token. */
async function echoWith(accessToken: string, message: string): Promise<string> {
  const client = new Client({ name: 'rig-test', version: '1.0.0' });
  const transport = new StreamableHTTPClientTransport(new URL(rig.mcpServer.url), {
    authProvider: { token: async () => accessToken },
  });
  try {
    await client.connect(transport);
    const result = await client.callTool({ name: 'echo', arguments: { message } });
    return (result.content as Array<{ text: string }>)[0]?.text ?? '';
  } finally {
    await client.close();
  }
}

/** A raw 2025-era MCP request with this token (tools/list, or tools/call of `tool`): status and challenge. */
async function requestWith(
  accessToken: string,
  tool?: string,
): Promise<{ status: number; challenge: string }> {
  const res = await fetch(rig.mcpServer.url, {
    method: 'POST',
    headers: {
      authorization: `Bearer ${accessToken}`,
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
      'mcp-protocol-version': '2025-06-18',
    },
    body: JSON.stringify(
      tool === undefined
        ? { jsonrpc: '2.0', id: 1, method: 'tools/list' }
        : { jsonrpc: '2.0', id: 1, method: 'tools/call', params: { name: tool, arguments: {} } },
    ),
  });
  await res.body?.cancel();
  return { status: res.status, challenge: res.headers.get('www-authenticate') ?? '' };
}

const statusWith = async (accessToken: string) => (await requestWith(accessToken)).status;

const untilExpired = async (accessToken: string) => {
  const exp = decodeJwt(accessToken).exp ?? 0;
  await new Promise((resolve) => setTimeout(resolve, Math.max(0, exp * 1000 - Date.now()) + 50));
};

describe('OAuth rig', () => {
  let as: oauth.AuthorizationServer;
  let client: oauth.Client;
  let first: oauth.TokenEndpointResponse;

  it('answers a request without a token with 401 and a challenge naming its metadata and scope', async () => {
    const { status, params } = await challenge();
    expect(status).toBe(401);
    expect(params.get('resource_metadata')).toBe(rig.mcpServer.resourceMetadataUrl);
    expect(params.get('scope')).toBe('mcp:tools');
    expect(rig.mcpServer.stats().refusals.missing).toBe(1);
  });

  it('is discovered from the resource metadata, with registration, S256, iss and offline_access', async () => {
    as = await discover();
    expect(as.issuer).toBe(rig.authServer.issuer);
    expect(as.registration_endpoint).toBeDefined();
    expect(as.code_challenge_methods_supported).toEqual(['S256']);
    expect(as.authorization_response_iss_parameter_supported).toBe(true);
    expect(as.scopes_supported).toContain('offline_access');
    expect(as.token_endpoint_auth_methods_supported).toEqual(
      expect.arrayContaining(['none', 'client_secret_basic', 'client_secret_post']),
    );
    expect(rig.authServer.stats().requests['GET /.well-known/oauth-authorization-server']).toBe(1);
  });

  it('registers a client, signs in through the stand-in and the MCP server accepts the token', async () => {
    client = await register(as, {
      redirect_uris: [REDIRECT_URI],
      grant_types: ['authorization_code', 'refresh_token'],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
    first = await signIn(as, client);
    expect(first.expires_in).toBe(2);
    expect(first.refresh_token).toBeDefined();
    const claims = decodeJwt(first.access_token);
    expect(claims).toMatchObject({
      aud: rig.mcpServer.resource,
      iss: rig.authServer.issuer,
      client_id: client.client_id,
    });
    expect(await echoWith(first.access_token, 'hi')).toBe('Echo: hi');
    const authorization = rig.authServer.events.find((e) => e.type === 'authorization');
    expect(authorization).toMatchObject({
      clientId: client.client_id,
      resource: rig.mcpServer.resource,
      prompt: 'consent',
    });
    expect(rig.authServer.stats()).toMatchObject({
      registrations: 1,
      authorizations: 1,
      grants: { authorization_code: 1 },
    });
    expect(rig.mcpServer.stats().clients[client.client_id]).toBeGreaterThan(0);
  });

  it('refuses the access token with 401 once its 2 s are over', async () => {
    await untilExpired(first.access_token);
    expect(await statusWith(first.access_token)).toBe(401);
    expect(rig.mcpServer.stats().refusals.expired).toBe(1);
  });

  it('rotates the refresh token; the old one presented again is refused, counted, and ends the grant', async () => {
    const oldRefresh = first.refresh_token ?? '';
    const second = await refresh(as, client, oldRefresh);
    expect(second.refresh_token).toBeDefined();
    expect(second.refresh_token).not.toBe(oldRefresh);
    expect(await statusWith(second.access_token)).toBe(200);
    const grantId = rig.authServer.events.find((e) => e.type === 'token')?.grantId;
    expect(rig.authServer.refreshCount({ clientId: client.client_id })).toBe(1);
    expect(rig.authServer.refreshCount({ grantId: grantId ?? '' })).toBe(1);

    expect(await refreshOutcome(as, client, oldRefresh)).toBe('invalid_grant');
    expect(rig.authServer.stats().refreshReuse).toBe(1);
    expect(rig.authServer.events.find((e) => e.type === 'refresh.reuse')).toMatchObject({ grantId });
    // oidc-provider revokes the whole grant on reuse: the newest refresh token is dead too.
    expect(await refreshOutcome(as, client, second.refresh_token ?? '')).toBe('invalid_grant');
    expect(rig.authServer.stats().refreshes).toBe(1);
  });

  it('after revoke(), a refresh fails with invalid_grant', async () => {
    const tokens = await signIn(as, client);
    const fresh = await refresh(as, client, tokens.refresh_token ?? '');
    expect(await rig.authServer.revoke({ refreshToken: fresh.refresh_token ?? '' })).toBe(1);
    expect(await refreshOutcome(as, client, fresh.refresh_token ?? '')).toBe('invalid_grant');
    expect(rig.authServer.events.at(-1)).toMatchObject({ type: 'token.error', error: 'invalid_grant' });
  });

  it('the stand-in can decline: the client gets access_denied at its redirect_uri', async () => {
    const url = new URL(as.authorization_endpoint ?? '');
    url.search = new URLSearchParams({
      response_type: 'code',
      client_id: client.client_id,
      redirect_uri: REDIRECT_URI,
      code_challenge: await oauth.calculatePKCECodeChallenge(oauth.generateRandomCodeVerifier()),
      code_challenge_method: 'S256',
      resource: rig.mcpServer.resource,
      scope: 'mcp:tools',
    }).toString();
    const callback = await followAuthorization(url, { consent: false });
    expect(callback.searchParams.get('error')).toBe('access_denied');
    expect(callback.searchParams.get('iss')).toBe(rig.authServer.issuer);
  });

  it('the MCP server restarts on the same port and keeps accepting valid tokens', async () => {
    const tokens = await signIn(as, client);
    const before = rig.mcpServer.url;
    // Down for a moment: the client's pooled keep-alive connection sees the close before the next call.
    await rig.mcpServer.restart({ downMs: 100 });
    expect(rig.mcpServer.url).toBe(before);
    expect(await statusWith(tokens.access_token)).toBe(200);
    expect(rig.mcpServer.stats().starts).toBe(2);
  });

  it('serves the device flow and client credentials, and asks for mcp:admin on the admin tool', async () => {
    const device = await register(as, {
      grant_types: ['urn:ietf:params:oauth:grant-type:device_code', 'refresh_token'],
      response_types: [],
      token_endpoint_auth_method: 'none',
      application_type: 'native',
    });
    const authorization = await oauth.processDeviceAuthorizationResponse(
      as,
      device,
      await oauth.deviceAuthorizationRequest(
        as,
        device,
        oauth.None(),
        { scope: 'mcp:tools', resource: rig.mcpServer.resource },
        insecure,
      ),
    );
    await completeDeviceAuthorization(authorization.verification_uri_complete ?? '', { login: 'bob' });
    const deviceTokens = await oauth.processDeviceCodeResponse(
      as,
      device,
      await oauth.deviceCodeGrantRequest(as, device, oauth.None(), authorization.device_code, {
        additionalParameters: { resource: rig.mcpServer.resource },
        ...insecure,
      }),
    );
    expect(decodeJwt(deviceTokens.access_token)).toMatchObject({ sub: 'bob', aud: rig.mcpServer.resource });

    const service = await register(as, {
      grant_types: ['client_credentials'],
      response_types: [],
      token_endpoint_auth_method: 'client_secret_basic',
    });
    const serviceTokens = await oauth.processClientCredentialsResponse(
      as,
      service,
      await oauth.clientCredentialsGrantRequest(
        as,
        service,
        oauth.ClientSecretBasic(String(service.client_secret)),
        { scope: 'mcp:tools', resource: rig.mcpServer.resource },
        insecure,
      ),
    );
    expect(await statusWith(serviceTokens.access_token)).toBe(200);

    // Step-up material: the admin tool wants mcp:admin on top and says so in a 403 (RFC 6750 §3.1).
    const admin = await requestWith(serviceTokens.access_token, 'admin');
    expect(admin.status).toBe(403);
    expect(admin.challenge).toContain('error="insufficient_scope"');
    expect(admin.challenge).toContain('scope="mcp:tools mcp:admin"');
    expect(rig.mcpServer.stats().refusals.scope).toBe(1);
  });
});
