/**
 * The WebSocket link: one socket speaking MCP as SEP-1288 draws it (WebSocket is not a
 * transport of the MCP spec): subprotocol `mcp`, one JSON-RPC message per UTF-8 text frame.
 *
 * - The upgrade carries the configured headers; a refused upgrade is an `HttpError` (401 and
 *   403 permanent), a server that does not select `mcp` is refused (permanent).
 * - The upgrade goes through the environment's HTTP proxy when one applies (a CONNECT tunnel,
 *   ./tunnel.ts), and carries the transport's cookies; cookies the 101 or a refusal sets are
 *   kept for the next socket (sticky sessions survive reconnects).
 * - A binary frame is not a message: the link closes with 1003 and goes down. A frame over
 *   `limits.maxMessageBytes` cannot be skipped unread: `ws` closes with 1009 and the link goes
 *   down. A text frame that is not a message is a diagnostic; an answer among them that names
 *   its request fails that request.
 * - `ping()` is the heartbeat's probe (a WebSocket ping; any byte read proves the link alive).
 * - `send` resolves at once while less than {@link HIGH_WATER_BYTES} wait in the socket, and
 *   once its own frame is written above that.
 * - Graceful close: close 1000, then terminate after `closeMs`.
 */

import type { Socket } from 'node:net';
import WebSocket, { type ClientOptions } from 'ws';
import { fromCallback } from 'xstate';
import { type JsonRpcMessage, parseMessage } from '../../codec/jsonrpc.js';
import { unreadableAnswerId } from '../../codec/recover.js';
import { CodecError, ErrorCode, LinkError } from '../../errors.js';
import type {
  LinkAuth,
  LinkCloseEvent,
  LinkHandle,
  LinkInput,
  LinkLogic,
  LinkSink,
} from '../../link/contract.js';
import { describeUrl, statusError } from '../http/client.js';
import { CookieJar, withCookies } from '../http/cookies.js';
import { type ProxySettings, proxyFor, proxySettings } from '../http/dispatcher.js';
import { LinkLife } from '../life.js';
import { abbreviate } from '../pipe.js';
import { closedError, MCP_SUBPROTOCOL, socketError } from './errors.js';
import { WireIds } from './ids.js';
import { tunnelThrough } from './tunnel.js';
import { type LinkArgs, upgradeRefused, withAuthorization } from './upgrade.js';

export { MCP_SUBPROTOCOL } from './errors.js';

/** Above this many bytes waiting in the socket, `send` waits for its frame to be written. */
export const HIGH_WATER_BYTES = 1024 * 1024;

/** How much of a bad frame a diagnostic shows, and how much of its edges id recovery reads. */
const EDGE_CHARS = 256;

/** Options of the WebSocket link (the resolved `ws` part of the configuration). */
export interface WebSocketLinkOptions {
  url: URL;
  /** Sent with the upgrade request (credentials among them): never logged. */
  headers: Readonly<Record<string, string>>;
  /** The largest frame accepted (`ws`'s `maxPayload`). */
  maxMessageBytes: number;
  /** How long a close 1003 after a binary frame may take before the socket is terminated. */
  closeMs: number;
  /** Strings to keep out of errors (header values, URL credentials). */
  secrets: readonly string[];
  /** The transport's cookies; a jar of the link logic's own (shared by its sockets) when absent. */
  cookies?: CookieJar | undefined;
  /** The proxy settings; the environment's, read when the link logic is created, when absent. */
  proxy?: ProxySettings | undefined;
  /** Where the upgrade's `Authorization` header comes from, and who decides on a 401/403 (an `authProvider`). */
  auth?: LinkAuth | undefined;
}

