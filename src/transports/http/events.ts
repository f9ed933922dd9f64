/**
 * Reading one SSE response body (a POST's response stream, the GET standby stream, a resumed
 * stream, the legacy HTTP+SSE stream) into the runtime's sink, remembering what resumption
 * needs: the last event id and the server's `retry:` delay.
 */

import type { Dispatcher } from 'undici';
import type { JsonRpcMessage } from '../../codec/jsonrpc.js';
import { validateMessage } from '../../codec/jsonrpc.js';
import { createSseDecoder, type SseDecoder, type SseProblem } from '../../codec/sse.js';
import { parseWholeEvents } from '../../codec/sse-fast.js';
import type { LinkSink } from '../../link/contract.js';
import { isAbort } from './client.js';

/** How a stream ended, and what a resumption needs. */
export interface StreamOutcome {
  /** The id of the last event seen (priming events included), for `Last-Event-ID`. */
  lastEventId: string | undefined;
  /** The server's `retry:` field, in ms, when it sent one. */
  retryMs: number | undefined;
  /** Why the stream broke; undefined when it ended cleanly (or was aborted on purpose). */
  error: unknown;
  /** Whether it was aborted on purpose (cancelled request, closing link). */
  aborted: boolean;
  /** Messages it carried. */
  messages: number;
}

/** Hooks for one stream. */
export interface StreamHooks {
  /** Each message, before it goes to the sink; return false to keep it from the sink. */
  onMessage?(message: JsonRpcMessage): boolean | undefined;
  /** Non-message events (`endpoint` on legacy HTTP+SSE). */
  onEvent?(event: { event?: string | undefined; data: string; id?: string | undefined }): void;
  /** Each event id. */
  onId?(id: string): void;
  /** An oversize event was dropped; `head` is its start. */
  onOversize?(problem: SseProblem): void;
}

/** Reads an SSE body to its end, delivering messages to the sink. Never throws. */
export async function readEventStream(
  body: Dispatcher.ResponseData['body'],
  sink: LinkSink,
  maxMessageBytes: number,
  hooks: StreamHooks = {},
  previous?: Pick<StreamOutcome, 'lastEventId' | 'retryMs'>,
): Promise<StreamOutcome> {
  const outcome: StreamOutcome = {
    lastEventId: previous?.lastEventId,
    retryMs: previous?.retryMs,
    error: undefined,
    aborted: false,
    messages: 0,
  };
  const onMessage = (message: JsonRpcMessage): void => {
    outcome.messages += 1;
    if (hooks.onMessage?.(message) === false) return;
    sink.message(message);
  };
  const onId = (id: string): void => {
    outcome.lastEventId = id;
    hooks.onId?.(id);
  };
  // Created on the first chunk the fast path cannot take; from then on it takes every chunk.
  let decoder: SseDecoder | undefined;
  const fullDecoder = (): SseDecoder =>
    createSseDecoder({
      maxMessageBytes,
      onMessage,
      onId,
      onRetry: (ms) => {
        outcome.retryMs = ms;
      },
      onEvent: (event) => hooks.onEvent?.(event),
      onProblem: (problem) => {
        if (problem.type === 'oversize') hooks.onOversize?.(problem);
        sink.diagnostic({
          source: 'sse',
          level: 'warn',
          message: problem.error.message,
          error: problem.error,
        });
      },
    });
  const fast = (chunk: Buffer): boolean => {
    if (decoder !== undefined || chunk.length > maxMessageBytes) return false;
    const events = parseWholeEvents(chunk.toString('utf8'));
    if (events === undefined) return false;
    // Every message is parsed and checked before any is delivered: on a bad one the chunk goes
    // to the full decoder, which reports it in its usual way.
    const messages: (JsonRpcMessage | undefined)[] = [];
    for (const event of events) {
      if (event.data === undefined || event.data === '' || (event.event ?? 'message') !== 'message') {
        messages.push(undefined);
        continue;
      }
      let value: unknown;
      try {
        value = JSON.parse(event.data);
      } catch {
        return false;
      }
      if (validateMessage(value) !== undefined) return false;
      messages.push(value as JsonRpcMessage);
    }
    events.forEach((event, index) => {
      if (event.id !== undefined) onId(event.id);
      if (event.retry !== undefined) outcome.retryMs = event.retry;
      const message = messages[index];
      if (message !== undefined) onMessage(message);
      else if (event.data !== undefined && event.event !== undefined && event.event !== 'message')
        hooks.onEvent?.({ event: event.event, id: event.id, data: event.data });
    });
    return true;
  };
  try {
    for await (const chunk of body) {
      sink.activity();
      if (!fast(chunk as Buffer)) {
        decoder ??= fullDecoder();
        decoder.feed(chunk as Uint8Array);
      }
    }
  } catch (error) {
    if (isAbort(error)) outcome.aborted = true;
    else outcome.error = error;
  }
  return outcome;
}
