/**
 * The options of `send()`: the SDK's `TransportSendOptions`, and what of them reaches a link.
 */

import type { RequestId } from '../codec/jsonrpc.js';
import type { LinkSendOptions } from '../transports/link.js';

/**
 * Options of `send()`: the SDK's `TransportSendOptions`. HTTP links use `headers`,
 * `requestSignal`, `onRequestStreamEnd` and `onresumptiontoken`; stdio needs none.
 */
export interface SendOptions {
  relatedRequestId?: RequestId | undefined;
  /** Extra headers for this request (HTTP; reserved names are ignored). */
  headers?: Record<string, string> | undefined;
  /** Aborting it cancels the request silently (modern era, HTTP: its stream is closed). */
  requestSignal?: AbortSignal | undefined;
  /** Called once the request's response stream has ended (HTTP). */
  onRequestStreamEnd?: (() => void) | undefined;
  /** Called with each SSE event id of the request's stream (HTTP). */
  onresumptiontoken?: ((token: string) => void) | undefined;
  [key: string]: unknown;
}

/** The link options of a send, when it has any (most sends have none: no object is made). */
export function linkOptions(options: SendOptions | undefined): LinkSendOptions | undefined {
  if (options === undefined) return undefined;
  const { headers, requestSignal, onRequestStreamEnd, onresumptiontoken } = options;
  if (
    headers === undefined &&
    requestSignal === undefined &&
    onRequestStreamEnd === undefined &&
    onresumptiontoken === undefined
  )
    return undefined;
  return {
    headers,
    signal: requestSignal,
    onStreamEnd: onRequestStreamEnd,
    onResumptionToken: onresumptiontoken,
  };
}
