/**
 * The legacy HTTP+SSE link (protocol 2024-11-05, deprecated but still served): GET the SSE
 * URL, wait for the `endpoint` event, POST every message there; answers arrive on the stream
 * as `message` events.
 *
 * The endpoint must be on the SSE URL's origin (a server must not send our credentials
 * elsewhere). A new SSE connection is a new session, so when the stream drops the link goes
 * down and the runtime re-establishes the session on the next one (replayed initialize).
 *
 * @see https://modelcontextprotocol.io/specification/2024-11-05/basic/transports#http-with-sse
 */

import { fromCallback } from 'xstate';
import type { JsonRpcMessage } from '../../codec/jsonrpc.js';
import { unreadableAnswerId } from '../../codec/recover.js';
import { ErrorCode, LinkError } from '../../errors.js';
import type {
  LinkCallback,
  LinkCloseEvent,
  LinkHandle,
  LinkInput,
  LinkLogic,
  LinkSink,
} from '../../link/contract.js';
import { networkFault, statusFault, takesLinkDown } from '../failures/table.js';
import { LinkLife } from '../life.js';
import { AuthFailure, askAuth, authOutcome, authorizeRequest, isChallenge } from './auth-step.js';
import {
  describeUrl,
  HttpClient,
  type HttpLinkOptions,
  isAbort,
  mediaType,
  networkError,
  statusError,
} from './client.js';
import { readEventStream } from './events.js';

