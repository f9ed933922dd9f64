/**
 * Finding out, without parsing, whom a message was for: the edges of a message that was too
 * large to keep are all that is left of it, and a request must still be answered.
 */

import type { RequestId } from './jsonrpc.js';

// A whole integer only: `1.5` or `1e3` is no id, and its `1` must not be taken for one.
const ID_VALUE = String.raw`("(?:[^"\\]|\\.)*"|-?\d+(?![\d.eE]))`;
const ID_AT_END = new RegExp(String.raw`"id"\s*:\s*${ID_VALUE}\s*}\s*$`);
const ID_AT_START = new RegExp(String.raw`^\s*{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"id"\s*:\s*${ID_VALUE}`);
const METHOD_AT_START = /^\s*{\s*(?:"jsonrpc"\s*:\s*"2\.0"\s*,\s*)?"method"\s*:/;

/**
 * Finds the top-level id of a message from the edges of its line, without parsing it. The
 * SDK writes `{"result":…,"jsonrpc":"2.0","id":7}` (id last); others write the id first.
 */
export function recoverId(head: string, tail: string): RequestId | undefined {
  const match = ID_AT_END.exec(tail) ?? ID_AT_START.exec(head);
  if (match?.[1] === undefined) return undefined;
  try {
    return JSON.parse(match[1]) as RequestId;
  } catch {
    return undefined;
  }
}

/** Whether the start of a line looks like a notification (a method and, by elimination, no id). */
export function looksLikeNotification(head: string): boolean {
  return METHOD_AT_START.test(head);
}

/**
 * The id of the request an unreadable line answers, if it names one: an id at an edge of the
 * line and no `method` near its start (a request or notification from the server is not an
 * answer, and failing one of ours for it would be wrong).
 */
export function unreadableAnswerId(head: string, tail: string): RequestId | undefined {
  if (looksLikeNotification(head) || /"method"\s*:/.test(head)) return undefined;
  return recoverId(head, tail);
}
