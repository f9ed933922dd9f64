/**
 * JSON-RPC 2.0 envelopes as MCP uses them, and their validation.
 *
 * Hand-written checks, no schema library: this runs once per message on the hot path, and
 * it checks the envelope only (the SDK validates params and results against the MCP schema).
 *
 * @see https://www.jsonrpc.org/specification
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic (JSON-RPC messages)
 */

import { CodecError, ErrorCode } from '../errors.js';

/** A request or response id: a string or an integer, never null. */
export type RequestId = string | number;

/** A request: expects exactly one response with the same id. */
export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown> | unknown[] | undefined;
}

/** A notification: no id, never answered. */
export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown> | unknown[] | undefined;
}

/** A successful response. */
export interface JsonRpcResultResponse {
  jsonrpc: '2.0';
  id: RequestId;
  result: unknown;
}

/** The error object of an error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown | undefined;
}

/** A failed response. */
export interface JsonRpcErrorResponse {
  jsonrpc: '2.0';
  id: RequestId;
  error: JsonRpcErrorObject;
}

/** A response, successful or not. */
export type JsonRpcResponse = JsonRpcResultResponse | JsonRpcErrorResponse;

/** Any single JSON-RPC message (batches are not part of MCP since 2025-06-18). */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/**
 * What a sender may hand over. The SDK's types also allow an error response without an id
 * (JSON-RPC's answer to a request it could not parse); validation refuses it before the wire.
 */
export type JsonRpcMessageInput =
  | JsonRpcMessage
  | { jsonrpc: '2.0'; id?: RequestId | undefined; error: JsonRpcErrorObject };

/** Standard JSON-RPC error codes. */
export const RpcErrorCode = {
  ParseError: -32700,
  InvalidRequest: -32600,
  MethodNotFound: -32601,
  InvalidParams: -32602,
  InternalError: -32603,
} as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function isValidId(id: unknown): id is RequestId {
  return typeof id === 'string' || (typeof id === 'number' && Number.isInteger(id));
}

/**
 * Checks that a parsed value is one JSON-RPC 2.0 message.
 *
 * @returns `undefined` when it is valid, otherwise a short reason for diagnostics and errors.
 */
export function validateMessage(value: unknown): string | undefined {
  if (!isObject(value)) return Array.isArray(value) ? 'batches are not supported' : 'not an object';
  if (value.jsonrpc !== '2.0') return 'jsonrpc must be "2.0"';
  const hasId = 'id' in value;
  if (hasId && !isValidId(value.id)) return 'id must be a string or an integer';
  if ('method' in value) {
    if (typeof value.method !== 'string' || value.method.length === 0)
      return 'method must be a non-empty string';
    if ('result' in value || 'error' in value) return 'a request carries no result or error';
    const params = value.params;
    if (params !== undefined && (typeof params !== 'object' || params === null)) {
      return 'params must be an object or an array';
    }
    return undefined;
  }
  if (!hasId) return 'neither a request, a notification nor a response';
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (hasResult === hasError) return 'a response has exactly one of result and error';
  if (hasError) {
    const error = value.error;
    if (!isObject(error)) return 'error must be an object';
    if (typeof error.code !== 'number' || !Number.isInteger(error.code))
      return 'error.code must be an integer';
    if (typeof error.message !== 'string') return 'error.message must be a string';
  }
  return undefined;
}

/**
 * Parses one JSON text as one JSON-RPC message: an NDJSON line, an SSE event's data, a
 * WebSocket text frame. `what` names the text in the error ("Inbound line").
 *
 * @returns the message, or a {@link CodecError} (`LIFELINE_ERR_PARSE` for text that is not
 *   JSON, `LIFELINE_ERR_INVALID_ENVELOPE` for JSON that is not a JSON-RPC 2.0 message).
 */
export function parseMessage(text: string, what: string): JsonRpcMessage | CodecError {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (cause) {
    return new CodecError(ErrorCode.Parse, `${what} is not JSON`, { cause });
  }
  const reason = validateMessage(value);
  if (reason === undefined) return value as JsonRpcMessage;
  return new CodecError(ErrorCode.InvalidEnvelope, `${what} is not a JSON-RPC 2.0 message: ${reason}`);
}

/** Whether a value is a valid JSON-RPC message. */
export function isJsonRpcMessage(value: unknown): value is JsonRpcMessage {
  return validateMessage(value) === undefined;
}

/** A request (has an id and a method). Assumes a validated message. */
export function isRequest(message: JsonRpcMessage): message is JsonRpcRequest {
  return 'method' in message && 'id' in message;
}

/** A notification (a method, no id). Assumes a validated message. */
export function isNotification(message: JsonRpcMessage): message is JsonRpcNotification {
  return 'method' in message && !('id' in message);
}

/** A response (an id, no method). Assumes a validated message. */
export function isResponse(message: JsonRpcMessage): message is JsonRpcResponse {
  return !('method' in message);
}

/** An error response. Assumes a validated message. */
export function isErrorResponse(message: JsonRpcMessage): message is JsonRpcErrorResponse {
  return 'error' in message && !('method' in message);
}

/** Builds an error response for a request id. */
export function errorResponse(
  id: RequestId,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcErrorResponse {
  const error: JsonRpcErrorObject = data === undefined ? { code, message } : { code, message, data };
  return { jsonrpc: '2.0', id, error };
}
