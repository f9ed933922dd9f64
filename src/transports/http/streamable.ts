/**
 * The Streamable HTTP link, both protocol eras: one POST per message, each request answered
 * by one JSON body or its own SSE stream, on a keep-alive pool.
 *
 * Legacy era (2025-03-26 to 2025-11-25): the `Mcp-Session-Id` from the initialize response
 * is echoed on every later request, `MCP-Protocol-Version` once known; after
 * `notifications/initialized` a GET standby stream carries server-initiated messages; a broken
 * response stream is resumed with `Last-Event-ID` after the server's `retry:` delay; a 404 on
 * a request that carried the session id means the session expired: the link goes down so the
 * runtime starts a fresh session (replayed initialize, no session id) and sends the request
 * again; DELETE ends the session on close.
 *
 * Modern era (2026-07-28): no session and no GET stream; `MCP-Protocol-Version`, `Mcp-Method`
 * and `Mcp-Name` come from the body; a response stream that ends without its response is
 * reported `unanswered` so the runtime re-issues it with a new id (the spec's MUST).
 *
 * With `fallback` (a bare `url`), a 400/404/405 to the initialize POST without a modern error
 * body means the server only speaks the legacy HTTP+SSE transport: the verdict is cached and
 * the link goes down so the next attempt uses that transport.
 *
 * Faults are decided as the failure table says (../failures/table.ts; statuses: ./refusal.ts). A
 * request whose connection is cut before its response (`UND_ERR_SOCKET`, `ECONNRESET`: the server
 * died, or a TCP relay in front of it lost its backend) makes the link ask whether the server
 * is there while the other sends wait (./reachability.ts), and a link that follows one that
 * could not reach the server asks before it comes up.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */

import type { Dispatcher } from 'undici';
import { bodyHeaders, mergeRequestHeaders } from '../../codec/headers.js';
import { isRequest, type JsonRpcMessage, type JsonRpcRequest } from '../../codec/jsonrpc.js';
import { ErrorCode, HttpError, LinkError } from '../../errors.js';
import type { LinkCallback, LinkHandle, LinkSendOptions, LinkSink } from '../../link/contract.js';
import { networkFault, statusFault, takesLinkDown } from '../failures/table.js';
import { LinkLife } from '../life.js';
import { readJsonAnswer } from './answers.js';
import {
  AuthFailure,
  askAuth,
  authOutcome,
  authorizeRequest,
  downWhileAuthorizing,
  isChallenge,
} from './auth-step.js';
import {
  describeUrl,
  HttpClient,
  type HttpLinkOptions,
  header,
  isAbort,
  mediaType,
  networkError,
} from './client.js';
import { ERROR_BODY_MS, type ErrorBody } from './error-body.js';
import { Reachability } from './reachability.js';
import { decideRefusal, NO_FAILURE, type RefusalHost } from './refusal.js';
import { consumeResponseStream, type ResponseStreamHost } from './response-stream.js';
import { resumeFromToken } from './resume-token.js';
import { Standby } from './standby.js';

/** Options of the Streamable HTTP link. */
export interface StreamableLinkOptions extends HttpLinkOptions {
  /** Fall back to legacy HTTP+SSE when the server turns out to speak only that. */
  fallback: boolean;
  /** Default wait before resuming a broken stream when the server sent no `retry:`, in ms. */
  resumeDelayMs: number;
  /** How long the server may take to say it is there after a cut (`timeouts.connectMs`). Default 10 s. */
  connectMs?: number | undefined;
}

const ACCEPT_BOTH = 'application/json, text/event-stream';
const PROBE_MS = 10_000;

