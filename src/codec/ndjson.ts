/**
 * Newline-delimited JSON framing: the stdio transport's wire format, reused by every byte
 * stream (Docker's attached stdio, sockets).
 *
 * The decoder works on bytes, in time linear in the input: each chunk is scanned once for
 * `\n`, the pieces of a line are kept as a list and joined once when the line ends, and only
 * whole lines are decoded as UTF-8, so a chunk boundary inside a multi-byte character is
 * harmless. (The SDK's `ReadBuffer` re-concatenates its whole buffer on every chunk, which is
 * quadratic in the size of one large message.) Text a server wrote without a newline before a
 * message does not cost that message: it is recovered from the end of the line (see `salvage`).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#stdio
 */

import { CodecError, ErrorCode } from '../errors.js';
import { type JsonRpcMessage, parseMessage } from './jsonrpc.js';

/** Default maximum size of one message, in bytes (the line without its newline). */
export const DEFAULT_MAX_MESSAGE_BYTES = 16 * 1024 * 1024;

/** How many bytes of a rejected line's start and end are kept for diagnostics. */
const EDGE_BYTES = 256;

const NEWLINE = 0x0a;
const CARRIAGE_RETURN = 0x0d;

/** What kind of problem a {@link NdjsonProblem} reports. */
export type NdjsonProblemType = 'invalid-json' | 'invalid-envelope' | 'oversize';

/**
 * A line the decoder could not turn into a message. Decoding goes on after it. When the line
 * ends in a whole message after text that is not JSON, the problem (`invalid-json`, the text)
 * is reported first, then the message is delivered.
 */
export interface NdjsonProblem {
  type: NdjsonProblemType;
  /** A typed error describing the problem (`LIFELINE_ERR_PARSE`, `_INVALID_ENVELOPE`, `_MESSAGE_TOO_LARGE`). */
  error: CodecError;
  /** Size of the whole line in bytes. */
  bytes: number;
  /** The start of the line (at most 256 bytes), decoded leniently, for diagnostics. */
  head: string;
  /** The end of the line (at most 256 bytes), decoded leniently. */
  tail: string;
  /** A whole message was recovered from the end of the line and is delivered right after this report. */
  recovered?: true;
}

/** Options of {@link createNdjsonDecoder}. */
export interface NdjsonDecoderOptions {
  /** Called for each valid JSON-RPC message, in order. */
  onMessage: (message: JsonRpcMessage) => void;
  /** Called for each line that is not a message; optional, problems are dropped without it. */
  onProblem?: (problem: NdjsonProblem) => void;
  /** Lines longer than this (in bytes, without the newline) are skipped and reported. */
  maxMessageBytes?: number;
}

/** A streaming NDJSON decoder. */
export interface NdjsonDecoder {
  /**
   * Feeds the next chunk of bytes; calls `onMessage`/`onProblem` for every line it completes.
   * The chunk is kept by reference until its line ends, so do not reuse its memory.
   */
  feed(chunk: Uint8Array): void;
  /** Drops any partial line (use when the underlying stream restarts). */
  reset(): void;
  /** Bytes of the current partial line held in memory. */
  readonly bufferedBytes: number;
}

const utf8 = new TextDecoder('utf-8', { fatal: false });

/**
 * Creates a decoder for newline-delimited JSON-RPC messages.
 *
 * @example
 * ```ts
 * const decoder = createNdjsonDecoder({ onMessage: (m) => console.log(m), maxMessageBytes: 1 << 20 });
 * child.stdout.on('data', (chunk) => decoder.feed(chunk));
 * ```
 */
