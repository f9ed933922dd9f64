// Every access token the `lifeline` command's store held for a resource, in order, by reading the token file
// (written atomically) every few ms: for a test that wants the real `exp` of tokens other processes obtained.

import type { ServerStore } from '../../src/auth/file-store.js';

/** A running watch. */
export interface TokenWatch {
  /** The distinct access tokens seen, oldest first. */
  readonly seen: readonly string[];
  stop(): void;
}

/** Reads `resource`'s token set from `store` every `everyMs` (default 25) until stopped. */
export function watchStoredTokens(store: ServerStore, resource: string, everyMs = 25): TokenWatch {
  const seen: string[] = [];
  let reading = false;
  const timer = setInterval(() => {
    if (reading) return;
    reading = true;
    store
      .readTokens(resource)
      .then((record) => {
        const token = record?.tokens.access_token;
        if (token !== undefined && token !== seen.at(-1)) seen.push(token);
      })
      .catch(() => undefined)
      .finally(() => {
        reading = false;
      });
  }, everyMs);
  return { seen, stop: () => clearInterval(timer) };
}