/** Runs one Streamable HTTP link (one pool, one session). The body of the link actor. */
export function runStreamableLink(options: StreamableLinkOptions, sink: LinkSink): LinkCallback {
  // Across the links of one transport: the last one went down because the server could not be
  // reached, so the next asks before it comes up (nothing queued meets a relay's cut).
  let unreachable = false;
  return ({ sendBack, receive }) => {
    const client = new HttpClient(options);
    const endpoint = describeUrl(options.url);
    const bodyMs = options.errorBodyMs ?? ERROR_BODY_MS;
    let sessionId: string | undefined;
    let protocolVersion: string | undefined;
    const life = new LinkLife(sendBack);
    // Aborted at the link's end: a response stream's wait before it resumes ends with the link.
    const linkEnd = new AbortController();

    const down = (error: LinkError): void => {
      if (!life.live) return;
      if (isUnreachable(error)) unreachable = true;
      life.down(error);
    };

    const reach = new Reachability(
      {
        client,
        url: options.url,
        headers: options.headers,
        secrets: options.secrets,
        timeoutMs: options.connectMs ?? PROBE_MS,
      },
      down,
    );

    const commonHeaders = (): Record<string, string> => {
      const headers: Record<string, string> = { ...options.headers };
      if (sessionId !== undefined) headers['mcp-session-id'] = sessionId;
      if (protocolVersion !== undefined) headers['mcp-protocol-version'] = protocolVersion;
      return headers;
    };

    const standby = new Standby({
      client,
      sink,
      options,
      headers: commonHeaders,
      down,
      live: () => life.live,
    });

    const streams: ResponseStreamHost = {
      client,
      sink,
      options,
      endpoint,
      live: () => life.live,
      ended: linkEnd.signal,
      headers: commonHeaders,
      down,
      suspect: () => reach.suspect(),
    };

    const refusals: RefusalHost = {
      sink,
      url: options.url,
      endpoint,
      fallback: options.fallback,
      secrets: options.secrets,
      bodyMs,
      forgetSession: () => {
        sessionId = undefined;
        sink.session(undefined);
      },
      down,
    };

    const send = async (message: JsonRpcMessage, sendOptions?: LinkSendOptions): Promise<void> => {
      if (!life.live) throw linkIsDown();
      // The server was cut off: wait for the answer to whether it is there (refused undelivered if not).
      const gate = reach.gate();
      if (gate !== undefined) {
        await gate;
        if (!life.live) throw linkIsDown();
      }
      const request = isRequest(message) ? message : undefined;
      // The SDK's resumptionToken: the earlier stream is resumed, this request is not POSTed.
      const token = sendOptions?.resumptionToken;
      if (token !== undefined && request !== undefined)
        return resumeFromToken(streams, request, token, sendOptions);
      const initialize = request?.method === 'initialize';
      const headers = commonHeaders();
      if (initialize) {
        delete headers['mcp-session-id'];
        delete headers['mcp-protocol-version'];
      }
      Object.assign(headers, bodyHeaders(message));
      mergeRequestHeaders(headers, sendOptions?.headers);
      headers['content-type'] = 'application/json';
      headers.accept = ACCEPT_BOTH;
      const sentSession = headers['mcp-session-id'] !== undefined;
      const auth = options.auth;
      let sent = auth === undefined ? undefined : await authorizeRequest(auth, headers, life);

      // No AbortController per request (a measurable cost): the caller's signal, when there is
      // one, goes to undici as it is, and closing the link destroys the pool under everything.
      const signal = sendOptions?.signal;
      if (signal?.aborted) return;
      const body = JSON.stringify(message);
      // Whether the server responded to the POST (its status line came): a failure before that
      // is reported as a network error, one after it as a lost response.
      let responded = false;
      const post = async (): Promise<Dispatcher.ResponseData> => {
        responded = false;
        const response = await client.request(
          { method: 'POST', url: options.url, headers, body, signal },
          `POST ${endpoint}`,
        );
        responded = true;
        unreachable = false;
        return response;
      };
      try {
        let response = await post();
        let read: ErrorBody | undefined;
        let retried = false;
        if (isChallenge(auth, response.statusCode)) {
          // Refused for its credentials: the auth renews them and the request goes ONCE more.
          const { retry, text } = await askAuth(auth, response, sent, 'POST');
          if (retry) {
            sent = await auth.authorization().catch((error: unknown) => {
              throw new AuthFailure(error, 401);
            });
            if (sent === undefined) delete headers.authorization;
            else headers.authorization = sent;
            // Not a lost response: the server refused it, so it waits for the next link.
            if (!life.live) throw new AuthFailure(downWhileAuthorizing(), 401);
            response = await post();
            retried = true;
          } else {
            read = { text };
          }
        }
        const status = response.statusCode;
        if (status >= 200 && status < 300) {
          await answered(message, request, response, sendOptions);
          return;
        }
        throw await decideRefusal(refusals, response, { message, sentSession, initialize, read, retried });
      } catch (error) {
        if (error instanceof AuthFailure) {
          const { thrown, down: failure } = authOutcome(error);
          if (failure !== undefined) down(failure);
          throw thrown;
        }
        // A refusal or an unusable answer: the caller gets it as it is.
        if (error instanceof LinkError && error.code !== ErrorCode.Network) throw error;
        if (isAbort(error) && signal?.aborted) return;
        const failure =
          responded && request !== undefined
            ? responseLost(request, error, endpoint)
            : networkError(error, `POST ${endpoint}`);
        // On a link already gone, an undelivered message waits for the next one; the fate of a
        // request is decided by the link's end, which learns here whether the server responded.
        if (!life.live) {
          if (failure.undelivered) throw failure;
          if (request !== undefined) sink.unanswered(request.id, failure, 'reissue');
          return;
        }
        if (failure.undelivered) {
          down(failure);
          throw failure;
        }
        if (takesLinkDown(networkFault(error))) {
          // Cut as a dying server's connection is (or a relay's in front of a backend that is
          // down): the link asks whether the server is there, and the other calls wait.
          if (initialize && !responded) {
            // The handshake is safe to send again: it waits for the next link, which asks first.
            const again = new LinkError(ErrorCode.Network, failure.message, {
              cause: error,
              retryable: true,
              undelivered: true,
            });
            down(again);
            throw again;
          }
          reach.suspect();
        }
        // It may have reached the server: the runtime decides (re-issue or connection lost).
        if (request !== undefined) {
          sink.unanswered(request.id, failure, 'reissue');
          return;
        }
        throw failure;
      }
    };

    /** A 2xx: the session it assigns, then the answer (JSON, or a stream read in the background). */
    const answered = async (
      message: JsonRpcMessage,
      request: JsonRpcRequest | undefined,
      response: Dispatcher.ResponseData,
      sendOptions: LinkSendOptions | undefined,
    ): Promise<void> => {
      if (request?.method === 'initialize') {
        const assigned = header(response, 'mcp-session-id');
        if (assigned !== sessionId) {
          sessionId = assigned;
          sink.session(assigned);
        }
      }
      if (request === undefined) {
        await response.body.dump();
        if ('method' in message && message.method === 'notifications/initialized') standby.start();
        return;
      }
      if (mediaType(response) === 'text/event-stream') {
        void consumeResponseStream(streams, request, response, sendOptions);
        return;
      }
      await readJsonAnswer(request, response, { sink, endpoint, maxMessageBytes: options.maxMessageBytes });
    };

    const handle: LinkHandle = {
      send: (message, sendOptions) =>
        send(message, sendOptions).catch((error: unknown) => {
          if (error === NO_FAILURE) return;
          throw error;
        }),
      perRequestStreams: true,
      setProtocolVersion: (version) => {
        protocolVersion = version;
      },
    };

    const shutdown = (): void => {
      life.finished = true;
      standby.stop();
      linkEnd.abort();
      client.destroy();
    };

    receive((event) => {
      if (event.type !== 'link.close' || life.closing) return;
      life.closing = true;
      standby.stop();
      const ended = sessionId === undefined ? Promise.resolve() : endSession(event.closeMs);
      void ended.finally(() => {
        shutdown();
        sendBack({ type: 'link.closed' });
      });
    });

    /** DELETE ends the legacy session (405 means the server keeps sessions until they expire). */
    const endSession = async (closeMs: number): Promise<void> => {
      const controller = new AbortController();
      const timer = setTimeout(() => controller.abort(), closeMs);
      try {
        const headers = commonHeaders();
        const authorization = await options.auth?.authorization().catch(() => undefined);
        if (authorization !== undefined) headers.authorization = authorization;
        const response = await client.request(
          { method: 'DELETE', url: options.url, headers, signal: controller.signal },
          `DELETE ${endpoint}`,
        );
        await response.body.dump();
      } catch {
        // The session expires on its own; nothing more to do.
      } finally {
        clearTimeout(timer);
      }
    };

    if (!unreachable) {
      queueMicrotask(() => {
        if (life.live) sendBack({ type: 'link.up', link: handle });
      });
    } else {
      // The last link could not reach the server: this one comes up once the server answers.
      reach.suspect();
      reach.gate()?.then(
        () => {
          if (!life.live) return;
          unreachable = false;
          sendBack({ type: 'link.up', link: handle });
        },
        () => {},
      );
    }
    return shutdown;
  };
}

/** The refusal of a send on a link that is down: the message waits for the next link. */
function linkIsDown(): LinkError {
  return new LinkError(ErrorCode.Network, 'The HTTP link is down', { retryable: true, undelivered: true });
}

/** Whether a link went down because the server could not be reached (the next link asks first). */
function isUnreachable(error: LinkError): boolean {
  if (error.code === ErrorCode.Network) return true;
  return error instanceof HttpError && statusFault(error.status).action === 'retry-after';
}

/**
 * A POST's response broke after its status line (a JSON body cut short): the server responded,
 * so the request's response is lost (`LIFELINE_ERR_STREAM_LOST`), unlike a POST that got no
 * response at all (`LIFELINE_ERR_NETWORK`), whose re-issue the runtime does not count as spent.
 */
function responseLost(request: JsonRpcRequest, error: unknown, endpoint: string): LinkError {
  const failure = networkError(error, `The response of POST ${endpoint} to request ${request.id}`);
  return new LinkError(ErrorCode.StreamLost, failure.message, { retryable: true, cause: error });
}
