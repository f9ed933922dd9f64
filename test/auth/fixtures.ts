/**
 * Loopback fixtures for the authorization tests: a small OAuth authorization server
 * (`node:http`: RFC 8414 metadata, dynamic registration, an authorization endpoint that
 * redirects at once, a token endpoint with PKCE checks and rotating refresh tokens), an MCP
 * server behaviour that wants its tokens (for `startMisbehavingServer`), and an in-memory
 * `OAuthClientProvider` whose "browser" follows the authorization URL without a person.
 */

import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import type { OAuthTokensLike } from '../../src/auth/types.js';
import {
  type Behaviour,
  type RecordedRequest,
  reply,
  replyJson,
  standard,
} from '../helpers/http-misbehaving.js';

/** Options of {@link startAuthServer}. */
export interface AuthServerOptions {
  /** The issuer's path (`/tenant1`); none by default. */
  issuerPath?: string;
  /** `expires_in` of access tokens, in seconds. Default 3600. */
  expiresIn?: number;
  /** Issue refresh tokens (rotating). Default true. */
  refreshTokens?: boolean;
  /** `token_endpoint_auth_methods_supported`. Default `['none']`. */
  authMethods?: string[];
  /** `scopes_supported`, when set. */
  scopesSupported?: string[];
  /** Advertise and send RFC 9207 `iss`. Default true. */
  iss?: boolean;
  /** The client id dynamic registration hands out. Default `dyn-client`. */
  clientId?: string;
  /** A secret dynamic registration hands out (no `client_secret_expires_at`, like the MCP suite's server). */
  clientSecret?: string;
  /** How long the token endpoint takes to answer, in ms (a refresh still in flight when others arrive). */
  tokenDelayMs?: number;
}

/** An access token the server issued. */
export interface IssuedToken {
  scope: string | undefined;
  resource: string | undefined;
  /** Real time (ms) after which the MCP server refuses it. */
  expiresAt: number;
  revoked: boolean;
}

/** One request to the authorization server. */
export interface AuthRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  form: URLSearchParams;
  json: Record<string, unknown> | undefined;
  authorization: string | undefined;
}

/** A running authorization server. */
export interface AuthServer {
  origin: string;
  issuer: string;
  /** Every request, in order. */
  requests: AuthRequest[];
  /** Access tokens issued. */
  tokens: Map<string, IssuedToken>;
  /** How many refresh grants were answered with new tokens. */
  refreshes: number;
  /** Whether the token is one it issued, not revoked or expired. */
  valid(token: string | undefined): IssuedToken | undefined;
  /** Makes every refresh token fail with `invalid_grant` (revocation). */
  revokeRefreshTokens(): void;
  /** Refuses (revokes) every access token issued so far. */
  revokeAccessTokens(): void;
  close(): Promise<void>;
}

function s256(verifier: string): string {
  return createHash('sha256').update(verifier).digest('base64url');
}