export function createNdjsonDecoder(options: NdjsonDecoderOptions): NdjsonDecoder {
  const { onMessage, onProblem } = options;
  const maxBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  // The current partial line: its pieces, their total size, and (once over the limit) only
  // the count and the edges, so an oversize line costs no memory.
  let pieces: Uint8Array[] = [];
  let pending = 0;
  let skipping = false;
  let skippedHead: Uint8Array | undefined;
  let skippedTail = new Uint8Array(0);

  function reset(): void {
    pieces = [];
    pending = 0;
    skipping = false;
    skippedHead = undefined;
    skippedTail = new Uint8Array(0);
  }

  function report(
    type: NdjsonProblemType,
    error: CodecError,
    bytes: number,
    head: Uint8Array,
    tail: Uint8Array,
    recovered = false,
  ): void {
    const problem: NdjsonProblem = { type, error, bytes, head: utf8.decode(head), tail: utf8.decode(tail) };
    if (recovered) problem.recovered = true;
    onProblem?.(problem);
  }

  // While skipping, one byte more than the tail is kept: the line's last byte may be the `\r`
  // of a CRLF, which is not part of the message.
  function keepTail(piece: Uint8Array): void {
    if (piece.length >= EDGE_BYTES + 1) {
      skippedTail = piece.slice(piece.length - (EDGE_BYTES + 1));
      return;
    }
    const joined = new Uint8Array(Math.min(EDGE_BYTES + 1, skippedTail.length + piece.length));
    const fromOld = joined.length - piece.length;
    joined.set(skippedTail.subarray(skippedTail.length - fromOld), 0);
    joined.set(piece, fromOld);
    skippedTail = joined;
  }

  function startSkipping(): void {
    const whole = join(pieces, pending);
    skippedHead = whole.slice(0, EDGE_BYTES);
    skippedTail = whole.slice(Math.max(0, whole.length - (EDGE_BYTES + 1)));
    pieces = [];
    skipping = true;
  }

  function append(piece: Uint8Array): void {
    if (piece.length === 0) return;
    pending += piece.length;
    if (skipping) {
      keepTail(piece);
      return;
    }
    pieces.push(piece);
    // One byte of slack for the `\r` of a CRLF ending; finishLine checks the exact size.
    if (pending > maxBytes + 1) startSkipping();
  }

  function reportOversize(bytes: number, head: Uint8Array, tail: Uint8Array): void {
    const error = new CodecError(
      ErrorCode.MessageTooLarge,
      `Inbound message of ${bytes} bytes exceeds limits.maxMessageBytes (${maxBytes})`,
    );
    report('oversize', error, bytes, head, tail);
  }

  function finishLine(): void {
    if (skipping) {
      const tail = stripCarriageReturn(skippedTail);
      // The size, head and tail of the line without the `\r` of a CRLF ending.
      const bytes = pending - (skippedTail.length - tail.length);
      const head = (skippedHead ?? new Uint8Array(0)).subarray(0, bytes);
      reset();
      reportOversize(bytes, head, edge(tail));
      return;
    }
    const line = stripCarriageReturn(pieces.length === 1 ? (pieces[0] as Uint8Array) : join(pieces, pending));
    pieces = [];
    pending = 0;
    if (line.length > maxBytes) {
      reportOversize(line.length, line.subarray(0, EDGE_BYTES), edge(line));
      return;
    }
    if (line.length === 0 || isBlank(line)) return;
    decodeLine(line);
  }

  function decodeLine(line: Uint8Array): void {
    const text = utf8.decode(line);
    const what = `Inbound line (${line.length} bytes)`;
    const decoded = parseMessage(text, what);
    if (!(decoded instanceof CodecError)) {
      onMessage(decoded);
      return;
    }
    const type = decoded.code === ErrorCode.Parse ? 'invalid-json' : 'invalid-envelope';
    const found = type === 'invalid-json' ? salvage(text) : undefined;
    if (found === undefined) {
      report(type, decoded, line.length, line.subarray(0, EDGE_BYTES), edge(line));
      return;
    }
    const error = new CodecError(
      ErrorCode.Parse,
      `${what} starts with ${found.skipped} characters that are not JSON; the message after them was recovered`,
      { cause: decoded.cause },
    );
    report(type, error, line.length, line.subarray(0, EDGE_BYTES), edge(line), true);
    onMessage(found.message);
  }

  function feed(chunk: Uint8Array): void {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE, start);
    while (newline !== -1) {
      append(chunk.subarray(start, newline));
      finishLine();
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    // Kept by reference until its line ends: Node's streams hand out a fresh buffer per chunk.
    if (start < chunk.length) append(chunk.subarray(start));
  }

  return {
    feed,
    reset,
    get bufferedBytes() {
      return skipping ? 0 : pending;
    },
  };
}

/** How many `{"` of a line that is not JSON are tried as the start of a message after text. */
const SALVAGE_TRIES = 4;

/**
 * The message at the end of a line that is not JSON, when text without a newline came before
 * it: a server's `process.stdout.write('Loading...')` joins the next message's line, whose
 * request would otherwise never be answered. Tried at the first few `{"` only (each try parses
 * the rest of the line), leftmost first, and only a whole valid message counts.
 */
function salvage(text: string): { message: JsonRpcMessage; skipped: number } | undefined {
  let at = text.indexOf('{"', 1);
  for (let tries = 0; at !== -1 && tries < SALVAGE_TRIES; tries += 1) {
    const decoded = parseMessage(text.slice(at), '');
    if (!(decoded instanceof CodecError)) return { message: decoded, skipped: at };
    at = text.indexOf('{"', at + 1);
  }
  return undefined;
}

function join(pieces: readonly Uint8Array[], total: number): Uint8Array {
  if (pieces.length === 1) return pieces[0] as Uint8Array;
  const out = new Uint8Array(total);
  let offset = 0;
  for (const piece of pieces) {
    out.set(piece, offset);
    offset += piece.length;
  }
  return out;
}

function stripCarriageReturn(line: Uint8Array): Uint8Array {
  return line.length > 0 && line[line.length - 1] === CARRIAGE_RETURN
    ? line.subarray(0, line.length - 1)
    : line;
}

function edge(line: Uint8Array): Uint8Array {
  return line.subarray(Math.max(0, line.length - EDGE_BYTES));
}

function isBlank(line: Uint8Array): boolean {
  for (const byte of line) {
    if (byte !== 0x20 && byte !== 0x09) return false;
  }
  return true;
}

/**
 * Encodes one message as one NDJSON line. `JSON.stringify` never emits a raw newline (it
 * escapes them inside strings), so the result is always exactly one line.
 */
export function encodeMessage(message: JsonRpcMessage): string {
  return `${JSON.stringify(message)}\n`;
}
