/**
 * How the runtime fails a request to its caller: a synthesized JSON-RPC error response with
 * a stable code, delivered like any answer, so the SDK rejects the request at once instead of
 * waiting for its 60 s timeout.
 */

import { errorResponse, type JsonRpcErrorResponse, type RequestId } from '../../codec/jsonrpc.js';
import {
  CONNECTION_LOST_RPC_CODE,
  ErrorCode,
  type LifelineError,
  REQUEST_FAILED_RPC_CODE,
} from '../../errors.js';

/** The answer for a request whose link died (or closed, or gave up) before it was answered. */
export function connectionLostResponse(
  id: RequestId,
  cause: LifelineError,
  closed = false,
): JsonRpcErrorResponse {
  const message = closed
    ? 'Connection closed before the request was answered'
    : `Connection lost: ${cause.message}`;
  return errorResponse(id, CONNECTION_LOST_RPC_CODE, message, {
    code: closed ? ErrorCode.Closed : ErrorCode.ConnectionLost,
    cause: cause.code,
  });
}

/** The answer for a request whose response was over `limits.maxMessageBytes`. */
export function tooLargeResponse(id: RequestId, bytes: number, limit: number): JsonRpcErrorResponse {
  return errorResponse(
    id,
    REQUEST_FAILED_RPC_CODE,
    `Response of ${bytes} bytes exceeds limits.maxMessageBytes (${limit})`,
    {
      code: ErrorCode.MessageTooLarge,
      bytes,
    },
  );
}

/** The answer for a request that waited in the queue longer than `timeouts.requestMs`. */
export function expiredResponse(id: RequestId, requestMs: number): JsonRpcErrorResponse {
  return errorResponse(
    id,
    REQUEST_FAILED_RPC_CODE,
    `Request waited longer than timeouts.requestMs (${requestMs} ms) for the connection to come back`,
    { code: ErrorCode.RequestExpired },
  );
}
