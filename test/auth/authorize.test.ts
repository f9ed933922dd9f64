import type * as oauth from 'oauth4webapi';
import { describe, expect, it } from 'vitest';
import {
  authorizationUrl,
  type PendingAuthorization,
  PendingAuthorizations,
  validateCallback,
} from '../../src/auth/authorize.js';
import type { Discovery } from '../../src/auth/discovery.js';
import { createAuthHttp } from '../../src/auth/http.js';
import { AuthorizationError } from '../../src/errors.js';

const ISSUER = 'http://127.0.0.1:9';

function discovery(as: Partial<oauth.AuthorizationServer> = {}, synthesized = false): Discovery {
  return {
    prm: undefined,
    resourceMetadataUrl: undefined,
    authorizationServerUrl: ISSUER,
    as: {
      issuer: ISSUER,
      authorization_endpoint: `${ISSUER}/authorize`,
      token_endpoint: `${ISSUER}/token`,
      ...as,
    },
    synthesized,
  };
}

function pending(d: Discovery, state: string | null = 's1'): PendingAuthorization {
  return {
    state: state ?? undefined,
    verifier: 'v',
    redirectUri: 'http://127.0.0.1:1/cb',
    scope: undefined,
    resource: undefined,
    discovery: d,
    record: { client: { client_id: 'c' }, secret: undefined, method: 'none', dynamic: false },
  };
}

const kindOf = (fn: () => unknown): string | undefined => {
  try {
    fn();
    return undefined;
  } catch (error) {
    return (error as AuthorizationError).kind;
  }
};

describe('validateCallback: RFC 9207 iss (2025-11-25 §Authorization Response Issuer Validation)', () => {
  const advertised = discovery({ authorization_response_iss_parameter_supported: true });
  const silent = discovery();
  it.each([
    ['advertised, correct iss: accepted', advertised, `code=x&state=s1&iss=${ISSUER}`, undefined],
    ['advertised, iss missing: refused', advertised, 'code=x&state=s1', 'issuer_mismatch'],
    [
      'advertised, wrong iss: refused',
      advertised,
      'code=x&state=s1&iss=https://evil.example.com',
      'issuer_mismatch',
    ],
    ['not advertised, no iss: accepted', silent, 'code=x&state=s1', undefined],
    [
      'not advertised, wrong iss: refused anyway',
      silent,
      'code=x&state=s1&iss=https://evil.example.com',
      'issuer_mismatch',
    ],
    [
      'normalized iss (a trailing slash): refused, the comparison is a plain string one',
      advertised,
      `code=x&state=s1&iss=${ISSUER}/`,
      'issuer_mismatch',
    ],
  ])('%s', (_name, d, query, kind) => {
    expect(kindOf(() => validateCallback(pending(d), new URLSearchParams(query)))).toBe(kind);
  });

  it('ignores iss for synthesized 2025-03-26 endpoints (no authentic issuer to compare with)', () => {
    const d = discovery({}, true);
    expect(
      kindOf(() => validateCallback(pending(d), new URLSearchParams('code=x&iss=https://other'))),
    ).toBeUndefined();
  });
});

describe('validateCallback: state and errors', () => {
  const d = discovery();
  it('refuses another state than the one sent', () => {
    expect(kindOf(() => validateCallback(pending(d), new URLSearchParams('code=x&state=other')))).toBe(
      'callback',
    );
  });

  it('accepts a callback without state (the finishAuth(code) form) and an authorization rebuilt without one', () => {
    expect(kindOf(() => validateCallback(pending(d), new URLSearchParams('code=x')))).toBeUndefined();
    expect(
      kindOf(() => validateCallback(pending(d, null), new URLSearchParams('code=x&state=any'))),
    ).toBeUndefined();
  });

  it('reports an error response by its code only', () => {
    try {
      validateCallback(
        pending(d),
        new URLSearchParams('error=access_denied&error_description=evil%20text&state=s1'),
      );
      expect.unreachable();
    } catch (error) {
      expect(error).toBeInstanceOf(AuthorizationError);
      expect((error as AuthorizationError).oauthError).toBe('access_denied');
      expect((error as Error).message).not.toContain('evil');
    }
  });
});

describe('authorizationUrl (RFC 6749 §4.1.1, RFC 7636, RFC 8707)', () => {
  it('asks for code with PKCE S256, state, scope, resource, and prompt=consent with offline_access', async () => {
    const { url, pending: p } = await authorizationUrl({
      discovery: discovery(),
      record: pending(discovery()).record,
      redirectUri: 'http://127.0.0.1:1/cb',
      scope: 'a offline_access',
      resource: 'http://127.0.0.1:9',
      state: 'st',
      http: createAuthHttp(),
    });
    const q = url.searchParams;
    expect(Object.fromEntries(q)).toMatchObject({
      response_type: 'code',
      client_id: 'c',
      redirect_uri: 'http://127.0.0.1:1/cb',
      state: 'st',
      code_challenge_method: 'S256',
      scope: 'a offline_access',
      prompt: 'consent',
      resource: 'http://127.0.0.1:9',
    });
    expect(q.get('code_challenge')).toMatch(/^[\w-]{43}$/);
    expect(p.verifier).not.toBe(q.get('code_challenge'));
  });

  it('refuses an authorization endpoint over plain http elsewhere than loopback', async () => {
    const error = await authorizationUrl({
      discovery: discovery({ authorization_endpoint: 'http://as.example.com/authorize' }),
      record: pending(discovery()).record,
      redirectUri: 'http://127.0.0.1:1/cb',
      scope: undefined,
      resource: undefined,
      state: 'st',
      http: createAuthHttp(),
    }).catch((e: unknown) => e);
    expect((error as AuthorizationError).kind).toBe('insecure');
  });
});

describe('PendingAuthorizations', () => {
  it('keeps each verifier under its own state, so two sign-ins never overwrite each other', () => {
    const table = new PendingAuthorizations();
    const d = discovery();
    table.add({ ...pending(d, 'one'), verifier: 'v1' });
    table.add({ ...pending(d, 'two'), verifier: 'v2' });
    expect(table.take('one')?.verifier).toBe('v1');
    expect(table.take('one')).toBeUndefined();
    expect(table.take(undefined)?.verifier).toBe('v2');
  });
});