/** Runs one HTTP+SSE link (one stream, one session). The body of the link actor. */
export function runSseLink(options: HttpLinkOptions, sink: LinkSink): LinkCallback {
  return ({ sendBack, receive }) => {
    const client = new HttpClient(options);
    const stream = new AbortController();
    const where = describeUrl(options.url);
    let endpoint: URL | undefined;
    const life = new LinkLife(sendBack);

    const send = async (message: JsonRpcMessage): Promise<void> => {
      const target = endpoint;
      if (target === undefined || !life.live) {
        throw new LinkError(ErrorCode.Network, 'The SSE link is down', {
          retryable: true,
          undelivered: true,
        });
      }
      const headers: Record<string, string> = { ...options.headers, 'content-type': 'application/json' };
      const auth = options.auth;
      let sent = auth === undefined ? undefined : await authorizeRequest(auth, headers, life);
      const body = JSON.stringify(message);
      const post = () =>
        client
          .request({ method: 'POST', url: target, headers, body }, `POST ${describeUrl(target)}`)
          .catch((error: unknown) => {
            const failure = networkError(error, `POST ${describeUrl(target)}`);
            // The stream is the link: a connection cut as a dying server's takes it down too.
            if (failure.undelivered || takesLinkDown(networkFault(error))) life.down(failure);
            throw failure;
          });
      let response = await post();
      let text: string | undefined;
      let retried = false;
      if (isChallenge(auth, response.statusCode)) {
        // Refused for its credentials: the auth renews them and the message goes ONCE more.
        let verdict: Awaited<ReturnType<typeof askAuth>>;
        try {
          verdict = await askAuth(auth, response, sent, 'POST');
        } catch (error) {
          if (!(error instanceof AuthFailure)) throw error;
          const { thrown, down } = authOutcome(error);
          if (down !== undefined) life.down(down);
          throw thrown;
        }
        if (verdict.retry) {
          sent = await authorizeRequest(auth, headers, life);
          response = await post();
          retried = true;
        } else {
          text = verdict.text ?? '';
        }
      }
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await response.body.dump();
        return;
      }
      const error = await statusError(response, `POST ${describeUrl(target)}`, options.secrets, text);
      if (response.statusCode === 404) {
        // The server forgot the session (it restarted, or the stream's session timed out).
        const expired = new LinkError(
          ErrorCode.Session,
          `The SSE session is gone (HTTP 404); opening a new one`,
          {
            retryable: true,
            undelivered: true,
            retryAfterMs: 0,
          },
        );
        life.down(expired);
        throw expired;
      }
      // A 403 after the auth stepped up fails only its message (the token is good for others).
      const stepUpRefused = response.statusCode === 403 && retried;
      // As the failure table says (401, 403, 429, 502, 503, 504); the stream's own end reports a
      // server that died.
      if (!stepUpRefused && takesLinkDown(statusFault(response.statusCode))) life.down(error);
      throw error;
    };

    const handle: LinkHandle = { send };

    const onEndpoint = (data: string): void => {
      if (endpoint !== undefined) return;
      let target: URL;
      try {
        target = new URL(data.trim(), options.url);
      } catch {
        life.down(new LinkError(ErrorCode.EndpointOrigin, `${where} sent an invalid endpoint URL`));
        return;
      }
      if (target.origin !== options.url.origin) {
        life.down(
          new LinkError(
            ErrorCode.EndpointOrigin,
            `${where} named an endpoint on another origin (${target.origin}); refusing to send messages (and credentials) there`,
          ),
        );
        return;
      }
      endpoint = target;
      sendBack({ type: 'link.up', link: handle });
    };

    const open = async (renewed = false): Promise<void> => {
      const headers: Record<string, string> = { ...options.headers, accept: 'text/event-stream' };
      const auth = options.auth;
      let sent: string | undefined;
      try {
        sent = await auth?.authorization();
      } catch (error) {
        life.down(authOutcome(new AuthFailure(error, 401)).down as LinkError);
        return;
      }
      if (sent !== undefined) headers.authorization = sent;
      if (!life.live) return;
      let response: Awaited<ReturnType<HttpClient['request']>>;
      try {
        response = await client.request(
          { method: 'GET', url: options.url, headers, signal: stream.signal },
          `GET ${where}`,
        );
      } catch (error) {
        if (!isAbort(error)) life.down(networkError(error, `GET ${where}`));
        return;
      }
      let text: string | undefined;
      if (isChallenge(auth, response.statusCode)) {
        // Before the endpoint is known: a refusal here fails the connect (`start()` rejects with it).
        try {
          const verdict = await askAuth(auth, response, sent, 'GET');
          if (verdict.retry && !renewed) return open(true);
          text = verdict.text ?? '';
        } catch (error) {
          if (!(error instanceof AuthFailure)) throw error;
          // The stream cannot open either way: the link goes down (a 403's refusal as a 401's).
          life.down(authOutcome(new AuthFailure(error.error, 401)).down as LinkError);
          return;
        }
      }
      if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
        const error =
          response.statusCode === 200
            ? new LinkError(
                ErrorCode.ContentType,
                `GET ${where} answered with content type "${mediaType(response) || 'none'}", not an SSE stream`,
                { retryable: false },
              )
            : await statusError(response, `GET ${where}`, options.secrets, text);
        response.body.dump().catch(() => {});
        life.down(error);
        return;
      }
      const outcome = await readEventStream(response.body, sink, options.maxMessageBytes, {
        onEvent: (event) => {
          if (event.event === 'endpoint') onEndpoint(event.data);
        },
        onMessage: () => endpoint !== undefined,
        // Answers arrive on this stream: an oversize one that names its request (only its head is
        // left) fails that request at once, as on the other transports; one naming none is dropped.
        onOversize: (problem) => {
          const id = unreadableAnswerId(problem.head, '');
          if (id === undefined) return;
          const message = `The response to request ${id} exceeds limits.maxMessageBytes (${options.maxMessageBytes})`;
          sink.unanswered(id, new LinkError(ErrorCode.MessageTooLarge, message), 'fail');
        },
      });
      if (outcome.aborted) return;
      const cause = outcome.error === undefined ? 'ended' : `broke (${(outcome.error as Error).message})`;
      const options_ = { retryable: true, cause: outcome.error } as {
        retryable: boolean;
        cause: unknown;
        retryAfterMs?: number;
      };
      if (outcome.retryMs !== undefined) options_.retryAfterMs = outcome.retryMs;
      life.down(new LinkError(ErrorCode.StreamLost, `The SSE stream of ${where} ${cause}`, options_));
    };

    const shutdown = (): void => {
      life.finished = true;
      stream.abort();
      client.destroy();
    };

    receive((event) => {
      if (event.type !== 'link.close' || life.closing) return;
      life.closing = true;
      shutdown();
      sendBack({ type: 'link.closed' });
    });

    void open();
    return shutdown;
  };
}

/** The link actor logic for a legacy HTTP+SSE server. */
export function createSseLink(options: HttpLinkOptions, sink: LinkSink): LinkLogic {
  return fromCallback<LinkCloseEvent, LinkInput>(runSseLink(options, sink));
}
