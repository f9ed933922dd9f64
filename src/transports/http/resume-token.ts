/**
 * The SDK's `resumptionToken` on Streamable HTTP: instead of POSTing the request, the link
 * resumes the response stream that carried an earlier one, by a GET with `Last-Event-ID: <token>`,
 * as the SDK's `StreamableHTTPClientTransport.send(message, { resumptionToken })` does. The
 * server replays the events after that id; the answer among them is delivered under this
 * request's id (the SDK's `replayMessageId`), each event id goes to `onresumptiontoken`, and a
 * replay that ends before the answer is resumed again from its last id, a few times.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#resumability-and-redelivery
 */

import type { Dispatcher } from 'undici';
import type { JsonRpcMessage, JsonRpcRequest } from '../../codec/jsonrpc.js';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkSendOptions } from '../../link/contract.js';
import { wait } from './answers.js';
import { isAbort, mediaType, networkError } from './client.js';
import { readEventStream, type StreamHooks, type StreamOutcome } from './events.js';
import { MAX_RESUMES, type ResponseStreamHost } from './response-stream.js';

/**
 * Resumes the stream of `token` for `request`. Resolves once the server accepted the GET (the
 * replay is read in the background, like a POST's SSE answer); rejects with a `LinkError`
 * when it refused (no event store, an unknown id) or could not be reached (`undelivered`: the
 * runtime keeps the request for the next link, which resumes again).
 */
export async function resumeFromToken(
  host: ResponseStreamHost,
  request: JsonRpcRequest,
  token: string,
  sendOptions: LinkSendOptions | undefined,
): Promise<void> {
  const response = await get(host, token, sendOptions?.signal);
  if (response === undefined) return;
  if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
    response.body.dump().catch(() => {});
    throw new LinkError(
      ErrorCode.StreamLost,
      `Cannot resume the response stream for request ${request.id}: GET ${host.endpoint} with Last-Event-ID answered HTTP ${response.statusCode}${response.statusCode === 200 ? ` (${mediaType(response) || 'no content type'})` : ''}; the server keeps no events to replay`,
    );
  }
  void follow(host, request, response, sendOptions);
}

/** A GET for the events after `lastEventId`; undefined when aborted. */
async function get(
  host: ResponseStreamHost,
  lastEventId: string,
  signal: AbortSignal | undefined,
): Promise<Dispatcher.ResponseData | undefined> {
  const headers: Record<string, string> = {
    ...host.headers(),
    accept: 'text/event-stream',
    'last-event-id': lastEventId,
  };
  const authorization = await host.options.auth?.authorization().catch(() => undefined);
  if (authorization !== undefined) headers.authorization = authorization;
  try {
    return await host.client.request(
      { method: 'GET', url: host.options.url, headers, signal },
      `Resuming ${host.endpoint}`,
    );
  } catch (error) {
    if (isAbort(error) && signal?.aborted) return undefined;
    const failure = networkError(error, `Resuming ${host.endpoint}`);
    if (failure.undelivered) host.down(failure);
    throw failure;
  }
}

/** Reads the replay (and resumes it again while it ends before the answer). */
async function follow(
  host: ResponseStreamHost,
  request: JsonRpcRequest,
  first: Dispatcher.ResponseData,
  sendOptions: LinkSendOptions | undefined,
): Promise<void> {
  const signal = sendOptions?.signal;
  let answered = false;
  const hooks: StreamHooks = {
    onMessage: (message: JsonRpcMessage) => {
      if ('method' in message) return true;
      // The replayed answer carries the earlier request's id: it answers this one.
      (message as { id: JsonRpcRequest['id'] }).id = request.id;
      const duplicate = answered;
      answered = true;
      return !duplicate;
    },
    onId: (id) => sendOptions?.onResumptionToken?.(id),
  };
  const read = (body: Dispatcher.ResponseData['body'], previous?: StreamOutcome): Promise<StreamOutcome> =>
    readEventStream(body, host.sink, host.options.maxMessageBytes, hooks, previous);
  let outcome: StreamOutcome | undefined = await read(first.body);
  for (let resumes = 0; !answered && outcome !== undefined && !outcome.aborted; resumes += 1) {
    if (outcome.lastEventId === undefined || resumes >= MAX_RESUMES || !host.live()) break;
    await wait(outcome.retryMs ?? host.options.resumeDelayMs, signal, host.ended);
    if (!host.live() || signal?.aborted) break;
    const previous: StreamOutcome = outcome;
    const again = await get(host, previous.lastEventId as string, signal).catch(() => undefined);
    if (again === undefined || again.statusCode !== 200 || mediaType(again) !== 'text/event-stream') {
      again?.body.dump().catch(() => {});
      break;
    }
    outcome = await read(again.body, previous);
  }
  sendOptions?.onStreamEnd?.();
  if (answered || !host.live() || signal?.aborted) return;
  host.sink.unanswered(
    request.id,
    new LinkError(
      ErrorCode.StreamLost,
      `The resumed response stream for request ${request.id} ended before its answer`,
      { retryable: true, cause: outcome?.error },
    ),
    'fail',
  );
}
