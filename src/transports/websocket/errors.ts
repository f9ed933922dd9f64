/**
 * The errors of a WebSocket link, as the failure table says: a socket that failed (a refused
 * subprotocol, a protocol violation, the network) and a socket the server closed (by its close
 * code, RFC 6455 §7.4).
 *
 * @see https://www.rfc-editor.org/rfc/rfc6455#section-7.4
 */

import { ErrorCode, LinkError } from '../../errors.js';
import { closeFault, faultRule } from '../failures/table.js';
import { networkError, redact } from '../http/client.js';

/** The subprotocol SEP-1288 names. */
export const MCP_SUBPROTOCOL = 'mcp';

/** The error behind a failed socket: a refused subprotocol, a protocol violation, or the network. */
export function socketError(
  error: Error & { code?: string },
  where: string,
  options: { maxMessageBytes: number; secrets: readonly string[] },
): LinkError {
  const message = redact(error.message, options.secrets);
  if (/subprotocol/i.test(message)) {
    return new LinkError(
      ErrorCode.WebSocket,
      `The server at ${where} did not accept the WebSocket subprotocol "${MCP_SUBPROTOCOL}" (${message}); it does not speak MCP over WebSocket`,
      { cause: error, retryable: faultRule('websocket', 'subprotocol refused').retryable },
    );
  }
  if (error.code === 'WS_ERR_UNSUPPORTED_MESSAGE_LENGTH') {
    return new LinkError(
      ErrorCode.MessageTooLarge,
      `The server at ${where} sent a message over limits.maxMessageBytes (${options.maxMessageBytes}); a WebSocket frame cannot be skipped, so the link was closed with 1009`,
      { cause: error, retryable: closeFault(1009).retryable },
    );
  }
  if (error.code?.startsWith('WS_ERR_') === true) {
    return new LinkError(
      ErrorCode.WebSocket,
      `The server at ${where} broke the WebSocket protocol: ${message}`,
      { cause: error, retryable: faultRule('websocket', 'WS_ERR_*').retryable },
    );
  }
  return networkError(error, `WebSocket to ${where}`);
}

/**
 * The error for a socket the server closed, as its close code's row says (1006: dropped without
 * a close frame; 4000-4999: the server's own reasons).
 */
export function closedError(
  code: number,
  reason: string,
  where: string,
  secrets: readonly string[],
): LinkError {
  const why = reason === '' ? '' : `: ${redact(reason, secrets).slice(0, 200)}`;
  const how = code === 1006 ? 'The connection to' : `The server closed the WebSocket (${code}${why}) at`;
  return withoutStack(
    () =>
      new LinkError(
        ErrorCode.ConnectionLost,
        `${how} ${where}${code === 1006 ? ' dropped without a close frame' : ''}`,
        { retryable: closeFault(code).retryable },
      ),
  );
}

/**
 * An error made without capturing a stack trace. For the closes of a socket: their stack holds
 * only `ws` and Node frames, read by no one, and a backend that dies closes every socket to it
 * in the same turn (1,000 traces were about 15 ms of that turn; docs/benchmarks.md).
 */
function withoutStack<T>(make: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return make();
  } finally {
    Error.stackTraceLimit = limit;
  }
}
