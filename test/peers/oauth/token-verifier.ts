// How the test MCP server checks a bearer token: a JWT access token (RFC 9068) verified with jose against
// the authorization server's JWKS: signature, `iss`, `aud` = this server's resource identifier (RFC 8707),
// `exp`. A refused token becomes the SDK's OAuthError(invalid_token), which its bearer gate turns into a
// 401 with `WWW-Authenticate: Bearer ... resource_metadata=...` (RFC 6750 §3, RFC 9728 §5.1).

import {
  type AuthInfo,
  OAuthError,
  OAuthErrorCode,
  type OAuthTokenVerifier,
} from '@modelcontextprotocol/server';
import { createRemoteJWKSet, errors, jwtVerify } from 'jose';

/** Why a request was refused; `missing` and `scope` are decided by the gate, the rest here. */
export type RefusalReason =
  | 'missing'
  | 'expired'
  | 'audience'
  | 'issuer'
  | 'signature'
  | 'malformed'
  | 'scope';

export interface JwtVerifierOptions {
  issuer: string;
  jwksUri: string;
  /** This server's resource identifier: the `aud` every token must carry, compared as a string. */
  resource: string;
  /** Told why each token was refused (for the server's counters). */
  onRefusal: (reason: RefusalReason) => void;
}

function reasonOf(err: unknown): RefusalReason {
  if (err instanceof errors.JWTExpired) return 'expired';
  if (err instanceof errors.JWTClaimValidationFailed) {
    if (err.claim === 'aud') return 'audience';
    if (err.claim === 'iss') return 'issuer';
    return 'malformed';
  }
  if (err instanceof errors.JWSSignatureVerificationFailed || err instanceof errors.JWKSNoMatchingKey) {
    return 'signature';
  }
  return 'malformed';
}

const DESCRIPTIONS: Record<RefusalReason, string> = {
  missing: 'Missing Authorization header',
  expired: 'Token has expired',
  audience: 'Token was not issued for this resource',
  issuer: 'Token was not issued by the expected authorization server',
  signature: 'Token signature is invalid',
  malformed: 'Token is invalid',
  scope: 'Insufficient scope',
};

/** A verifier for the SDK's `requireBearerAuth`, backed by jose and the authorization server's keys. */
export function createJwtVerifier(options: JwtVerifierOptions): OAuthTokenVerifier {
  // jose caches the key set and refetches it only for an unknown `kid` (after a cooldown).
  const keys = createRemoteJWKSet(new URL(options.jwksUri));
  return {
    async verifyAccessToken(token: string): Promise<AuthInfo> {
      try {
        const { payload } = await jwtVerify(token, keys, {
          issuer: options.issuer,
          audience: options.resource,
          typ: 'at+jwt',
          requiredClaims: ['exp'],
        });
        const scopes = typeof payload.scope === 'string' ? payload.scope.split(' ').filter(Boolean) : [];
        return {
          token,
          clientId: typeof payload.client_id === 'string' ? payload.client_id : '',
          scopes,
          ...(payload.exp === undefined ? {} : { expiresAt: payload.exp }),
          resource: new URL(options.resource),
          extra: { sub: payload.sub, jti: payload.jti },
        };
      } catch (err) {
        const reason = reasonOf(err);
        options.onRefusal(reason);
        throw new OAuthError(OAuthErrorCode.InvalidToken, DESCRIPTIONS[reason]);
      }
    },
  };
}