/** Creates the link actor logic for a WebSocket server. Each start of the actor is one socket. */
export function createWebSocketLink(options: WebSocketLinkOptions, sink: LinkSink): LinkLogic {
  const where = describeUrl(options.url);
  // Once per transport: its sockets share the cookies, and a bad proxy variable fails createTransport.
  const cookies = options.cookies ?? new CookieJar();
  const proxy = proxyFor(options.url, options.proxy ?? proxySettings());
  const run = ({ sendBack, receive }: LinkArgs, authorization: string | undefined): (() => void) => {
    const life = new LinkLife(sendBack);
    const ids = new WireIds();
    const writers = new Set<(error: Error) => void>();
    const pings = new Set<{ resolve: () => void; reject: (error: Error) => void }>();
    let failure: LinkError | undefined;
    let closeTimer: NodeJS.Timeout | undefined;
    let bodyTimer: NodeJS.Timeout | undefined;
    let refused = false;
    // Only a proxy's CONNECT needs aborting; an abort makes a DOMException with a stack trace.
    const tunnel = proxy === undefined ? undefined : new AbortController();

    const socket = new WebSocket(options.url, [MCP_SUBPROTOCOL], {
      headers: withCookies(
        authorization === undefined ? { ...options.headers } : { ...options.headers, authorization },
        cookies,
        options.url,
      ),
      maxPayload: options.maxMessageBytes,
      // Compression costs ~300 KiB of zlib state per socket and CPU per frame; MCP messages are small.
      perMessageDeflate: false,
      followRedirects: false,
      ...(proxy === undefined || tunnel === undefined
        ? {}
        : {
            createConnection: tunnelThrough(
              proxy,
              options.url,
              tunnel.signal,
              `WebSocket to ${where}`,
            ) as unknown as ClientOptions['createConnection'],
          }),
    });

    const settle = (error: LinkError): void => {
      for (const reject of writers) reject(error);
      writers.clear();
      for (const ping of pings) ping.reject(error);
      pings.clear();
    };

    /** Ends the socket: a close frame with `code` when it is open, then terminate after `closeMs`. */
    const closeWith = (code: number, reason: string, closeMs: number): void => {
      if (socket.readyState === WebSocket.OPEN) socket.close(code, reason);
      else if (socket.readyState === WebSocket.CONNECTING) socket.terminate();
      closeTimer ??= setTimeout(() => socket.terminate(), closeMs);
    };

    // Frames sent in one tick leave in one write (one syscall, one wake-up of the server per
    // burst), as on stdio: measured +24% calls/s through the SDK Client. The TCP socket is the
    // one the upgrade response came on.
    let tcp: Socket | undefined;
    let corked = false;
    const uncork = (): void => {
      corked = false;
      tcp?.uncork();
    };
    const cork = (): void => {
      if (corked || tcp === undefined) return;
      corked = true;
      tcp.cork();
      process.nextTick(uncork);
    };

    const send = (message: JsonRpcMessage): Promise<void> => {
      if (!life.live || socket.readyState !== WebSocket.OPEN) {
        const error = new LinkError(ErrorCode.Write, `The WebSocket to ${where} is not open`, {
          retryable: true,
          undelivered: true,
        });
        return Promise.reject(error);
      }
      const text = JSON.stringify(ids.outbound(message));
      cork();
      if (socket.bufferedAmount < HIGH_WATER_BYTES) {
        socket.send(text);
        return Promise.resolve();
      }
      return new Promise((resolve, reject) => {
        writers.add(reject);
        socket.send(text, (error) => {
          writers.delete(reject);
          if (error === undefined || error === null) resolve();
          else
            reject(
              new LinkError(ErrorCode.Write, `Cannot write to ${where}: ${error.message}`, {
                cause: error,
                retryable: true,
              }),
            );
        });
      });
    };

    const ping = (): Promise<void> => {
      if (!life.live || socket.readyState !== WebSocket.OPEN)
        return Promise.reject(
          new LinkError(ErrorCode.Write, `The WebSocket to ${where} is not open`, { retryable: true }),
        );
      return new Promise((resolve, reject) => {
        pings.add({ resolve, reject });
        if (pings.size === 1) socket.ping();
      });
    };

    const onText = (text: string): void => {
      const decoded = parseMessage(text, 'Inbound WebSocket frame');
      if (!(decoded instanceof CodecError)) {
        sink.message(ids.inbound(decoded));
        return;
      }
      const head = text.slice(0, EDGE_CHARS);
      sink.diagnostic({
        source: 'websocket',
        level: 'warn',
        message: `${decoded.message} (${Buffer.byteLength(text)} bytes): ${abbreviate(head)}`,
        error: decoded,
      });
      // An answer that names its request fails that request rather than leave it waiting.
      const wireId = unreadableAnswerId(head, text.slice(-EDGE_CHARS));
      if (wireId !== undefined) {
        const id = ids.release(wireId);
        const error = new LinkError(
          decoded.code,
          `The answer to request ${id} is unreadable: ${decoded.message}`,
          {
            cause: decoded,
          },
        );
        sink.unanswered(id, error, 'fail');
      }
    };

    socket.on('upgrade', (response) => {
      tcp = response.socket;
      cookies.store(options.url, response.headers['set-cookie']);
    });
    socket.on('open', () => {
      const handle: LinkHandle = { send, ping };
      sendBack({ type: 'link.up', link: handle });
    });
    socket.on('message', (data: Buffer, isBinary: boolean) => {
      sink.activity();
      if (!isBinary) {
        onText(data.toString('utf8'));
        return;
      }
      failure ??= new LinkError(
        ErrorCode.WebSocket,
        `The server at ${where} sent a binary frame (${data.length} bytes); MCP over WebSocket carries text frames only. Closed with 1003`,
        { retryable: true },
      );
      sink.diagnostic({ source: 'websocket', level: 'warn', message: failure.message, error: failure });
      closeWith(1003, 'MCP messages are text frames', options.closeMs);
    });
    socket.on('pong', () => {
      sink.activity();
      for (const waiter of pings) waiter.resolve();
      pings.clear();
    });
    socket.on('ping', () => sink.activity());
    socket.on('unexpected-response', (request, response) => {
      // The status is the verdict; what the socket reports while the body is read is not.
      refused = true;
      cookies.store(options.url, response.headers['set-cookie']);
      const answer = { statusCode: response.statusCode ?? 0, headers: response.headers, body: response };
      // The body is only for the message: a server that never ends it must not hold the verdict up.
      bodyTimer = setTimeout(() => response.destroy(new Error('body too slow')), options.closeMs);
      if (options.auth !== undefined && (answer.statusCode === 401 || answer.statusCode === 403)) {
        void upgradeRefused(options.auth, answer, authorization, where, options.secrets).then((error) => {
          clearTimeout(bodyTimer);
          request.destroy();
          failure ??= error;
          life.down(error);
        });
        return;
      }
      void statusError(
        answer,
        `WebSocket upgrade at ${where}`,
        options.secrets,
        undefined,
        options.closeMs,
      ).then((error) => {
        clearTimeout(bodyTimer);
        request.destroy();
        failure ??= error;
        life.down(error);
      });
    });
    socket.on('error', (error: Error & { code?: string }) => {
      if (!refused) failure ??= socketError(error, where, options);
    });
    socket.on('close', (code: number, reason: Buffer) => {
      if (refused && !life.closing) return;
      clearTimeout(closeTimer);
      const error = failure ?? closedError(code, reason.toString('utf8'), where, options.secrets);
      settle(error);
      if (life.closing) {
        if (!life.finished) {
          life.finished = true;
          sendBack({ type: 'link.closed' });
        }
        return;
      }
      life.down(error);
    });

    receive((event) => {
      if (event.type !== 'link.close' || life.closing) return;
      life.closing = true;
      if (socket.readyState === WebSocket.CLOSED) {
        life.finished = true;
        sendBack({ type: 'link.closed' });
        return;
      }
      closeWith(1000, 'client closing', event.closeMs);
    });

    return () => {
      life.finished = true;
      tunnel?.abort();
      clearTimeout(closeTimer);
      clearTimeout(bodyTimer);
      // An error (and its stack trace) only for someone waiting: a fleet's links stop by the thousand.
      if (writers.size > 0 || pings.size > 0)
        settle(new LinkError(ErrorCode.Write, 'The link was stopped', { retryable: true }));
      socket.removeAllListeners();
      // Terminating a socket mid-handshake emits an error: keep one listener so it cannot crash.
      socket.on('error', () => {});
      if (socket.readyState !== WebSocket.CLOSED) socket.terminate();
    };
  };
  return fromCallback<LinkCloseEvent, LinkInput>((args) => withAuthorization(args, options, run));
}
