import type * as oauth from 'oauth4webapi';
import { afterEach, describe, expect, it } from 'vitest';
import {
  authMethod,
  type ClientRecord,
  clientAuth,
  clientSecretBasic,
  forIssuer,
  registrationMetadata,
  resolveClient,
} from '../../src/auth/client-identity.js';
import { discover } from '../../src/auth/discovery.js';
import { createAuthHttp } from '../../src/auth/http.js';
import type { ClientInformationLike, OAuthClientProviderLike } from '../../src/auth/types.js';
import { type AuthServer, startAuthServer, TestProvider } from './fixtures.js';

const http = createAuthHttp({ timeoutMs: 5000 });
let as: AuthServer | undefined;
afterEach(async () => {
  await as?.close();
  as = undefined;
});

describe('clientSecretBasic (RFC 6749 §2.3.1)', () => {
  it('form-encodes id and secret as WHATWG does: - . _ * stay as they are', async () => {
    const headers = new Headers();
    const client = { client_id: 'pre-registered-client' };
    await clientSecretBasic('pre-registered-secret')(
      {} as oauth.AuthorizationServer,
      client,
      new URLSearchParams(),
      headers,
    );
    const pair = Buffer.from((headers.get('authorization') ?? '').slice(6), 'base64').toString();
    expect(pair).toBe('pre-registered-client:pre-registered-secret');
  });

  it('escapes what the form encoding escapes (a colon in the id, spaces)', async () => {
    const headers = new Headers();
    await clientSecretBasic('s e:c')(
      {} as oauth.AuthorizationServer,
      { client_id: 'a:b' },
      new URLSearchParams(),
      headers,
    );
    const pair = Buffer.from((headers.get('authorization') ?? '').slice(6), 'base64').toString();
    expect(pair).toBe('a%3Ab:s+e%3Ac');
  });
});

describe('clientAuth', () => {
  it("lets the provider's addClientAuthentication authenticate token requests, in place of any method", async () => {
    const seen: unknown[] = [];
    const provider = {
      addClientAuthentication(headers: Headers, params: URLSearchParams, url: string | URL) {
        seen.push(String(url));
        headers.set('authorization', 'Custom proof');
        params.set('client_assertion_type', 'urn:example:proof');
      },
    } as unknown as OAuthClientProviderLike;
    const record: ClientRecord = {
      client: { client_id: 'c' },
      secret: 's',
      method: 'client_secret_basic',
      dynamic: false,
    };
    const headers = new Headers();
    const body = new URLSearchParams();
    const as = { issuer: 'https://as.example', token_endpoint: 'https://as.example/token' };
    await clientAuth(record, provider)(as as oauth.AuthorizationServer, { client_id: 'c' }, body, headers);
    expect(seen).toEqual(['https://as.example/token']);
    expect(headers.get('authorization')).toBe('Custom proof');
    expect(body.get('client_assertion_type')).toBe('urn:example:proof');
  });
});

describe('authMethod (the SDK selectClientAuthMethod)', () => {
  it.each([
    [
      'the registered method when supported',
      { client_id: 'c', client_secret: 's', token_endpoint_auth_method: 'client_secret_post' },
      ['client_secret_basic', 'client_secret_post'],
      'client_secret_post',
    ],
    [
      'Basic with a secret and no list (RFC 8414 §2 default)',
      { client_id: 'c', client_secret: 's' },
      [],
      'client_secret_basic',
    ],
    ['none without a secret and no list', { client_id: 'c' }, [], 'none'],
    [
      'Basic before Post',
      { client_id: 'c', client_secret: 's' },
      ['client_secret_post', 'client_secret_basic'],
      'client_secret_basic',
    ],
    [
      'Post when only Post',
      { client_id: 'c', client_secret: 's' },
      ['client_secret_post'],
      'client_secret_post',
    ],
    ['none for a public client', { client_id: 'c' }, ['client_secret_basic', 'none'], 'none'],
  ])('%s', (_name, info, supported, expected) => {
    expect(authMethod(info, supported)).toBe(expected);
  });
});

describe('client identity (2025-11-25 §Client Registration Approaches)', () => {
  it('keeps a stored registration for its own issuer only (SEP-2352)', () => {
    const stamped: ClientInformationLike = { client_id: 'a', issuer: 'https://as1' };
    const unstamped: ClientInformationLike = { client_id: 'a' };
    expect(forIssuer(stamped, 'https://as1/')).toBeDefined();
    expect(forIssuer(stamped, 'https://as2')).toBeUndefined();
    expect(forIssuer(unstamped, 'https://as2')).toBeDefined();
  });

  it('fills the registration defaults: grant types, application_type from the redirect URIs (SEP-837)', () => {
    const provider = new TestProvider();
    expect(registrationMetadata(provider as unknown as OAuthClientProviderLike)).toMatchObject({
      grant_types: ['authorization_code', 'refresh_token'],
      application_type: 'native',
    });
  });

  it('registers dynamically (RFC 7591), tolerating a secret without client_secret_expires_at', async () => {
    as = await startAuthServer({ clientSecret: 'dyn-secret', authMethods: ['client_secret_basic'] });
    const discovery = await discover(new URL(`${as.origin}/mcp`), http);
    const provider = new TestProvider();
    const record = await resolveClient({
      provider: provider as unknown as OAuthClientProviderLike,
      discovery,
      scope: 'a b',
      http,
    });
    expect(record).toMatchObject({
      client: { client_id: 'dyn-client' },
      secret: 'dyn-secret',
      method: 'client_secret_basic',
      dynamic: true,
    });
    expect(provider.client).toMatchObject({ client_id: 'dyn-client', issuer: as.issuer });
    const registration = as.requests.find((r) => r.path === '/register');
    expect(registration?.json).toMatchObject({
      scope: 'a b',
      application_type: 'native',
      redirect_uris: ['http://127.0.0.1:9/callback'],
    });
  });

  it('uses a Client ID Metadata Document when the server supports it', async () => {
    as = await startAuthServer();
    const found = await discover(new URL(`${as.origin}/mcp`), http);
    const discovery = { ...found, as: { ...found.as, client_id_metadata_document_supported: true } };
    const provider = Object.assign(new TestProvider(), {
      clientMetadataUrl: 'https://client.example/metadata.json',
    });
    const record = await resolveClient({
      provider: provider as unknown as OAuthClientProviderLike,
      discovery,
      scope: undefined,
      http,
    });
    expect(record.client.client_id).toBe('https://client.example/metadata.json');
    expect(as.requests.some((r) => r.path === '/register')).toBe(false);
  });
});
