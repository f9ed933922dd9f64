/**
 * The provider shapes users already have fit `authProvider` as they are: the SDK v1 and v2
 * `OAuthClientProvider` and v2's `AuthProvider` (checked by the compiler: `tsc` covers tests).
 */

import type { AuthProvider, OAuthClientProvider as V2Provider } from '@modelcontextprotocol/client';
import type { OAuthClientProvider as V1Provider } from '@modelcontextprotocol/sdk/client/auth.js';
import { describe, expect, it } from 'vitest';
import { isAuthProvider, isOAuthClientProvider } from '../../src/auth/types.js';
import type { HttpConfig, WsConfig } from '../../src/index.js';

describe('provider shapes', () => {
  it('take the SDK providers as they are (a compile-time check)', () => {
    const configs = [
      (provider: V1Provider): HttpConfig => ({ url: 'https://h/mcp', authProvider: provider }),
      (provider: V2Provider): HttpConfig => ({ url: 'https://h/mcp', authProvider: provider }),
      (provider: AuthProvider): WsConfig => ({ url: 'wss://h/mcp', authProvider: provider }),
    ];
    expect(configs).toHaveLength(3);
  });

  it('tells an OAuthClientProvider from an AuthProvider as the SDK does (tokens() and clientInformation())', () => {
    const oauth = { tokens: () => undefined, clientInformation: () => undefined };
    const minimal = { token: async () => 't' };
    expect(isOAuthClientProvider(oauth)).toBe(true);
    expect(isOAuthClientProvider(minimal)).toBe(false);
    expect(isAuthProvider(minimal)).toBe(true);
    expect(isAuthProvider({})).toBe(false);
  });
});
