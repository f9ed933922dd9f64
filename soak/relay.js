// @ts-check
// A plain TCP relay on 127.0.0.1, as Docker's port publishing, a TCP load balancer or a Kubernetes
// service sit in front of a server: it accepts every connection itself and opens one to the backend for
// it. While the backend is down the relay still accepts, then closes the connection (FIN) once the
// backend refuses, which a client sees as "other side closed", not as a refused connection.
// The faults the soak injects here (ported from test/helpers/fault-proxy.ts, what the soak needs of it):
//   cut()    ends every live connection on both sides: FIN
//   reset()  resets every live connection on both sides: RST
//   stall()  stops reading and forwarding both ways; nothing is dropped, sockets stay open (the kernel
//            buffers fill, as on a congested or partitioned network) until resume()

import { connect, createServer } from 'node:net';

const HOST = '127.0.0.1';
/** How long a cut socket may take to flush its FIN before it is destroyed anyway. */
const CUT_GRACE_MS = 1000;

/** @typedef {import('node:net').Socket} Socket */
/**
 * @typedef {object} Pair one client connection and its backend connection
 * @property {Socket} client
 * @property {Socket} upstream
 * @property {boolean} done
 * @property {boolean} connected the backend accepted
 */

/**
 * Ends a connection with a FIN and waits for the other side's before letting the socket go: destroying
 * it at once would answer the peer's late bytes with a RST.
 * @param {Socket} socket
 */
function cutSocket(socket) {
  if (socket.destroyed) return;
  // Unread bytes at close make the kernel send RST instead of FIN: keep reading (and dropping) them.
  socket.removeAllListeners('data');
  socket.on('data', () => {});
  socket.resume();
  const timer = setTimeout(() => socket.destroy(), CUT_GRACE_MS);
  socket.once('close', () => clearTimeout(timer));
  socket.once('end', () => socket.destroy());
  socket.end();
}

/** @param {Socket} socket */
function resetSocket(socket) {
  if (socket.destroyed) return;
  if (socket.connecting) socket.destroy();
  else socket.resetAndDestroy();
}

/**
 * Starts a relay on a free loopback port forwarding to `127.0.0.1:backendPort`.
 * @param {number} backendPort
 */
export async function startRelay(backendPort) {
  let stalled = false;
  let accepted = 0;
  let closedForDownBackend = 0;
  /** @type {Set<Pair>} */
  const pairs = new Set();
  /** @type {Set<Socket>} */
  const sockets = new Set();

  /** @param {Socket} socket */
  const track = (socket) => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };

  /** @param {Pair} pair */
  const flow = (pair) => {
    if (pair.done) return;
    for (const socket of [pair.client, pair.upstream]) {
      if (stalled || !pair.connected) socket.pause();
      else socket.resume();
    }
  };

  /** @param {Pair} pair @param {'cut' | 'reset'} mode */
  const stop = (pair, mode) => {
    if (pair.done) return;
    pair.done = true;
    pairs.delete(pair);
    for (const socket of [pair.client, pair.upstream]) (mode === 'cut' ? cutSocket : resetSocket)(socket);
  };

  /** Forwards `from` to `to`, holding back when `to` is full. @param {Pair} pair @param {Socket} from @param {Socket} to */
  const lane = (pair, from, to) => {
    from.on('data', (/** @type {Buffer} */ chunk) => {
      if (!to.write(chunk)) {
        from.pause();
        to.once('drain', () => flow(pair));
      }
    });
    // A clean end is passed on as an end; the other direction may still be sending.
    from.on('end', () => {
      if (!pair.done) to.end();
    });
    from.once('close', (hadError) => {
      if (pair.client.destroyed && pair.upstream.destroyed) pairs.delete(pair);
      if (hadError || !from.readableEnded) stop(pair, 'reset');
    });
  };

  /** @param {Socket} client */
  const onConnection = (client) => {
    accepted += 1;
    track(client);
    const upstream = connect({ port: backendPort, host: HOST, allowHalfOpen: true });
    track(upstream);
    /** @type {Pair} */
    const pair = { client, upstream, done: false, connected: false };
    pairs.add(pair);
    upstream.once('connect', () => {
      pair.connected = true;
      flow(pair);
    });
    upstream.once('error', () => {
      if (pair.connected) return;
      // The backend is down: the connection the client already has is closed, as docker-proxy does.
      closedForDownBackend += 1;
      pair.done = true;
      pairs.delete(pair);
      cutSocket(client);
      upstream.destroy();
    });
    lane(pair, client, upstream);
    lane(pair, upstream, client);
    flow(pair);
  };

  const server = createServer({ allowHalfOpen: true, pauseOnConnect: true }, onConnection);
  await new Promise((resolve, reject) =>
    server.once('error', reject).listen(0, HOST, () => resolve(undefined)),
  );
  server.on('error', () => {});
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;

  return {
    port,
    /** `scheme://127.0.0.1:PORT<path>`. @param {string} path @param {'http' | 'ws'} [scheme] */
    url: (path, scheme = 'http') => `${scheme}://${HOST}:${port}${path}`,
    /** Connections accepted since the start, and those closed because the backend was down. */
    counts: () => ({ accepted, closedForDownBackend, live: pairs.size }),
    cut() {
      for (const pair of [...pairs]) stop(pair, 'cut');
    },
    reset() {
      for (const pair of [...pairs]) stop(pair, 'reset');
    },
    stall() {
      stalled = true;
      for (const pair of pairs) flow(pair);
    },
    resume() {
      stalled = false;
      for (const pair of pairs) flow(pair);
    },
    /** Closes the listener and every socket; resolves once all have closed. */
    async close() {
      const closed = new Promise((resolve) => server.close(() => resolve(undefined)));
      const all = [...sockets].map(
        (s) => new Promise((resolve) => s.once('close', () => resolve(undefined))),
      );
      for (const socket of sockets) socket.destroy();
      await Promise.all([closed, ...all]);
    },
  };
}

/** @typedef {Awaited<ReturnType<typeof startRelay>>} Relay */
