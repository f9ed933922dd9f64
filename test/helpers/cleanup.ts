// What a test opens, closed after it: clients, transports, proxies, scripted servers, all at once
// (a transport's close() takes effect at once, so the server closing beside it cannot make it
// reconnect), then every peer process is stopped. With `rejections: true` an unhandled rejection during a test
// fails it: bad input must never escape as one.

import { afterEach, beforeEach, expect } from 'vitest';
import { stopAll } from '../peers/index.js';

export interface Closable {
  close(): unknown;
}

/** Registers the hooks; returns `keep`, which hands back what it is given after noting it. */
export function closeAfterEach(options: { rejections?: boolean } = {}): <T extends Closable>(thing: T) => T {
  const kept: Closable[] = [];
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  if (options.rejections === true) {
    beforeEach(() => {
      unhandled = [];
      process.on('unhandledRejection', onUnhandled);
    });
  }
  afterEach(async () => {
    await Promise.allSettled(kept.splice(0).map((thing) => thing.close()));
    await stopAll();
    if (options.rejections === true) {
      process.off('unhandledRejection', onUnhandled);
      expect(unhandled).toEqual([]);
    }
  });
  return (thing) => {
    kept.push(thing);
    return thing;
  };
}
