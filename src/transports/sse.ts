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
import type { JsonRpcMessage } from '../codec/jsonrpc.js';
import { ErrorCode, LinkError } from '../errors.js';
import {
  describeUrl,
  HttpClient,
  type HttpLinkOptions,
  isAbort,
  mediaType,
  networkError,
  statusError,
} from './http/client.js';
import { readEventStream } from './http/events.js';
import { LinkLife } from './life.js';
import type { LinkCallback, LinkCloseEvent, LinkHandle, LinkInput, LinkLogic, LinkSink } from './link.js';

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
      const headers = { ...options.headers, 'content-type': 'application/json' };
      const response = await client
        .request(
          { method: 'POST', url: target, headers, body: JSON.stringify(message) },
          `POST ${describeUrl(target)}`,
        )
        .catch((error: unknown) => {
          const failure = networkError(error, `POST ${describeUrl(target)}`);
          if (failure.undelivered) life.down(failure);
          throw failure;
        });
      if (response.statusCode >= 200 && response.statusCode < 300) {
        await response.body.dump();
        return;
      }
      const error = await statusError(response, `POST ${describeUrl(target)}`, options.secrets);
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
      if (response.statusCode === 401 || response.statusCode === 403 || response.statusCode >= 500)
        life.down(error);
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

    const open = async (): Promise<void> => {
      const headers = { ...options.headers, accept: 'text/event-stream' };
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
      if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
        const error =
          response.statusCode === 200
            ? new LinkError(
                ErrorCode.ContentType,
                `GET ${where} answered with content type "${mediaType(response) || 'none'}", not an SSE stream`,
                { retryable: false },
              )
            : await statusError(response, `GET ${where}`, options.secrets);
        response.body.dump().catch(() => {});
        life.down(error);
        return;
      }
      const outcome = await readEventStream(response.body, sink, options.maxMessageBytes, {
        onEvent: (event) => {
          if (event.event === 'endpoint') onEndpoint(event.data);
        },
        onMessage: () => endpoint !== undefined,
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
