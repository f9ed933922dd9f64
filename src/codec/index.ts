/**
 * The codec layer: pure functions, no I/O, no timers. Available as `mcp-lifeline/codec`.
 */
export {
  errorResponse,
  isErrorResponse,
  isJsonRpcMessage,
  isNotification,
  isRequest,
  isResponse,
  type JsonRpcErrorObject,
  type JsonRpcErrorResponse,
  type JsonRpcMessage,
  type JsonRpcNotification,
  type JsonRpcRequest,
  type JsonRpcResponse,
  type JsonRpcResultResponse,
  type RequestId,
  RpcErrorCode,
  validateMessage,
} from './jsonrpc.js';
export {
  createNdjsonDecoder,
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMessage,
  type NdjsonDecoder,
  type NdjsonDecoderOptions,
  type NdjsonProblem,
  type NdjsonProblemType,
} from './ndjson.js';
