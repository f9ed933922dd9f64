/**
 * The codec layer: pure functions, no I/O, no timers. Available as `mcp-lifeline/codec`.
 */
export {
  bodyHeaders,
  decodeHeaderValue,
  encodeHeaderValue,
  envelopeVersion,
  MCP_NAME_SOURCE,
  mergeRequestHeaders,
  PROTOCOL_VERSION_META_KEY,
  RESERVED_HEADER_NAMES,
} from './headers.js';
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
export {
  createSseDecoder,
  type SseDecoder,
  type SseDecoderOptions,
  type SseEvent,
  type SseProblem,
  type SseProblemType,
} from './sse.js';
