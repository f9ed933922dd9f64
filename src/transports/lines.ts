/**
 * Splits a byte stream into text lines for diagnostics (stderr). Lines longer than
 * `maxLineBytes` are cut, so a server that never writes a newline cannot grow our memory.
 */

const NEWLINE = 0x0a;

/** Returns a chunk handler that calls `onLine` for each complete line (without `\n` or `\r`). */
export function createLineSplitter(
  onLine: (line: string) => void,
  maxLineBytes = 8192,
): (chunk: Uint8Array) => void {
  const decoder = new TextDecoder();
  let partial = '';
  return (chunk) => {
    let start = 0;
    let newline = chunk.indexOf(NEWLINE);
    while (newline !== -1) {
      const line = partial + decoder.decode(chunk.subarray(start, newline));
      partial = '';
      const trimmed = line.endsWith('\r') ? line.slice(0, -1) : line;
      if (trimmed.length > 0) onLine(trimmed);
      start = newline + 1;
      newline = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) {
      partial += decoder.decode(chunk.subarray(start), { stream: true });
      if (partial.length > maxLineBytes) {
        onLine(`${partial.slice(0, maxLineBytes)}…`);
        partial = '';
      }
    }
  };
}
