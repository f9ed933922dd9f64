import { describe, expect, it } from 'vitest';
import { discover } from '../../src/auth/discovery.js';
import { createAuthHttp } from '../../src/auth/http.js';
import { AuthorizationError, LinkError } from '../../src/errors.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import {
  type MisbehavingServer,
  reply,
  replyJson,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';

const keep = closeAfterEach();
const http = createAuthHttp({ timeoutMs: 5000 });

/** A server answering JSON documents at the given paths (`{origin}` replaced), 404 elsewhere. */
async function serve(documents: Record<string, unknown>): Promise<MisbehavingServer> {
  const server: MisbehavingServer = keep(
    await startMisbehavingServer((request, response) => {
      const path = new URL(request.url, 'http://x').pathname;
      const document = documents[path];
      if (document === undefined) reply(response, 404, 'text/plain', 'no');
      else replyJson(response, JSON.parse(JSON.stringify(document).replaceAll('{origin}', server.origin)));
    }),
  );
  return server;
}

function asMetadata(issuer: string) {
  return {
    issuer,
    authorization_endpoint: `${issuer}/authorize`,
    token_endpoint: `${issuer}/token`,
    response_types_supported: ['code'],
    code_challenge_methods_supported: ['S256'],
  };
}

const paths = (server: MisbehavingServer) => server.requests.map((r) => new URL(r.url, 'http://x').pathname);

describe('discover (2025-11-25 §Authorization Server Discovery)', () => {
  it('tries the path-aware resource metadata first, then the root (RFC 9728 §3.1)', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource': { resource: '{origin}', authorization_servers: ['{origin}'] },
      '/.well-known/oauth-authorization-server': asMetadata('{origin}'),
    });
    const found = await discover(new URL(server.url('/mcp')), http);
    expect(paths(server)).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-protected-resource',
      '/.well-known/oauth-authorization-server',
    ]);
    expect(found.prm?.resource).toBe(server.origin);
    expect(found.as.issuer).toBe(server.origin);
    expect(found.synthesized).toBe(false);
  });

  it("uses the challenge's resource_metadata URL alone when it answers", async () => {
    const server = await serve({
      '/custom/prm.json': { resource: '{origin}/mcp', authorization_servers: ['{origin}'] },
      '/.well-known/oauth-authorization-server': asMetadata('{origin}'),
    });
    await discover(new URL(server.url('/mcp')), http, {
      resourceMetadata: new URL(server.url('/custom/prm.json')),
    });
    expect(paths(server)).toEqual(['/custom/prm.json', '/.well-known/oauth-authorization-server']);
  });

  it('for an issuer with a path: RFC 8414 insertion, OpenID insertion, then OpenID appending', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': {
        resource: '{origin}/mcp',
        authorization_servers: ['{origin}/tenant1'],
      },
      '/tenant1/.well-known/openid-configuration': asMetadata('{origin}/tenant1'),
    });
    const found = await discover(new URL(server.url('/mcp')), http);
    expect(paths(server)).toEqual([
      '/.well-known/oauth-protected-resource/mcp',
      '/.well-known/oauth-authorization-server/tenant1',
      '/.well-known/openid-configuration/tenant1',
      '/tenant1/.well-known/openid-configuration',
    ]);
    expect(found.as.issuer).toBe(`${server.origin}/tenant1`);
  });

  it('for an issuer without a path: RFC 8414, then OpenID', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': {
        resource: '{origin}/mcp',
        authorization_servers: ['{origin}'],
      },
      '/.well-known/openid-configuration': asMetadata('{origin}'),
    });
    await discover(new URL(server.url('/mcp')), http);
    expect(paths(server).slice(1)).toEqual([
      '/.well-known/oauth-authorization-server',
      '/.well-known/openid-configuration',
    ]);
  });

  it('refuses metadata naming another issuer (RFC 8414 §3.3), without trying further', async () => {
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': {
        resource: '{origin}/mcp',
        authorization_servers: ['{origin}'],
      },
      '/.well-known/oauth-authorization-server': asMetadata('https://attacker.example.com'),
    });
    const error = await discover(new URL(server.url('/mcp')), http).catch((e: unknown) => e);
    expect((error as AuthorizationError).kind).toBe('issuer_mismatch');
    expect(paths(server)).toHaveLength(2);
  });

  it('accepts a slash-less issuer for the origin (2025-03-26 servers) and keeps it raw', async () => {
    const server = await serve({ '/.well-known/oauth-authorization-server': asMetadata('{origin}') });
    const found = await discover(new URL(server.url('/mcp')), http);
    expect(found.prm).toBeUndefined();
    expect(found.authorizationServerUrl).toBe(server.origin);
    expect(found.as.issuer).toBe(server.origin);
  });

  it('falls back to the default endpoints on the origin without any metadata (2025-03-26 §2.3.3)', async () => {
    const server = await serve({});
    const found = await discover(new URL(server.url('/mcp')), http);
    expect(found.synthesized).toBe(true);
    expect(found.as.authorization_endpoint).toBe(`${server.origin}/authorize`);
    expect(found.as.token_endpoint).toBe(`${server.origin}/token`);
    expect(found.as.registration_endpoint).toBe(`${server.origin}/register`);
  });

  it('refuses an authorization server without PKCE S256 (2025-11-25 §Authorization Code Protection)', async () => {
    const { code_challenge_methods_supported: _gone, ...withoutPkce } = asMetadata('{origin}');
    const server = await serve({
      '/.well-known/oauth-protected-resource/mcp': {
        resource: '{origin}/mcp',
        authorization_servers: ['{origin}'],
      },
      '/.well-known/oauth-authorization-server': withoutPkce,
    });
    const error = await discover(new URL(server.url('/mcp')), http).catch((e: unknown) => e);
    expect((error as AuthorizationError).kind).toBe('discovery');
  });

  it('treats a 5xx as a retryable failure, not as "no metadata"', async () => {
    const server = keep(
      await startMisbehavingServer((_request, response) => reply(response, 503, 'text/plain', 'down')),
    );
    const error = await discover(new URL(server.url('/mcp')), http).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LinkError);
    expect((error as LinkError).retryable).toBe(true);
  });

  it('refuses plain http to a host other than loopback', async () => {
    const error = await discover(new URL('http://mcp.example.com/mcp'), http).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(AuthorizationError);
    expect((error as AuthorizationError).kind).toBe('insecure');
  });
});
