/**
 * Server-Sent Events decoding for MCP over HTTP: the response streams of Streamable HTTP (both
 * eras) and the event stream of the deprecated HTTP+SSE transport.
 *
 * Fields are parsed by eventsource-parser. Around it runs a byte-level line scanner for what
 * the parser cannot do: bound memory (the parser buffers an event's data until its blank line,
 * so one endless event would grow without limit), skip an oversize event up to its blank line
 * and resume, and notice id-only events, which the parser drops although their id becomes the
 * stream's last event id all the same (WHATWG, "dispatch the event", step 1).
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#streamable-http
 */

import { createParser, type EventSourceMessage, type ParseError } from 'eventsource-parser';
import { CodecError, ErrorCode } from '../errors.js';
import { type JsonRpcMessage, parseMessage } from './jsonrpc.js';
import { DEFAULT_MAX_MESSAGE_BYTES } from './ndjson.js';

/** How many bytes of a rejected event's data are kept for diagnostics. */
const EDGE_BYTES = 256;
/** Enough of a line to know its field: `data: ` is the longest prefix the scanner looks at. */
const PREFIX_BYTES = 6;
const LF = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const COLON = 0x3a;
const DATA_FIELD = [0x64, 0x61, 0x74, 0x61];
const ID_FIELD = [0x69, 0x64];
const BOM = [0xef, 0xbb, 0xbf];
const NEWLINE = new Uint8Array([LF]);
const EMPTY = new Uint8Array(0);

/** What kind of problem a {@link SseProblem} reports. */
export type SseProblemType = 'invalid-json' | 'invalid-envelope' | 'oversize' | 'invalid-sse';

/** Something in the stream the decoder could not turn into a message. Decoding goes on after it. */
export interface SseProblem {
  type: SseProblemType;
  /**
   * A typed error: `LIFELINE_ERR_PARSE` (bad JSON, and for `invalid-sse` a bad line or a stream
   * that ended inside an event), `_INVALID_ENVELOPE` or `_MESSAGE_TOO_LARGE`.
   */
  error: CodecError;
  /** Size in bytes of the event's data (for `invalid-sse`, of the line). For `oversize`, the count when the limit was crossed. */
  bytes: number;
  /** The start of the data or line (at most 256 bytes), decoded leniently; enough to find a request id. */
  head: string;
}

/** An event whose type is neither absent nor `message`, such as HTTP+SSE's `endpoint`. */
export interface SseEvent {
  event: string;
  id: string | undefined;
  data: string;
}

/** Options of {@link createSseDecoder}. Callbacks run synchronously inside `feed`, in stream order. */
export interface SseDecoderOptions {
  /** Each JSON-RPC message carried by an event of type `message` (or no type), with the event's id. */
  onMessage: (message: JsonRpcMessage, eventId: string | undefined) => void;
  /** Each event of any other type; these never reach `onMessage` or count as problems. */
  onEvent?: (event: SseEvent) => void;
  /**
   * Each event id, before the event itself is handled: priming events with empty data and
   * id-only events included. Keep the latest for `Last-Event-ID`; an empty id means the server
   * cleared it (send none).
   */
  onId?: (id: string) => void;
  /** Each valid `retry:` field, in milliseconds, unclamped. */
  onRetry?: (ms: number) => void;
  /** Each comment line (`: keep-alive`), without the colon and one leading space. */
  onComment?: (comment: string) => void;
  /** Each problem; optional, problems are dropped without it. */
  onProblem?: (problem: SseProblem) => void;
  /** An event whose data exceeds this many bytes (or any line longer than this) is skipped and reported. */
  maxMessageBytes?: number;
}

/** A streaming SSE decoder. */
export interface SseDecoder {
  /** Feeds the next chunk, bytes or text. Nothing is kept by reference after it returns. */
  feed(chunk: Uint8Array | string): void;
  /** Drops any partial event and starts over, as for a new stream (a reconnection). */
  reset(): void;
  /** Ends the stream: an unfinished event is discarded (reported if it had data), then as `reset`. */
  end(): void;
  /** Bytes of the unfinished event counted against the limit: its data and the partial line. */
  readonly bufferedBytes: number;
}

type LineKind = 'data' | 'id' | 'other';

// Lenient, and keeping a leading U+FEFF: heads are shown as they were.
const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
const encoder = new TextEncoder();

/**
 * Creates a decoder for an SSE stream carrying JSON-RPC messages.
 *
 * @example
 * ```ts
 * const decoder = createSseDecoder({ onMessage: (m) => handle(m), onId: (id) => (lastEventId = id) });
 * for await (const chunk of response.body) decoder.feed(chunk);
 * decoder.end();
 * ```
 */
