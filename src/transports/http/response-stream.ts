/**
 * A request's own SSE response stream on Streamable HTTP: read into the sink, resumed with
 * `Last-Event-ID` after the server's `retry:` delay when it breaks (legacy era, at most
 * {@link MAX_RESUMES} times), and reported `unanswered` when it ends without the request's
 * answer (the runtime re-issues it in the 2026-07-28 era, the spec's MUST, or fails it).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#resumability-and-redelivery
 */

import type { Dispatcher } from 'undici';
import { envelopeVersion } from '../../codec/headers.js';
import type { JsonRpcMessage, JsonRpcRequest } from '../../codec/jsonrpc.js';
import { looksLikeNotification, recoverId } from '../../codec/recover.js';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkSendOptions, LinkSink } from '../../link/contract.js';
import { networkFault, takesLinkDown } from '../failures/table.js';
import { wait } from './answers.js';
import { type HttpClient, type HttpLinkOptions, isAbort, mediaType, networkError } from './client.js';
import { readEventStream, type StreamHooks, type StreamOutcome } from './events.js';

/** How many times one response stream is resumed before its request is given up. */
export const MAX_RESUMES = 3;

/** What a response stream needs from its link. */
export interface ResponseStreamHost {
  client: HttpClient;
  sink: LinkSink;
  options: Pick<HttpLinkOptions, 'url' | 'auth' | 'maxMessageBytes'> & { resumeDelayMs: number };
  /** The endpoint as messages name it. */
  endpoint: string;
  /** Whether the link still carries messages. */
  live(): boolean;
  /** Aborted when the link ends: a wait before a resume ends with it. */
  ended: AbortSignal;
  /** The link's current headers (session id, protocol version). */
  headers(): Record<string, string>;
  /** The server certainly cannot be reached: the link goes down. */
  down(error: LinkError): void;
  /** A connection broke as a dying server's (or a relay's) does: ask whether the server is there. */
  suspect(error: LinkError): void;
}

/** Consumes a request's SSE response stream, resuming it (legacy) or reporting it lost. */
export async function consumeResponseStream(
  host: ResponseStreamHost,
  request: JsonRpcRequest,
  response: Dispatcher.ResponseData,
  sendOptions: LinkSendOptions | undefined,
): Promise<void> {
  let answered = false;
  const isAnswered = (): boolean => answered;
  const hooks = streamHooks(host, request, isAnswered, sendOptions, () => {
    answered = true;
  });
  let outcome: StreamOutcome | undefined = await readEventStream(
    response.body,
    host.sink,
    host.options.maxMessageBytes,
    hooks,
  );
  const legacy = envelopeVersion(request) === undefined;
  for (let resumes = 0; !answered && outcome !== undefined && !outcome.aborted; resumes += 1) {
    // Broken as a dying server's connection breaks: the other calls wait while the server is asked.
    if (outcome.error !== undefined && host.live() && takesLinkDown(networkFault(outcome.error)))
      host.suspect(networkError(outcome.error, `The response stream of request ${request.id}`));
    if (!legacy || outcome.lastEventId === undefined || resumes >= MAX_RESUMES) break;
    outcome = await resume(host, request, outcome, sendOptions, isAnswered);
  }
  sendOptions?.onStreamEnd?.();
  if (answered || !host.live() || sendOptions?.signal?.aborted) return;
  const why =
    outcome?.error === undefined
      ? 'ended'
      : `broke (${String((outcome.error as Error).message ?? outcome.error)})`;
  host.sink.unanswered(
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
}

/** A GET that resumes a broken response stream after `Last-Event-ID`. */
async function resume(
  host: ResponseStreamHost,
  request: JsonRpcRequest,
  previous: StreamOutcome,
  sendOptions: LinkSendOptions | undefined,
  answered: () => boolean,
): Promise<StreamOutcome | undefined> {
  await wait(previous.retryMs ?? host.options.resumeDelayMs, sendOptions?.signal, host.ended);
  if (!host.live() || sendOptions?.signal?.aborted) return undefined;
  const headers: Record<string, string> = { ...host.headers(), accept: 'text/event-stream' };
  headers['last-event-id'] = previous.lastEventId as string;
  const authorization = await host.options.auth?.authorization().catch(() => undefined);
  if (authorization !== undefined) headers.authorization = authorization;
  const response = await host.client
    .request(
      { method: 'GET', url: host.options.url, headers, signal: sendOptions?.signal },
      `Resuming ${host.endpoint}`,
    )
    .catch((error: unknown) => {
      if (isAbort(error)) return undefined;
      const failure = networkError(error, 'Resume');
      if (failure.undelivered) host.down(failure);
      else if (takesLinkDown(networkFault(error))) host.suspect(failure);
      return undefined;
    });
  if (response === undefined) return undefined;
  if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
    response.body.dump().catch(() => {});
    return undefined;
  }
  return readEventStream(
    response.body,
    host.sink,
    host.options.maxMessageBytes,
    streamHooks(host, request, answered, sendOptions),
    previous,
  );
}

/** Tells the hooks of a request's stream which message is its answer. */
function streamHooks(
  host: ResponseStreamHost,
  request: JsonRpcRequest,
  answered: () => boolean,
  sendOptions: LinkSendOptions | undefined,
  onAnswer?: () => void,
): StreamHooks {
  return {
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
      host.sink.unanswered(
        request.id,
        new LinkError(
          ErrorCode.MessageTooLarge,
          `The response to request ${request.id} exceeds limits.maxMessageBytes (${host.options.maxMessageBytes})`,
        ),
        'fail',
      );
    },
  };
}
