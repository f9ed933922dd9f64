import { describe, expect, it } from 'vitest';
import { chooseScope, covers, unionScopes, wantsOfflineAccess } from '../../src/auth/scope.js';

describe('chooseScope (2025-11-25 §Scope Selection Strategy)', () => {
  it.each([
    ['the challenge first', { challenge: 'a', resourceScopes: ['b'], clientScope: 'c' }, 'a'],
    [
      'then every scopes_supported of the resource metadata',
      { resourceScopes: ['b', 'c'], clientScope: 'd' },
      'b c',
    ],
    ['then the client scope', { clientScope: 'd' }, 'd'],
    ['else omitted', {}, undefined],
    ['an empty challenge counts as none', { challenge: '  ', resourceScopes: ['b'] }, 'b'],
  ])('%s', (_name, sources, expected) => {
    expect(chooseScope(sources)).toBe(expected);
  });

  it('adds offline_access only when the authorization server lists it (SEP-2207)', () => {
    expect(chooseScope({ challenge: 'a', serverScopes: ['a', 'offline_access'] })).toBe('a offline_access');
    expect(chooseScope({ challenge: 'a', serverScopes: ['a', 'b'] })).toBe('a');
    expect(chooseScope({ challenge: 'a' })).toBe('a');
  });

  it('does not add offline_access to an omitted scope, twice, or for a client without refresh tokens', () => {
    expect(chooseScope({ serverScopes: ['offline_access'] })).toBeUndefined();
    expect(chooseScope({ challenge: 'a offline_access', serverScopes: ['offline_access'] })).toBe(
      'a offline_access',
    );
    expect(chooseScope({ challenge: 'a', serverScopes: ['offline_access'], refreshTokens: false })).toBe('a');
  });
});

describe('scope arithmetic', () => {
  it('unions in first-seen order (SEP-2350)', () => {
    expect(unionScopes('a b', undefined, 'b c')).toBe('a b c');
    expect(unionScopes(undefined, '')).toBeUndefined();
  });

  it('tells whether granted scopes cover the needed ones', () => {
    expect(covers('a b c', 'c a')).toBe(true);
    expect(covers('a', 'a b')).toBe(false);
    expect(covers(undefined, undefined)).toBe(true);
    expect(covers(undefined, 'a')).toBe(false);
  });

  it('knows when prompt=consent goes with the request', () => {
    expect(wantsOfflineAccess('a offline_access')).toBe(true);
    expect(wantsOfflineAccess('a')).toBe(false);
  });
});