export function createSseDecoder(options: SseDecoderOptions): SseDecoder {
  const { onMessage, onEvent, onId, onProblem } = options;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  // The scanner strips the stream's byte-order mark itself, so the text decoder must keep any other.
  const text = new TextDecoder('utf-8', { ignoreBOM: true });
  const parser = createParser({
    onEvent: dispatch,
    onRetry: (ms) => options.onRetry?.(ms),
    onComment: options.onComment,
    onError: invalidLine,
  });

  // Stream: BOM bytes matched at the start (-1 once past it), whether the last line ended in a
  // CR (a following LF belongs to it), and whether an oversize event is being skipped.
  let bomMatched = 0;
  let afterCr = false;
  let skipping = false;
  // Current line: its size, first bytes, field, and for a data line where its value starts and
  // whether a `\n` joins it to an earlier data line.
  let lineBytes = 0;
  const prefix = new Uint8Array(PREFIX_BYTES);
  let kind: LineKind | undefined;
  let valueStart = 0;
  let joiner = 0;
  // Current event: data bytes of its finished data lines, their count, whether it has an id.
  let dataBytes = 0;
  let dataLines = 0;
  let hasId = false;
  const head = new Uint8Array(EDGE_BYTES);
  let headLength = 0;
  // Current chunk: how far the parser has been fed, where the current line starts.
  let chunk: Uint8Array = EMPTY;
  let fedTo = 0;
  let lineStart = 0;
  let synthetic = false;

  function dispatch(event: EventSourceMessage): void {
    const { id } = event;
    if (id !== undefined) onId?.(id);
    if (synthetic) return;
    if (event.event !== undefined && event.event !== 'message') {
      onEvent?.({ event: event.event, id, data: event.data });
      return;
    }
    // Empty data is a priming event (2025-11-25): it only carries the id.
    if (event.data === '') return;
    const decoded = parseMessage(event.data, 'Inbound SSE event data');
    if (decoded instanceof CodecError) {
      report(decoded.code === ErrorCode.Parse ? 'invalid-json' : 'invalid-envelope', decoded, event.data);
      return;
    }
    onMessage(decoded, id);
  }

  function invalidLine(error: ParseError): void {
    report(
      'invalid-sse',
      new CodecError(ErrorCode.Parse, `Invalid SSE line: ${error.message}`, { cause: error }),
      error.line ?? '',
    );
  }

  function report(type: SseProblemType, error: CodecError, data: string): void {
    if (onProblem === undefined) return;
    const bytes = encoder.encode(data);
    onProblem({ type, error, bytes: bytes.length, head: utf8.decode(bytes.subarray(0, EDGE_BYTES)) });
  }

  function keepHead(bytes: Uint8Array): void {
    const room = EDGE_BYTES - headLength;
    if (room <= 0 || bytes.length === 0) return;
    const piece = bytes.subarray(0, room);
    head.set(piece, headLength);
    headLength += piece.length;
  }

  function feedParser(to: number): void {
    if (to > fedTo) {
      parser.feed(text.decode(chunk.subarray(fedTo, to), { stream: true }));
      // The parser holds a final CR until it sees whether an LF follows; the scanner knows the
      // line has ended, so says so now (and skips that LF if it comes: see `scan`).
      if (chunk[to - 1] === CR) parser.feed('\n');
    }
    fedTo = to;
  }

  function settle(complete: boolean): void {
    const n = Math.min(lineBytes, PREFIX_BYTES);
    kind = hasField(prefix, n, DATA_FIELD, complete)
      ? 'data'
      : hasField(prefix, n, ID_FIELD, complete)
        ? 'id'
        : 'other';
    if (kind !== 'data') return;
    valueStart = n <= 5 ? n : prefix[5] === SPACE ? 6 : 5;
    joiner = dataLines > 0 ? 1 : 0;
    if (joiner === 1) keepHead(NEWLINE);
    keepHead(prefix.subarray(valueStart, n));
  }

  function take(start: number, end: number): void {
    if (start === end) return;
    const before = lineBytes;
    lineBytes += end - start;
    if (skipping) return;
    if (before < PREFIX_BYTES)
      prefix.set(chunk.subarray(start, Math.min(end, start + PREFIX_BYTES - before)), before);
    if (kind === undefined && lineBytes >= PREFIX_BYTES) settle(false);
    if (kind === 'data') {
      keepHead(chunk.subarray(Math.min(end, start + Math.max(0, PREFIX_BYTES - before)), end));
      const size = dataBytes + joiner + lineBytes - valueStart;
      if (size > maxBytes) tooLarge(size);
    } else if (kind !== undefined && lineBytes > maxBytes) {
      tooLarge(lineBytes);
    }
  }

  function endLine(end: number): void {
    if (lineBytes === 0) {
      endEvent(end);
      return;
    }
    if (!skipping) {
      if (kind === undefined) settle(true);
      if (kind === 'data') {
        dataBytes += joiner + lineBytes - valueStart;
        dataLines++;
      } else if (kind === 'id') {
        hasId = true;
      }
    }
    lineBytes = 0;
    kind = undefined;
    // Empty `data` lines add only their joining newlines, so they are checked here, not in `take`.
    if (!skipping && dataBytes > maxBytes) tooLarge(dataBytes);
  }

  function endEvent(end: number): void {
    if (skipping) {
      skipping = false;
      fedTo = end + 1;
    } else if (hasId && dataLines === 0) {
      feedParser(end);
      synthetic = true;
      try {
        parser.feed('data\n\n');
      } finally {
        synthetic = false;
      }
      fedTo = end + 1;
    }
    clearEvent();
  }

  function tooLarge(size: number): void {
    feedParser(lineStart);
    parser.reset();
    text.decode();
    skipping = true;
    const message = `Inbound SSE event of at least ${size} bytes exceeds limits.maxMessageBytes (${maxBytes})`;
    reportHead('oversize', new CodecError(ErrorCode.MessageTooLarge, message), size);
    clearEvent();
  }

  // For problems found by the scanner, whose data never reached the parser in full.
  function reportHead(type: SseProblemType, error: CodecError, bytes: number): void {
    onProblem?.({ type, error, bytes, head: utf8.decode(head.subarray(0, headLength)) });
  }

  function clearEvent(): void {
    dataBytes = 0;
    dataLines = 0;
    hasId = false;
    headLength = 0;
  }

  function scan(bytes: Uint8Array): void {
    chunk = bytes;
    fedTo = 0;
    lineStart = 0;
    let pos = 0;
    let lf = bytes.indexOf(LF);
    let cr = bytes.indexOf(CR);
    while (pos < bytes.length) {
      if (lf !== -1 && lf < pos) lf = bytes.indexOf(LF, pos);
      if (cr !== -1 && cr < pos) cr = bytes.indexOf(CR, pos);
      if (afterCr) {
        afterCr = false;
        if (bytes[pos] === LF) {
          // The parser was already told the line ended (or never saw its CR).
          if (fedTo === pos) fedTo = pos + 1;
          pos++;
          lineStart = pos;
          continue;
        }
      }
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) {
        take(pos, bytes.length);
        break;
      }
      take(pos, end);
      afterCr = bytes[end] === CR;
      endLine(end);
      pos = end + 1;
      lineStart = pos;
    }
    if (!skipping) feedParser(bytes.length);
    chunk = EMPTY;
  }

  function feed(input: Uint8Array | string): void {
    let bytes = typeof input === 'string' ? encoder.encode(input) : input;
    let skip = 0;
    while (bomMatched >= 0 && skip < bytes.length) {
      if (bytes[skip] !== BOM[bomMatched]) {
        // Not a BOM after all: the bytes held back are content.
        const held = new Uint8Array(BOM.slice(0, bomMatched));
        bomMatched = -1;
        if (held.length > 0) scan(held);
        break;
      }
      skip++;
      bomMatched = bomMatched === 2 ? -1 : bomMatched + 1;
    }
    bytes = bytes.subarray(skip);
    if (bytes.length > 0) scan(bytes);
  }

  function reset(): void {
    parser.reset();
    text.decode();
    bomMatched = 0;
    afterCr = false;
    skipping = false;
    lineBytes = 0;
    kind = undefined;
    clearEvent();
  }

  function end(): void {
    if (!skipping && lineBytes > 0 && kind === undefined) settle(true);
    if (!skipping && (dataLines > 0 || kind === 'data')) {
      const bytes = dataBytes + (kind === 'data' ? joiner + lineBytes - valueStart : 0);
      const message = `SSE stream ended inside an event (${bytes} bytes of data lost)`;
      reportHead('invalid-sse', new CodecError(ErrorCode.Parse, message), bytes);
    }
    reset();
  }

  return {
    feed,
    reset,
    end,
    get bufferedBytes() {
      return skipping ? 0 : dataBytes + lineBytes;
    },
  };
}

/** Whether a line's first bytes name `field`: `field:` and a value, or the bare name (an empty value). */
function hasField(prefix: Uint8Array, length: number, field: readonly number[], complete: boolean): boolean {
  if (length < field.length) return false;
  for (let i = 0; i < field.length; i++) {
    if (prefix[i] !== field[i]) return false;
  }
  return length > field.length ? prefix[field.length] === COLON : complete;
}
