/**
 * The options of `send()`: the SDK's `TransportSendOptions`, what of them reaches a link, and
 * when a `resumptionToken` cannot be honoured.
 */

import { envelopeVersion } from '../../codec/headers.js';
import type { JsonRpcMessage, RequestId } from '../../codec/jsonrpc.js';
import { ResumptionUnsupportedError } from '../../errors.js';
import type { LinkHandle, LinkSendOptions } from '../../link/contract.js';
import type { ProtocolEra } from '../../machines/connection.js';
import type { ResolvedConfig } from '../options/resolve.js';

/**
 * Options of `send()`: the SDK's `TransportSendOptions`. HTTP links use `headers`,
 * `requestSignal`, `onRequestStreamEnd`, `resumptionToken` and `onresumptiontoken`; stdio
 * needs none.
 */
export interface SendOptions {
  relatedRequestId?: RequestId | undefined;
  /** Extra headers for this request (HTTP; reserved names are ignored). */
  headers?: Record<string, string> | undefined;
  /** Aborting it cancels the request silently (modern era, HTTP: its stream is closed). */
  requestSignal?: AbortSignal | undefined;
  /** Called once the request's response stream has ended (HTTP). */
  onRequestStreamEnd?: (() => void) | undefined;
  /**
   * Called with each SSE event id of the request's stream (Streamable HTTP): a token to resume
   * it from later. Never called on links without event ids (stdio, WebSocket, Docker).
   */
  onresumptiontoken?: ((token: string) => void) | undefined;
  /**
   * Resume the response stream of an earlier request from this event id instead of sending
   * this one, as the SDK's `StreamableHTTPClientTransport` does: a GET with `Last-Event-ID`,
   * whose replayed answer is delivered under this request's id. Streamable HTTP in the 2025 era
   * only; elsewhere `send()` rejects with {@link ResumptionUnsupportedError}.
   */
  resumptionToken?: string | undefined;
  [key: string]: unknown;
}

/** The link options of a send, when it has any (most sends have none: no object is made). */
export function linkOptions(options: SendOptions | undefined): LinkSendOptions | undefined {
  if (options === undefined) return undefined;
  const { headers, requestSignal, onRequestStreamEnd, onresumptiontoken, resumptionToken } = options;
  if (
    headers === undefined &&
    requestSignal === undefined &&
    onRequestStreamEnd === undefined &&
    onresumptiontoken === undefined &&
    resumptionToken === undefined
  )
    return undefined;
  return {
    headers,
    signal: requestSignal,
    onStreamEnd: onRequestStreamEnd,
    onResumptionToken: onresumptiontoken,
    resumptionToken,
  };
}

/**
 * Why a `send()` with a `resumptionToken` cannot be honoured; undefined when it can, or has
 * none. A demanding caller is told at once, by a typed error: sending the request afresh would
 * run it twice, and ignoring the token would leave it waiting for an answer nobody replays.
 * `config` gives the transport type and HTTP mode, `era` the session's (once known), `link`
 * the live one (its `perRequestStreams` is false once an `auto` link fell back to HTTP+SSE).
 * Positional, so that the hot path of `send()` allocates nothing.
 */
export function resumptionRefusal(
  message: JsonRpcMessage,
  options: SendOptions | undefined,
  config: Pick<ResolvedConfig, 'type' | 'http'>,
  era: ProtocolEra | undefined,
  link: Pick<LinkHandle, 'perRequestStreams'> | undefined,
): ResumptionUnsupportedError | undefined {
  if (options?.resumptionToken === undefined) return undefined;
  if (!('method' in message && 'id' in message))
    return new ResumptionUnsupportedError('a resumptionToken applies to a request only');
  if (config.type !== 'http')
    return new ResumptionUnsupportedError(`the ${config.type} transport has no resumable streams`);
  if (config.http?.mode === 'sse' || link?.perRequestStreams === false)
    return new ResumptionUnsupportedError('the legacy HTTP+SSE transport has no resumable response streams');
  if (era === 'modern' || envelopeVersion(message) !== undefined)
    return new ResumptionUnsupportedError(
      'the 2026-07-28 era has no stream resumption (a lost request is re-issued)',
    );
  return undefined;
}
