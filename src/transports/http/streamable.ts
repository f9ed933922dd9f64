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
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */

import type { Dispatcher } from 'undici';
import { bodyHeaders, envelopeVersion, mergeRequestHeaders } from '../../codec/headers.js';
import { isRequest, type JsonRpcMessage, type JsonRpcRequest } from '../../codec/jsonrpc.js';
import { looksLikeNotification, recoverId } from '../../codec/recover.js';
import { ErrorCode, type HttpError, LinkError } from '../../errors.js';
import { LinkLife } from '../life.js';
import type { LinkCallback, LinkHandle, LinkSendOptions, LinkSink } from '../link.js';
import { parseRpcError, readJsonAnswer, wait } from './answers.js';
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
  readText,
  statusError,
} from './client.js';
import { readEventStream, type StreamOutcome } from './events.js';
import { Standby } from './standby.js';
import { recordVerdict } from './verdicts.js';

/** Options of the Streamable HTTP link. */
export interface StreamableLinkOptions extends HttpLinkOptions {
  /** Fall back to legacy HTTP+SSE when the server turns out to speak only that. */
  fallback: boolean;
  /** Default wait before resuming a broken stream when the server sent no `retry:`, in ms. */
  resumeDelayMs: number;
}

/** How many times one response stream is resumed before its request is given up. */
const MAX_RESUMES = 3;
const ACCEPT_BOTH = 'application/json, text/event-stream';

/** Statuses after which the server is presumed unavailable: the link goes down and backs off. */
const UNAVAILABLE = new Set([502, 503, 504]);

