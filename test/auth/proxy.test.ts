// Issue 15: with HTTP_PROXY set, discovery, registration and token requests go through the proxy like the
// MCP requests do; the user's browser (the rig's headless stand-in) and the loopback callback never do.
// `NO_PROXY=` (empty) sends loopback through the proxy, so a loopback rig can stand for remote servers.
// The transport reads the proxy variables once, when created (the link's dispatcher and the auth
// dispatcher alike), so they are set for that moment only. Proof of the route: the forward proxy's
// per-target counters (CONNECT tunnels, per `host:port`; the AS and the MCP server listen on different
// ports) and its byte counter per phase (a reused tunnel opens no new one, but carries new bytes).

import { Client } from '@modelcontextprotocol/client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTransport, isUnauthorizedError, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { type ForwardProxy, startForwardProxy } from '../helpers/forward-proxy.js';
import { followAuthorization, type OAuthRig, startOAuthRig } from '../peers/oauth/index.js';
import { MemoryProvider } from './memory-provider.js';

const PROXY_VARIABLES = ['HTTP_PROXY', 'http_proxy', 'HTTPS_PROXY', 'https_proxy', 'NO_PROXY', 'no_proxy'];

const keep = closeAfterEach();
let rig: OAuthRig;
beforeAll(async () => {
  rig = await startOAuthRig();
});
afterAll(async () => {
  await rig?.close();
});

/** Creates the transport with exactly these proxy variables set, then restores the environment. */
function createdWith(variables: Record<string, string>, create: () => LifelineTransport): LifelineTransport {
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

/** Authorization server metadata requests (RFC 8414 / OIDC discovery) among the AS's requests. */
function wellKnownRequests(requests: Record<string, number>): number {
  return Object.entries(requests)
    .filter(([key]) => key.startsWith('GET /.well-known/'))
    .reduce((sum, [, count]) => sum + count, 0);
}

describe('OAuth through HTTP_PROXY', () => {
  it('sends discovery, registration and the token request through the proxy, the browser direct', async () => {
    const proxy: ForwardProxy = keep(await startForwardProxy());
    const provider = new MemoryProvider();
    const transport = keep(
      createdWith({ HTTP_PROXY: proxy.url, NO_PROXY: '' }, () =>
        createTransport({ url: rig.mcpServer.url, authProvider: provider }),
      ),
    );
    const mcpTarget = `127.0.0.1:${new URL(rig.mcpServer.url).port}`;
    const asTarget = `127.0.0.1:${rig.authServer.port}`;
    const client = keep(new Client({ name: 'lifeline-proxy-auth', version: '1.0.0' }));
    const asBefore = rig.authServer.stats();
    const metadataBefore = rig.mcpServer.stats().metadataRequests;

    // Phase 1: the MCP POST is refused; resource metadata, AS metadata and registration follow.
    const refused = await client.connect(transport).catch((error: unknown) => error);
    expect(isUnauthorizedError(refused)).toBe(true);
    expect(rig.mcpServer.stats().metadataRequests).toBeGreaterThan(metadataBefore);
    const asDiscovered = rig.authServer.stats();
    expect(asDiscovered.registrations).toBe(asBefore.registrations + 1);
    expect(wellKnownRequests(asDiscovered.requests)).toBeGreaterThan(wellKnownRequests(asBefore.requests));
    expect(proxy.relayed(mcpTarget)).toBeGreaterThan(0);
    expect(proxy.relayed(asTarget)).toBeGreaterThan(0);
    expect(proxy.refused).toBe(0);

    // Phase 2: the user's browser goes straight to the AS, and nothing is sent through the proxy.
    const url = provider.authorizations.at(-1);
    expect(url).toBeDefined();
    const tunnelsToAs = proxy.relayed(asTarget);
    const bytesBeforeBrowser = proxy.bytesUp;
    const callback = await followAuthorization(url as URL, { login: 'alice' });
    expect(proxy.bytesUp).toBe(bytesBeforeBrowser);
    expect(proxy.relayed(asTarget)).toBe(tunnelsToAs);

    // Phase 3: the token request (and only it) is sent, through the proxy.
    const tokensBefore = rig.authServer.stats().tokenRequests;
    await transport.finishAuth(callback.searchParams);
    expect(rig.authServer.stats().tokenRequests).toBe(tokensBefore + 1);
    expect(proxy.bytesUp).toBeGreaterThan(bytesBeforeBrowser);
    expect(provider.current?.access_token).toBeDefined();

    // Phase 4: with the token, the MCP requests go through the proxy and the call succeeds.
    const bytesBeforeCall = proxy.bytesUp;
    const authorizedBefore = rig.mcpServer.stats().authorized;
    await client.connect(transport);
    const result = (await client.callTool({ name: 'echo', arguments: { message: 'proxied' } })) as {
      content: { text: string }[];
    };
    expect(result.content[0]?.text).toContain('proxied');
    expect(rig.mcpServer.stats().authorized).toBeGreaterThan(authorizedBefore);
    expect(proxy.bytesUp).toBeGreaterThan(bytesBeforeCall);
    expect(proxy.refused).toBe(0);
  });
});