async function readBody(request: IncomingMessage): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** Starts the authorization server on 127.0.0.1 (a free port). */
export async function startAuthServer(options: AuthServerOptions = {}): Promise<AuthServer> {
  const codes = new Map<
    string,
    { challenge: string; scope: string | undefined; resource: string | undefined }
  >();
  const refreshTokens = new Map<string, { scope: string | undefined; resource: string | undefined }>();
  const sockets = new Set<Socket>();
  const iss = options.iss ?? true;
  let refreshRevoked = false;
  const server = createServer((request, response) => {
    void handle(request, response).catch((error: unknown) => {
      replyJson(response, { error: 'server_error', error_description: String(error) }, 500);
    });
  });
  server.on('connection', (socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const path = options.issuerPath ?? '';
  const issuer = `${origin}${path}`;

  const issue = (scope: string | undefined, resource: string | undefined): Record<string, unknown> => {
    const access = `at-${randomBytes(12).toString('hex')}`;
    const expiresIn = options.expiresIn ?? 3600;
    fixture.tokens.set(access, { scope, resource, expiresAt: Date.now() + expiresIn * 1000, revoked: false });
    const answer: Record<string, unknown> = {
      access_token: access,
      token_type: 'Bearer',
      expires_in: expiresIn,
    };
    if (scope !== undefined) answer.scope = scope;
    if (options.refreshTokens ?? true) {
      const refresh = `rt-${randomBytes(12).toString('hex')}`;
      refreshTokens.set(refresh, { scope, resource });
      answer.refresh_token = refresh;
    }
    return answer;
  };

  const handle = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    const url = new URL(request.url ?? '/', origin);
    const body = await readBody(request);
    const json = (() => {
      try {
        return JSON.parse(body) as Record<string, unknown>;
      } catch {
        return undefined;
      }
    })();
    const form = new URLSearchParams(json === undefined ? body : '');
    fixture.requests.push({
      method: request.method ?? 'GET',
      path: url.pathname,
      query: url.searchParams,
      form,
      json,
      authorization: request.headers.authorization,
    });
    if (url.pathname === `/.well-known/oauth-authorization-server${path}`) {
      const metadata: Record<string, unknown> = {
        issuer,
        authorization_endpoint: `${issuer}/authorize`,
        token_endpoint: `${issuer}/token`,
        registration_endpoint: `${issuer}/register`,
        response_types_supported: ['code'],
        grant_types_supported: ['authorization_code', 'refresh_token'],
        code_challenge_methods_supported: ['S256'],
        token_endpoint_auth_methods_supported: options.authMethods ?? ['none'],
      };
      if (iss) metadata.authorization_response_iss_parameter_supported = true;
      if (options.scopesSupported !== undefined) metadata.scopes_supported = options.scopesSupported;
      replyJson(response, metadata);
    } else if (url.pathname === `${path}/register`) {
      const answer: Record<string, unknown> = { ...json, client_id: options.clientId ?? 'dyn-client' };
      if (options.clientSecret !== undefined) answer.client_secret = options.clientSecret;
      replyJson(response, answer, 201);
    } else if (url.pathname === `${path}/authorize`) {
      const q = url.searchParams;
      const code = `code-${randomBytes(8).toString('hex')}`;
      codes.set(code, {
        challenge: q.get('code_challenge') ?? '',
        scope: q.get('scope') ?? undefined,
        resource: q.get('resource') ?? undefined,
      });
      const back = new URL(q.get('redirect_uri') ?? 'http://localhost/callback');
      back.searchParams.set('code', code);
      const state = q.get('state');
      if (state !== null) back.searchParams.set('state', state);
      if (iss) back.searchParams.set('iss', issuer);
      reply(response, 302, undefined, '', { location: back.href });
    } else if (url.pathname === `${path}/token`) {
      if (options.tokenDelayMs !== undefined)
        await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs));
      const grant = form.get('grant_type');
      if (grant === 'authorization_code') {
        const code = codes.get(form.get('code') ?? '');
        codes.delete(form.get('code') ?? '');
        if (code === undefined || s256(form.get('code_verifier') ?? '') !== code.challenge) {
          replyJson(response, { error: 'invalid_grant' }, 400);
          return;
        }
        replyJson(response, issue(code.scope, code.resource));
      } else if (grant === 'refresh_token') {
        const old = refreshTokens.get(form.get('refresh_token') ?? '');
        refreshTokens.delete(form.get('refresh_token') ?? '');
        if (old === undefined || refreshRevoked) {
          replyJson(response, { error: 'invalid_grant', error_description: 'refresh token revoked' }, 400);
          return;
        }
        fixture.refreshes += 1;
        replyJson(response, issue(form.get('scope') ?? old.scope, form.get('resource') ?? old.resource));
      } else {
        replyJson(response, { error: 'unsupported_grant_type' }, 400);
      }
    } else {
      reply(response, 404, 'text/plain', 'not found');
    }
  };

  const fixture: AuthServer = {
    origin,
    issuer,
    requests: [],
    tokens: new Map(),
    refreshes: 0,
    valid(token) {
      const issued = token === undefined ? undefined : fixture.tokens.get(token);
      return issued !== undefined && !issued.revoked && Date.now() < issued.expiresAt ? issued : undefined;
    },
    revokeRefreshTokens() {
      refreshRevoked = true;
    },
    revokeAccessTokens() {
      for (const token of fixture.tokens.values()) token.revoked = true;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
  return fixture;
}

/** Options of {@link protectedMcp}. */
export interface ProtectedOptions {
  /** `scope` in the 401 challenge. */
  challengeScope?: string;
  /** `scopes_supported` in the resource metadata. */
  scopesSupported?: string[];
  /** Scopes a method needs beyond a valid token: a 403 `insufficient_scope` otherwise. */
  methodScopes?: Record<string, string>;
  /** Answers `server/discover` as a legacy server does (-32601); default true. */
  legacy?: boolean;
}

/** The Bearer token of a recorded request. */
export function bearerOf(request: RecordedRequest): string | undefined {
  const value = request.headers.authorization;
  return typeof value === 'string' && value.startsWith('Bearer ') ? value.slice(7) : undefined;
}

/**
 * An MCP server (for `startMisbehavingServer`) protected by `as`: resource metadata at the
 * path-aware well-known URL, a 401 challenge for a missing or refused token, 403
 * `insufficient_scope` per method, and a legacy-era server otherwise.
 */
export function protectedMcp(as: AuthServer, options: ProtectedOptions = {}): Behaviour {
  return (request, response) => {
    const url = new URL(request.url, 'http://x');
    const origin = `http://${request.headers.host}`;
    if (request.method === 'GET' && url.pathname === '/.well-known/oauth-protected-resource/mcp') {
      const prm: Record<string, unknown> = { resource: `${origin}/mcp`, authorization_servers: [as.issuer] };
      if (options.scopesSupported !== undefined) prm.scopes_supported = options.scopesSupported;
      replyJson(response, prm);
      return;
    }
    if (url.pathname.startsWith('/.well-known/')) {
      reply(response, 404, 'text/plain', 'not found');
      return;
    }
    const token = as.valid(bearerOf(request));
    if (token === undefined) {
      const scope = options.challengeScope === undefined ? '' : `, scope="${options.challengeScope}"`;
      const challenge = `Bearer error="invalid_token", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"${scope}`;
      replyJson(response, { error: 'invalid_token' }, 401, { 'www-authenticate': challenge });
      return;
    }
    const method = request.rpc?.method ?? '';
    const needed = options.methodScopes?.[method];
    const granted = new Set((token.scope ?? '').split(' '));
    if (needed !== undefined && !needed.split(' ').every((scope) => granted.has(scope))) {
      const challenge = `Bearer error="insufficient_scope", scope="${needed}", resource_metadata="${origin}/.well-known/oauth-protected-resource/mcp"`;
      replyJson(response, { error: 'insufficient_scope' }, 403, { 'www-authenticate': challenge });
      return;
    }
    if (method === 'server/discover' && (options.legacy ?? true)) {
      replyJson(response, {
        jsonrpc: '2.0',
        id: request.rpc?.id ?? null,
        error: { code: -32601, message: 'Method not found' },
      });
      return;
    }
    if (method === 'tools/list') {
      const tools = [{ name: 'echo', inputSchema: { type: 'object' } }];
      replyJson(response, { jsonrpc: '2.0', id: request.rpc?.id ?? null, result: { tools } });
      return;
    }
    standard(request, response);
  };
}

/** An in-memory SDK-shaped `OAuthClientProvider` whose "browser" follows the authorization URL. */
export class TestProvider {
  client: { client_id: string; client_secret?: string; issuer?: string } | undefined;
  saved: OAuthTokensLike | undefined;
  verifier = '';
  discovery: unknown;
  /** Authorization URLs handed over, in order. */
  readonly authorizations: URL[] = [];
  /** The latest callback's query. */
  callback: URLSearchParams | undefined;
  /** Follow the authorization URL (a user who signs in at once); false: only record it. */
  follow = true;
  readonly invalidated: string[] = [];

  get redirectUrl(): string {
    return 'http://127.0.0.1:9/callback';
  }
  get clientMetadata() {
    return { client_name: 'lifeline-test', redirect_uris: ['http://127.0.0.1:9/callback'] };
  }
  clientInformation() {
    return this.client;
  }
  saveClientInformation(info: { client_id: string; client_secret?: string }) {
    this.client = info;
  }
  tokens() {
    return this.saved;
  }
  saveTokens(tokens: OAuthTokensLike) {
    this.saved = tokens;
  }
  saveCodeVerifier(verifier: string) {
    this.verifier = verifier;
  }
  codeVerifier() {
    return this.verifier;
  }
  saveDiscoveryState(state: unknown) {
    this.discovery = state;
  }
  discoveryState() {
    return this.discovery as undefined;
  }
  invalidateCredentials(scope: string) {
    this.invalidated.push(scope);
    if (scope === 'all' || scope === 'tokens') this.saved = undefined;
    if (scope === 'all' || scope === 'client') this.client = undefined;
    if (scope === 'all' || scope === 'discovery') this.discovery = undefined;
  }
  async redirectToAuthorization(url: URL) {
    this.authorizations.push(url);
    if (!this.follow) return;
    const response = await fetch(url, { redirect: 'manual' });
    const location = response.headers.get('location');
    this.callback = location === null ? undefined : new URL(location).searchParams;
  }
  /** The callback to finish, once. */
  take(): URLSearchParams {
    const callback = this.callback;
    this.callback = undefined;
    if (callback === undefined) throw new Error('no callback');
    return callback;
  }
}