/** Runs one Streamable HTTP link (one pool, one session). The body of the link actor. */
export function runStreamableLink(options: StreamableLinkOptions, sink: LinkSink): LinkCallback {
  return ({ sendBack, receive }) => {
    const client = new HttpClient(options);
    const endpoint = describeUrl(options.url);
    let sessionId: string | undefined;
    let protocolVersion: string | undefined;
    const life = new LinkLife(sendBack);

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
      down: (error) => life.down(error),
      live: () => life.live,
    });

    /** A GET that resumes a broken response stream after `Last-Event-ID`. */
    const resume = async (
      request: JsonRpcRequest,
      previous: StreamOutcome,
      sendOptions: LinkSendOptions | undefined,
      answered: () => boolean,
    ): Promise<StreamOutcome | undefined> => {
      await wait(previous.retryMs ?? options.resumeDelayMs, sendOptions?.signal);
      if (!life.live || sendOptions?.signal?.aborted) return undefined;
      const headers: Record<string, string> = { ...commonHeaders(), accept: 'text/event-stream' };
      headers['last-event-id'] = previous.lastEventId as string;
      const authorization = await options.auth?.authorization().catch(() => undefined);
      if (authorization !== undefined) headers.authorization = authorization;
      const response = await client
        .request(
          { method: 'GET', url: options.url, headers, signal: sendOptions?.signal },
          `Resuming ${endpoint}`,
        )
        .catch((error: unknown) => {
          if (!isAbort(error) && networkError(error, '').undelivered)
            life.down(networkError(error, 'Resume'));
          return undefined;
        });
      if (response === undefined) return undefined;
      if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
        response.body.dump().catch(() => {});
        return undefined;
      }
      return readEventStream(
        response.body,
        sink,
        options.maxMessageBytes,
        streamHooks(request, answered, sendOptions),
        previous,
      );
    };

    /** Consumes a request's SSE response stream, resuming it (legacy) or reporting it lost. */
    const consumeStream = async (
      request: JsonRpcRequest,
      response: Dispatcher.ResponseData,
      sendOptions: LinkSendOptions | undefined,
    ): Promise<void> => {
      let answered = false;
      const isAnswered = (): boolean => answered;
      const hooks = streamHooks(request, isAnswered, sendOptions, () => {
        answered = true;
      });
      let outcome: StreamOutcome | undefined = await readEventStream(
        response.body,
        sink,
        options.maxMessageBytes,
        hooks,
      );
      const legacy = envelopeVersion(request) === undefined;
      for (let resumes = 0; !answered && outcome !== undefined && !outcome.aborted; resumes += 1) {
        if (!legacy || outcome.lastEventId === undefined || resumes >= MAX_RESUMES) break;
        outcome = await resume(request, outcome, sendOptions, isAnswered);
      }
      sendOptions?.onStreamEnd?.();
      if (answered || !life.live || sendOptions?.signal?.aborted) return;
      const why =
        outcome?.error === undefined
          ? 'ended'
          : `broke (${String((outcome.error as Error).message ?? outcome.error)})`;
      sink.unanswered(
        request.id,
        new LinkError(
          ErrorCode.StreamLost,
          `The response stream of request ${request.id} ${why} before its response`,
          {
            retryable: true,
            cause: outcome?.error,
          },
        ),
        'reissue',
      );
    };

    /** Tells the hooks of a request's stream which message is its answer. */
    const streamHooks = (
      request: JsonRpcRequest,
      answered: () => boolean,
      sendOptions: LinkSendOptions | undefined,
      onAnswer?: () => void,
    ) => ({
      onMessage: (message: JsonRpcMessage) => {
        if ('method' in message) return true;
        // A replayed stream may repeat the answer: deliver it once.
        const duplicate = answered();
        if (message.id === request.id) onAnswer?.();
        return !duplicate;
      },
      onId: (id: string) => sendOptions?.onResumptionToken?.(id),
      onOversize: (problem: { head: string }) => {
        // Only the head of an oversize event is left: is it this request's answer?
        const id = recoverId(problem.head, '');
        if (id === undefined ? looksLikeNotification(problem.head) : id !== request.id) return;
        onAnswer?.();
        sink.unanswered(
          request.id,
          new LinkError(
            ErrorCode.MessageTooLarge,
            `The response to request ${request.id} exceeds limits.maxMessageBytes (${options.maxMessageBytes})`,
          ),
          'fail',
        );
      },
    });

    const send = async (message: JsonRpcMessage, sendOptions?: LinkSendOptions): Promise<void> => {
      if (!life.live) {
        throw new LinkError(ErrorCode.Network, 'The HTTP link is down', {
          retryable: true,
          undelivered: true,
        });
      }
      const request = isRequest(message) ? message : undefined;
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
        return response;
      };
      try {
        let response = await post();
        let read: { text: string | undefined } | undefined;
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
          if (initialize) {
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
          const type = mediaType(response);
          if (type === 'text/event-stream') {
            void consumeStream(request, response, sendOptions);
            return;
          }
          await readJsonAnswer(request, response, {
            sink,
            endpoint,
            maxMessageBytes: options.maxMessageBytes,
          });
          return;
        }
        throw await refusal(response, message, sentSession, initialize, read, retried);
      } catch (error) {
        if (error instanceof AuthFailure) {
          const { thrown, down } = authOutcome(error);
          if (down !== undefined) life.down(down);
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
        if (failure.undelivered) life.down(failure);
        if (!failure.undelivered && request !== undefined) {
          // It may have reached the server: the runtime decides (re-issue or connection lost).
          sink.unanswered(request.id, failure, 'reissue');
          return;
        }
        throw failure;
      }
    };

    /** What an error status means: a session to renew, a fallback, a message for the client, or a failure. */
    const refusal = async (
      response: Dispatcher.ResponseData,
      message: JsonRpcMessage,
      sentSession: boolean,
      initialize: boolean,
      read?: { text: string | undefined },
      retried = false,
    ): Promise<LinkError> => {
      const status = response.statusCode;
      const text =
        read !== undefined ? read.text : await readText(response.body, 65_536).catch(() => undefined);
      const rpcError = parseRpcError(text);
      const request = isRequest(message) ? message : undefined;
      if (rpcError !== undefined && request !== undefined && rpcError.id === request.id && status === 400) {
        // A modern-era refusal (-32020 header mismatch, -32022 unsupported version): the SDK
        // recovers from it when it arrives as a message.
        sink.message(rpcError as JsonRpcMessage);
        return NO_FAILURE;
      }
      if (sentSession && (status === 404 || (status === 400 && /session/i.test(text ?? '')))) {
        sessionId = undefined;
        sink.session(undefined);
        const expired = new LinkError(
          ErrorCode.Session,
          `The HTTP session expired (HTTP ${status}); starting a new one`,
          {
            retryable: true,
            undelivered: true,
            retryAfterMs: 0,
          },
        );
        life.down(expired);
        return expired;
      }
      const modernError = rpcError !== undefined && rpcError.id !== null && rpcError.id !== undefined;
      if (
        options.fallback &&
        initialize &&
        (status === 400 || status === 404 || status === 405) &&
        !modernError
      ) {
        recordVerdict(options.url, 'sse');
        const fallback = new LinkError(
          ErrorCode.Fallback,
          `${endpoint} refused Streamable HTTP (HTTP ${status}); falling back to the legacy HTTP+SSE transport`,
          { retryable: true, undelivered: true, retryAfterMs: 0 },
        );
        life.down(fallback);
        return fallback;
      }
      const error: HttpError = await statusError(response, `POST ${endpoint}`, options.secrets, text);
      // A 403 after the auth stepped up fails only its request (the token is good for others).
      const stepUpRefused = status === 403 && retried;
      if (status === 401 || (status === 403 && !stepUpRefused) || UNAVAILABLE.has(status)) life.down(error);
      return error;
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

    queueMicrotask(() => {
      if (life.live) sendBack({ type: 'link.up', link: handle });
    });
    return shutdown;
  };
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

/** Marks a refusal already delivered to the client as a message: `send` resolves. */
const NO_FAILURE = new LinkError(ErrorCode.Http, 'delivered as a message');
