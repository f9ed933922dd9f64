/**
 * Request metadata headers of modern-era (2026-07-28) Streamable HTTP: `MCP-Protocol-Version`,
 * `Mcp-Method` and `Mcp-Name` mirrored from a request's body, the `=?base64?…?=` value encoding,
 * and the merge of caller-supplied per-request headers.
 *
 * Derived exactly as the official SDK v2 client derives them (@modelcontextprotocol/client 2.4:
 * `_applyBodyDerivedHeaders`, `encodeMcpParamValue`, `MCP_NAME_HEADER_SOURCE`), since servers
 * reject a request whose headers and body disagree (-32020 HeaderMismatch).
 *
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http#request-metadata
 */

import { isRequest, type JsonRpcMessage } from './jsonrpc.js';

/** The `_meta` key carrying a modern request's protocol version (the SDK's `PROTOCOL_VERSION_META_KEY`). */
export const PROTOCOL_VERSION_META_KEY = 'io.modelcontextprotocol/protocolVersion';

/**
 * Which `params` field `Mcp-Name` mirrors, per method. The spec's three rows, plus the task
 * methods of SEP-2663, as in the SDK's table.
 */
export const MCP_NAME_SOURCE: Readonly<Record<string, 'name' | 'uri' | 'taskId'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
  'tasks/get': 'taskId',
  'tasks/update': 'taskId',
  'tasks/cancel': 'taskId',
};

const SENTINEL_PREFIX = '=?base64?';
const SENTINEL_SUFFIX = '?=';
const CANONICAL_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
/** RFC 9110 `token`, the syntax of a field name. */
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
// Keeps a leading U+FEFF: the SDK server's decoder strips it, so that value never round-trips there.
const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Header names a caller's per-request headers cannot set. The SDK's list (credentials and
 * session from connection state; version, method and name from the body, where an override
 * would contradict the body), plus what the transport itself owns: `accept` (both media types
 * are required), `last-event-id` (resumption), and framing headers that fetch refuses or a
 * proxy would misread.
 */
export const RESERVED_HEADER_NAMES: ReadonlySet<string> = new Set([
  'authorization',
  'dpop',
  'content-type',
  'mcp-protocol-version',
  'mcp-method',
  'mcp-name',
  'mcp-session-id',
  'accept',
  'last-event-id',
  'host',
  'content-length',
  'connection',
  'keep-alive',
  'transfer-encoding',
  'te',
  'trailer',
  'upgrade',
  'expect',
]);

function isSentinel(value: string): boolean {
  return value.startsWith(SENTINEL_PREFIX) && value.endsWith(SENTINEL_SUFFIX);
}

/** Whether a value cannot travel as a plain header value (the SDK's `needsBase64`). */
function needsEncoding(value: string): boolean {
  // Empty and padded values would be lost or trimmed in transit; sentinel look-alikes would be misread.
  if (value.length === 0 || isSentinel(value) || value !== value.trim()) return true;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c > 0x7e)) return true;
  }
  return false;
}

/**
 * Encodes a value for `Mcp-Name` or `Mcp-Param-*`: as is when it is plain visible ASCII, else
 * `=?base64?<base64 of its UTF-8>?=` (lone surrogates become U+FFFD, as with the SDK).
 *
 * @example
 * ```ts
 * encodeHeaderValue('get_weather'); // 'get_weather'
 * encodeHeaderValue('Hello, 世界'); // '=?base64?SGVsbG8sIOS4lueVjA==?='
 * ```
 * @see https://modelcontextprotocol.io/specification/2026-07-28/basic/transports/streamable-http#value-encoding
 */
export function encodeHeaderValue(value: string): string {
  if (!needsEncoding(value)) return value;
  let binary = '';
  for (const byte of new TextEncoder().encode(value)) binary += String.fromCharCode(byte);
  return `${SENTINEL_PREFIX}${btoa(binary)}${SENTINEL_SUFFIX}`;
}

/**
 * Decodes a header value written by {@link encodeHeaderValue}: a sentinel-wrapped value is
 * Base64-decoded, anything else is returned as is.
 *
 * @returns `undefined` for a sentinel whose payload is not canonical Base64 of valid UTF-8,
 * which the spec requires a server to reject.
 */
export function decodeHeaderValue(value: string): string | undefined {
  if (!isSentinel(value)) return value;
  const payload = value.slice(SENTINEL_PREFIX.length, value.length - SENTINEL_SUFFIX.length);
  if (!CANONICAL_BASE64.test(payload)) return undefined;
  const binary = atob(payload);
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  try {
    return strictUtf8.decode(bytes);
  } catch {
    return undefined;
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The protocol version a request's body claims in `params._meta`; `undefined` for legacy requests and other messages. */
export function envelopeVersion(message: JsonRpcMessage): string | undefined {
  if (!isRequest(message) || !isObject(message.params)) return undefined;
  const meta = message.params._meta;
  const version = isObject(meta) ? meta[PROTOCOL_VERSION_META_KEY] : undefined;
  return typeof version === 'string' ? version : undefined;
}

/**
 * The headers a request's body dictates, with lower-case names: `mcp-protocol-version` and
 * `mcp-method`, and `mcp-name` (encoded) when the method has a name source that is a string.
 * Like the SDK, any string version in the envelope triggers them and version and method are
 * copied unencoded. Empty for notifications, responses and requests without an envelope.
 */
export function bodyHeaders(message: JsonRpcMessage): Record<string, string> {
  const version = envelopeVersion(message);
  if (version === undefined || !isRequest(message)) return {};
  const headers: Record<string, string> = { 'mcp-protocol-version': version, 'mcp-method': message.method };
  // Own properties only: the method is caller data and must not find `constructor` and friends.
  const field = Object.hasOwn(MCP_NAME_SOURCE, message.method) ? MCP_NAME_SOURCE[message.method] : undefined;
  const name = field !== undefined && isObject(message.params) ? message.params[field] : undefined;
  if (typeof name === 'string') headers['mcp-name'] = encodeHeaderValue(name);
  return headers;
}

/** Whether a value is an RFC 9110 field value: tab, visible ASCII, space and obs-text, nothing else. */
function isFieldValue(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c !== 0x09 && (c < 0x20 || c === 0x7f || c > 0xff)) return false;
  }
  return true;
}

/**
 * Copies caller-supplied per-request headers (such as the SDK's `Mcp-Param-*`) into `target`
 * under lower-case names, so give `target` lower-case names too. Skipped, silently as the SDK
 * does: reserved names (any case), names that are not tokens, and values that are not strings
 * or not valid field values, CR and LF above all (header injection).
 */
export function mergeRequestHeaders(
  target: Record<string, string>,
  extra: Record<string, string> | undefined,
): void {
  if (extra === undefined) return;
  for (const [name, value] of Object.entries(extra)) {
    const lower = name.toLowerCase();
    if (RESERVED_HEADER_NAMES.has(lower) || !TOKEN.test(name)) continue;
    if (typeof value !== 'string' || !isFieldValue(value)) continue;
    target[lower] = value;
  }
}
