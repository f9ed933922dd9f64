// What a test opens, closed after it: clients, transports, proxies, scripted servers. Things are
// closed newest first (a client before its transport, a transport before the server it talks to),
// then every peer process is stopped. With `rejections: true` an unhandled rejection during a test
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
    for (const thing of kept.splice(0).reverse()) await Promise.resolve(thing.close()).catch(() => undefined);
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
