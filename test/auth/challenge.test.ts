import { describe, expect, it } from 'vitest';
import { parseChallenge, parseChallenges } from '../../src/auth/challenge.js';

describe('parseChallenge', () => {
  it('reads resource_metadata, scope and error from a Bearer challenge (RFC 6750 §3, RFC 9728 §5.1)', () => {
    const challenge = parseChallenge(
      'Bearer error="insufficient_scope", scope="mcp:basic mcp:write", resource_metadata="http://h:9/.well-known/oauth-protected-resource/mcp", error_description="needs \\"write\\""',
    );
    expect(challenge).toEqual({
      scheme: 'bearer',
      resourceMetadata: new URL('http://h:9/.well-known/oauth-protected-resource/mcp'),
      scope: 'mcp:basic mcp:write',
      error: 'insufficient_scope',
      errorDescription: 'needs "write"',
    });
  });

  it('finds the Bearer challenge among several, and reads unquoted values', () => {
    const challenge = parseChallenge(
      'Basic realm="x", Bearer realm=mcp, scope=a:b, resource_metadata=http://h/prm',
    );
    expect(challenge.scheme).toBe('bearer');
    expect(challenge.scope).toBe('a:b');
    expect(challenge.resourceMetadata?.href).toBe('http://h/prm');
  });

  it('accepts the DPoP scheme (RFC 9449 §7.1) and ignores parameter name case', () => {
    expect(parseChallenge('DPoP algs="ES256", SCOPE="s"').scope).toBe('s');
  });

  it('gives nothing for a missing header, another scheme, or an unusable URL', () => {
    expect(parseChallenge(undefined).scheme).toBeUndefined();
    expect(parseChallenge('Basic realm="x"').scheme).toBeUndefined();
    expect(parseChallenge('Bearer resource_metadata="not a url"').resourceMetadata).toBeUndefined();
  });

  it('splits challenges with token68 and empty values without failing', () => {
    const all = parseChallenges('Negotiate abc==, Bearer scope="", realm="r"');
    expect(all.map((c) => c.scheme)).toContain('bearer');
    expect(parseChallenge('Negotiate abc==, Bearer scope=""').scope).toBeUndefined();
  });
});
