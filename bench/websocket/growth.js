// The WebSocket growth checks: a client over many calls, counting the listeners on its `ws`
// WebSocket and net.Socket and the abort listeners, with heap and active resources.

import WebSocket from 'ws';
import { alive, runGrowth, trackAbortListeners } from '../lib/growth.js';
import { factoryOf } from './clients.js';

/** @import { EventEmitter } from 'node:events' */
/** @import { Log } from '../lib/types.js' */

/**
 * Remembers (weakly) every `ws` WebSocket that gets a socket while installed (ours, the SDK's
 * and the raw loop's all use this `ws`), so the listeners on the WebSocket and on its
 * net.Socket can be counted: a listener added per message and never removed would show here.
 */
function trackWebSockets() {
  // `setSocket` is ws's internal hook (not in its types): it runs once per client socket.
  const proto = /** @type {{ setSocket: (this: WebSocket, ...args: unknown[]) => unknown }} */ (
    /** @type {unknown} */ (WebSocket.prototype)
  );
  const original = proto.setSocket;
  /** @type {Set<WeakRef<WebSocket>>} */
  const sockets = new Set();
  proto.setSocket = function setSocket(...args) {
    sockets.add(new WeakRef(this));
    return original.apply(this, args);
  };
  const listenersOf = (/** @type {EventEmitter | undefined | null} */ emitter) =>
    emitter === undefined || emitter === null
      ? 0
      : emitter.eventNames().reduce((n, name) => n + emitter.listenerCount(name), 0);
  return {
    /** Open WebSockets and the listeners on them and on their net.Sockets. */
    outstanding() {
      let open = 0;
      let listeners = 0;
      for (const ws of alive(sockets, (socket) => socket.readyState === WebSocket.CLOSED)) {
        open += 1;
        listeners +=
          listenersOf(ws) +
          listenersOf(/** @type {{ _socket?: EventEmitter }} */ (/** @type {unknown} */ (ws))._socket);
      }
      return { sockets: open, socketListeners: listeners };
    },
    uninstall() {
      proto.setSocket = original;
      sockets.clear();
    },
  };
}

/** @typedef {{ sockets: number, socketListeners: number, abortListeners: number }} WsCounters */

/**
 * A client over `calls` calls after a warm-up, with a reading (after a full GC) of heap, active
 * resources, listeners on the WebSocket, and abort listeners every `checkpointEvery` calls.
 * @param {string} variant
 * @param {{ url: string, pid: number | undefined }} server
 * @param {{ calls: number, checkpointEvery: number, warmup: number, timeoutMs: number, log: Log }} options
 */
export function growth(variant, server, { calls, checkpointEvery, warmup, timeoutMs, log }) {
  const sockets = trackWebSockets();
  const aborts = trackAbortListeners();
  return runGrowth({
    makeClient: () => factoryOf(variant)(server),
    result: { variant },
    calls,
    checkpointEvery,
    warmup,
    timeoutMs,
    /** @returns {WsCounters} */
    counters: () => ({ ...sockets.outstanding(), abortListeners: aborts.outstanding().listeners }),
    uninstall: () => {
      sockets.uninstall();
      aborts.uninstall();
    },
    what: `  ws growth ${variant}`,
    listeners: (p, atCheckpoint) =>
      atCheckpoint
        ? `${p.socketListeners} socket listeners, ${p.abortListeners} abort listeners`
        : `${p.socketListeners} listeners on ${p.sockets} WebSocket(s), ${p.abortListeners} abort listeners`,
    log,
  });
}
