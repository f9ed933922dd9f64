/**
 * A plain TCP relay on 127.0.0.1, as Docker's port publishing (docker-proxy), a TCP load balancer
 * or a Kubernetes service behave: it accepts every connection, then dials the backend; when the
 * backend cannot be reached it closes the client's connection (FIN) instead of refusing it, and
 * when the backend's side ends, it ends the client's. So a client sees "other side closed"
 * (undici's `UND_ERR_SOCKET`) where a direct connection would see `ECONNREFUSED`.
 */

import { type AddressInfo, createServer, connect as netConnect, type Socket } from 'node:net';

/** A running relay; see {@link startTcpRelay}. */
export interface TcpRelay {
  readonly port: number;
  /** `scheme://127.0.0.1:PORT` followed by `path`. */
  url(path?: string, scheme?: 'http' | 'ws'): string;
  /** Connections accepted since start. */
  readonly accepted: number;
  /** Connections closed at once because the backend could not be reached. */
  readonly closedUnreachable: number;
  /** Closes the listener and every connection. */
  close(): Promise<void>;
}

/** Starts a relay to `127.0.0.1:backendPort`. */
export async function startTcpRelay(backendPort: number): Promise<TcpRelay> {
  const sockets = new Set<Socket>();
  let accepted = 0;
  let closedUnreachable = 0;
  const track = (socket: Socket): void => {
    sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => sockets.delete(socket));
  };
  const server = createServer({ allowHalfOpen: true }, (client) => {
    accepted += 1;
    track(client);
    // Hold what the client sends until the backend answers the dial, as a relay does.
    client.pause();
    const backend = netConnect({ port: backendPort, host: '127.0.0.1', allowHalfOpen: true });
    track(backend);
    let connected = false;
    backend.once('connect', () => {
      connected = true;
      client.pipe(backend);
      backend.pipe(client);
      client.resume();
    });
    backend.once('error', () => {
      if (!connected) {
        // Accepted, then closed: what a client behind a relay sees of a backend that is down.
        closedUnreachable += 1;
        // Unread bytes at close would make the kernel send RST: drain them, so the client gets a FIN.
        client.resume();
        client.end();
        return;
      }
      client.destroy();
    });
    backend.once('close', () => {
      if (connected) client.end();
    });
    client.once('close', () => backend.destroy());
  });
  await new Promise<void>((resolve, reject) => server.once('error', reject).listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    url: (path = '', scheme = 'http') => `${scheme}://127.0.0.1:${port}${path}`,
    get accepted() {
      return accepted;
    },
    get closedUnreachable() {
      return closedUnreachable;
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
