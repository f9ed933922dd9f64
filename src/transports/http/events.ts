/**
 * Reading one SSE response body (a POST's response stream, the GET standby stream, a resumed
 * stream, the legacy HTTP+SSE stream) into the runtime's sink, remembering what resumption
 * needs: the last event id and the server's `retry:` delay.
 */

import type { Dispatcher } from 'undici';
import type { JsonRpcMessage } from '../../codec/jsonrpc.js';
import { createSseDecoder, type SseProblem } from '../../codec/sse.js';
import type { LinkSink } from '../link.js';
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
  const decoder = createSseDecoder({
    maxMessageBytes,
    onMessage: (message) => {
      outcome.messages += 1;
      if (hooks.onMessage?.(message) === false) return;
      sink.message(message);
    },
    onId: (id) => {
      outcome.lastEventId = id;
      hooks.onId?.(id);
    },
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
  try {
    for await (const chunk of body) {
      sink.activity();
      decoder.feed(chunk as Uint8Array);
    }
  } catch (error) {
    if (isAbort(error)) outcome.aborted = true;
    else outcome.error = error;
  }
  return outcome;
}
