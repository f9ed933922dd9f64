/**
 * A WebSocket through an HTTP forward proxy: `ws` is given a `createConnection` that opens a
 * CONNECT tunnel to the server through the proxy (RFC 9110 §9.3.6), then (for `wss:`) TLS with
 * the server inside it, so the proxy relays bytes it cannot read and the upgrade request with
 * its credentials and cookies travels end to end.
 *
 * node:http and node:https only (no agent package): the tunnel is one CONNECT request, and an
 * `http.Agent` would add pooling a socket that becomes a WebSocket cannot use.
 *
 * @see https://www.rfc-editor.org/rfc/rfc9110#section-9.3.6
 * @see https://nodejs.org/api/http.html#agentcreateconnectionoptions-callback
 */

import type { ClientRequestArgs } from 'node:http';
import { request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import type { Duplex } from 'node:stream';
import { type ConnectionOptions, connect as tlsConnect } from 'node:tls';
import { networkError } from '../http/client.js';
import { describeProxy, proxyAuthorization, proxyRefusal } from '../http/dispatcher.js';

/** node:http's asynchronous `createConnection` (the socket comes through `oncreate`). */
export type CreateConnection = (
  options: ClientRequestArgs,
  oncreate: (error: Error | null, socket?: Duplex) => void,
) => undefined;

/**
 * A `createConnection` for `ws` that reaches `target` through `proxy`. `signal` aborts a
 * tunnel still being opened (the link stopped mid-connect). Failures are `LinkError`s
 * (`undelivered`): a proxy that cannot be reached, or one that refuses the tunnel
 * (see {@link proxyRefusal}).
 */
export function tunnelThrough(proxy: URL, target: URL, signal: AbortSignal, what: string): CreateConnection {
  const secure = target.protocol === 'wss:' || target.protocol === 'https:';
  const via = `${what} through the proxy ${describeProxy(proxy)}`;
  return (options, oncreate) => {
    let done = false;
    const finish = (error: Error | null, socket?: Duplex): void => {
      if (done) {
        socket?.destroy();
        return;
      }
      done = true;
      oncreate(error, socket);
    };
    // The authority-form keeps an IPv6 address in brackets: `[::1]:443`.
    const authority = `${target.hostname}:${target.port || (secure ? '443' : '80')}`;
    const headers: Record<string, string> = { host: authority };
    const authorization = proxyAuthorization(proxy);
    if (authorization !== undefined) headers['proxy-authorization'] = authorization;
    const request = (proxy.protocol === 'https:' ? httpsRequest : httpRequest)({
      host: unbracket(proxy.hostname),
      port: proxy.port || (proxy.protocol === 'https:' ? 443 : 80),
      method: 'CONNECT',
      path: authority,
      headers,
      agent: false,
      signal,
    });
    request.once('connect', (response, socket, head) => {
      const status = response.statusCode ?? 0;
      if (status < 200 || status >= 300) {
        socket.destroy();
        finish(proxyRefusal(status, proxy, what));
        return;
      }
      if (head.length > 0) socket.unshift(head);
      if (!secure) {
        finish(null, socket);
        return;
      }
      // As ws's own tlsConnect: its TLS options as given (`ca`, `rejectUnauthorized`, ...), the
      // server's name for SNI unless it is an address (RFC 6066 §3), over the tunnel.
      const host = unbracket(target.hostname);
      const tls: ConnectionOptions = { ...(options as ConnectionOptions), host, socket };
      delete (tls as { path?: unknown }).path;
      if (tls.servername === undefined && isIP(host) === 0) tls.servername = host;
      finish(null, tlsConnect(tls));
    });
    request.on('error', (error) => finish(networkError(error, via)));
    request.end();
    return undefined;
  };
}

function unbracket(hostname: string): string {
  return hostname.startsWith('[') ? hostname.slice(1, -1) : hostname;
}
