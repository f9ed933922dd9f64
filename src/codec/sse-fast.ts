/**
 * The fast path of SSE decoding: a chunk that holds only whole events, `\n` line endings and
 * nothing unusual, the shape nearly every MCP response stream arrives in (one `message` event,
 * perhaps a priming event before it). Parsed with string splits instead of the byte-level
 * scanner and eventsource-parser, without creating a decoder: a per-call cost on HTTP.
 *
 * Anything else (a partial event, `\r`, a byte-order mark, a line the fast path does not
 * know) returns undefined, and the caller hands the chunk to {@link createSseDecoder}, which
 * then takes every later chunk of that stream.
 *
 * @see https://html.spec.whatwg.org/multipage/server-sent-events.html#event-stream-interpretation
 */

/** One event of a chunk, as the spec's interpretation yields it. */
export interface SseFastEvent {
  /** The `id` field, when the event has one (an empty string clears the last event id). */
  id: string | undefined;
  /** The `event` field; undefined means `message`. */
  event: string | undefined;
  /** The data lines joined by `\n`; undefined when the event had no data line (not dispatched). */
  data: string | undefined;
  /** The `retry` field, when valid. */
  retry: number | undefined;
}

/**
 * Splits a chunk made of whole events.
 *
 * @returns the events in order, or undefined when the chunk needs the full decoder.
 */
export function parseWholeEvents(text: string): SseFastEvent[] | undefined {
  if (!text.endsWith('\n\n') || text.includes('\r') || text.charCodeAt(0) === 0xfeff) return undefined;
  const events: SseFastEvent[] = [];
  let current: SseFastEvent | undefined;
  let start = 0;
  const end = text.length - 1;
  while (start < end) {
    const newline = text.indexOf('\n', start);
    const line = text.slice(start, newline);
    start = newline + 1;
    if (line === '') {
      if (current !== undefined) events.push(current);
      current = undefined;
      continue;
    }
    if (line.charCodeAt(0) === 0x3a) continue; // a comment
    const colon = line.indexOf(':');
    if (colon === -1) return undefined;
    const field = line.slice(0, colon);
    const value = line.charCodeAt(colon + 1) === 0x20 ? line.slice(colon + 2) : line.slice(colon + 1);
    current ??= { id: undefined, event: undefined, data: undefined, retry: undefined };
    if (field === 'data') current.data = current.data === undefined ? value : `${current.data}\n${value}`;
    else if (field === 'id' && !value.includes('\0')) current.id = value;
    else if (field === 'event') current.event = value;
    else if (field === 'retry' && current.retry === undefined && /^\d+$/.test(value))
      current.retry = Number(value);
    else return undefined;
  }
  if (current !== undefined) events.push(current);
  return events;
}
