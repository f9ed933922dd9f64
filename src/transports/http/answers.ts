/**
 * Reading what a Streamable HTTP POST got back: a JSON answer (one message or, from a legacy
 * server, a batch), or an error body that may hold a JSON-RPC error for the request.
 */

import type { Dispatcher } from 'undici';
import { type JsonRpcMessage, type JsonRpcRequest, validateMessage } from '../../codec/jsonrpc.js';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkSink } from '../../link/contract.js';
import { mediaType, readText } from './client.js';

/** Where an answer goes, and what bounds it. */
export interface AnswerTarget {
  sink: LinkSink;
  /** The endpoint as errors name it (no credentials, no query). */
  endpoint: string;
  maxMessageBytes: number;
}

/**
 * Delivers a JSON answer to the sink.
 *
 * @throws {LinkError} for a wrong content type, an oversize or invalid body, or a body without
 * the request's answer: that request fails; the link lives on.
 */
export async function readJsonAnswer(
  request: JsonRpcRequest,
  response: Dispatcher.ResponseData,
  where: AnswerTarget,
): Promise<void> {
  const type = mediaType(response);
  if (type !== 'application/json') {
    response.body.dump().catch(() => {});
    throw new LinkError(
      ErrorCode.ContentType,
      `POST ${where.endpoint} answered request ${request.id} with content type "${type || 'none'}"; expected application/json or text/event-stream`,
    );
  }
  const text = await readText(response.body, where.maxMessageBytes);
  where.sink.activity();
  if (text === undefined) {
    throw new LinkError(
      ErrorCode.MessageTooLarge,
      `The response to request ${request.id} exceeds limits.maxMessageBytes (${where.maxMessageBytes})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw new LinkError(
      ErrorCode.Parse,
      `POST ${where.endpoint} answered request ${request.id} with invalid JSON`,
    );
  }
  let answered = false;
  for (const item of Array.isArray(parsed) ? parsed : [parsed]) {
    const problem = validateMessage(item);
    if (problem !== undefined) {
      where.sink.diagnostic({
        source: 'http',
        level: 'warn',
        message: `Dropped an invalid message: ${problem}`,
      });
      continue;
    }
    const inbound = item as JsonRpcMessage;
    if (!('method' in inbound) && inbound.id === request.id) answered = true;
    where.sink.message(inbound);
  }
  if (!answered) {
    throw new LinkError(
      ErrorCode.InvalidEnvelope,
      `POST ${where.endpoint} answered request ${request.id} without its response`,
    );
  }
}

/** A JSON-RPC error response in a body, if that is what it is. */
export function parseRpcError(text: string | undefined): { id: unknown; error: unknown } | undefined {
  if (text === undefined || !text.trimStart().startsWith('{')) return undefined;
  try {
    const value = JSON.parse(text) as { jsonrpc?: unknown; id?: unknown; error?: unknown };
    return value.jsonrpc === '2.0' && typeof value.error === 'object' && value.error !== null
      ? (value as { id: unknown; error: unknown })
      : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Waits `ms`, or less when one of the signals aborts (the request's, the link's end): a server's
 * `retry:` is unbounded, and a timer left running would hold the process open after a close.
 */
export function wait(ms: number, ...signals: (AbortSignal | undefined)[]): Promise<void> {
  return new Promise((resolve) => {
    if (signals.some((signal) => signal?.aborted === true)) {
      resolve();
      return;
    }
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      for (const signal of signals) signal?.removeEventListener('abort', done);
      resolve();
    }
    for (const signal of signals) signal?.addEventListener('abort', done, { once: true });
  });
}
