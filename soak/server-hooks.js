// @ts-check
// Preloaded into every server the soak runs on a port (`node --import ./soak/server-hooks.js <server>`):
// lets the soak cut the server's connections from the server's side, and takes the server down with the
// soak. Nothing else of the server changes.
//
//   SIGUSR1  every accepted connection is ended (FIN), then destroyed; `soak-hooks: cut done` on stderr
//   SIGUSR2  every accepted connection is reset (RST); `soak-hooks: reset done` on stderr
//   stdin    ends (the soak died without stopping it): the server exits
//
// The connections are found through the `net.server.socket` diagnostics channel, which Node publishes
// for every socket a net.Server accepts, so HTTP, SSE and WebSocket servers need no change of their own.

import { subscribe } from 'node:diagnostics_channel';
import process from 'node:process';

/** @type {Set<import('node:net').Socket>} */
const sockets = new Set();

subscribe('net.server.socket', (message) => {
  const { socket } = /** @type {{ socket: import('node:net').Socket }} */ (message);
  sockets.add(socket);
  socket.once('close', () => sockets.delete(socket));
});

/** Tells the soak (on stderr, which it reads) that a cut is done: the FINs or RSTs have left. @param {string} what */
const done = (what) => process.stderr.write(`soak-hooks: ${what} done\n`);

process.on('SIGUSR1', () => {
  const ends = [...sockets].map(
    (socket) =>
      new Promise((resolve) => {
        // Unread bytes at close turn a FIN into a RST: keep reading (and dropping) until the end.
        socket.resume();
        socket.end(() => {
          socket.destroy();
          resolve(undefined);
        });
        socket.once('close', () => resolve(undefined));
        setTimeout(() => {
          socket.destroy();
          resolve(undefined);
        }, 1000).unref();
      }),
  );
  Promise.all(ends).then(() => done('cut'));
});

process.on('SIGUSR2', () => {
  for (const socket of sockets) {
    if (socket.connecting) socket.destroy();
    else socket.resetAndDestroy();
  }
  done('reset');
});

if (typeof process.stdin.unref === 'function') {
  process.stdin.on('end', () => process.exit(0));
  process.stdin.on('error', () => process.exit(0));
  process.stdin.resume();
  process.stdin.unref();
}
