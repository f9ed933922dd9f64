/**
 * What an error status to a Streamable HTTP POST means, as the failure table says: a JSON-RPC
 * refusal to deliver as the request's answer, an expired session to renew, the fallback to
 * legacy HTTP+SSE, a link to take down (401, 403, 429, 502, 503, 504), or a failure of this one
 * request.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#session-management
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#backwards-compatibility
 */

import type { Dispatcher } from 'undici';
import { isRequest, type JsonRpcMessage } from '../../codec/jsonrpc.js';
import { ErrorCode, HttpError, LinkError } from '../../errors.js';
import type { LinkSink } from '../../link/contract.js';
import { faultRule, statusFault, takesLinkDown } from '../failures/table.js';
import { parseRpcError } from './answers.js';
import { statusError } from './client.js';
import { type ErrorBody, readErrorBody } from './error-body.js';
import { recordVerdict } from './verdicts.js';

/** How much of an error body is read for a JSON-RPC error in it. */
const RPC_ERROR_BYTES = 65_536;

/** Marks a refusal already delivered to the client as a message (an HTTP 400): `send` resolves. */
export const NO_FAILURE = new HttpError('delivered as a message', {
  status: 400,
  statusText: undefined,
  text: undefined,
});

/** What deciding a refusal needs from the link. */
export interface RefusalHost {
  sink: LinkSink;
  url: URL;
  /** The endpoint as messages name it. */
  endpoint: string;
  /** Fall back to legacy HTTP+SSE when the initialize POST is refused. */
  fallback: boolean;
  secrets: readonly string[];
  /** How long an error body may take, in ms. */
  bodyMs: number;
  /** The server forgot the session: drop it. */
  forgetSession(): void;
  /** Takes the link down. */
  down(error: LinkError): void;
}

/** The POST that was refused. */
export interface Refused {
  message: JsonRpcMessage;
  /** It carried the session id. */
  sentSession: boolean;
  initialize: boolean;
  /** The body, when the auth step already read it. */
  read?: ErrorBody | undefined;
  /** It was sent again with renewed credentials (a 403 then fails only it). */
  retried: boolean;
}

/**
 * Decides an error status.
 *
 * @returns the error the request fails with, or {@link NO_FAILURE} when the refusal was
 * delivered to the client as the request's answer.
 */
export async function decideRefusal(
  host: RefusalHost,
  response: Dispatcher.ResponseData,
  refused: Refused,
): Promise<LinkError> {
  const status = response.statusCode;
  const body = refused.read ?? (await readErrorBody(response.body, RPC_ERROR_BYTES, host.bodyMs));
  const text = body.text;
  const rpcError = parseRpcError(text);
  const request = isRequest(refused.message) ? refused.message : undefined;
  if (rpcError !== undefined && request !== undefined && rpcError.id === request.id && status === 400) {
    // A modern-era refusal (-32020 header mismatch, -32022 unsupported version): the SDK
    // recovers from it when it arrives as a message.
    host.sink.message(rpcError as JsonRpcMessage);
    return NO_FAILURE;
  }
  if (refused.sentSession && (status === 404 || (status === 400 && /session/i.test(text ?? '')))) {
    host.forgetSession();
    const gone = faultRule('http', '400/404 + Mcp-Session-Id');
    const expired = new LinkError(
      ErrorCode.Session,
      `The HTTP session expired (HTTP ${status}); starting a new one`,
      { retryable: gone.retryable, undelivered: true, retryAfterMs: 0 },
    );
    host.down(expired);
    return expired;
  }
  const modernError = rpcError !== undefined && rpcError.id !== null && rpcError.id !== undefined;
  if (
    host.fallback &&
    refused.initialize &&
    (status === 400 || status === 404 || status === 405) &&
    !modernError
  ) {
    recordVerdict(host.url, 'sse');
    const fallback = new LinkError(
      ErrorCode.Fallback,
      `${host.endpoint} refused Streamable HTTP (HTTP ${status}); falling back to the legacy HTTP+SSE transport`,
      { retryable: true, undelivered: true, retryAfterMs: 0 },
    );
    host.down(fallback);
    return fallback;
  }
  const error = await statusError(response, `POST ${host.endpoint}`, host.secrets, body, host.bodyMs);
  // A 403 after the auth stepped up fails only its request (the token is good for others).
  const stepUpRefused = status === 403 && refused.retried;
  if (!stepUpRefused && takesLinkDown(statusFault(status))) host.down(error);
  return error;
}
