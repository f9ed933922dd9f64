/**
 * The last lines a server wrote to stderr, kept so that the error of its exit says why it died
 * (`boom: missing API_KEY`) without debug logs. Bounded: a few lines, each cut short; configured
 * secrets are replaced before a line is kept, since the error reaches statuses and clients.
 */

/** A bounded tail of stderr lines. */
export interface StderrTail {
  push(line: string): void;
  /** ` (stderr: line | line)`, or an empty string when the server wrote nothing worth showing. */
  suffix(): string;
}

/** Lines that say nothing on their own: a stack frame, Node's version trailer, blank lines. */
const NOISE = /^\s*$|^\s+at\s|^Node\.js v\d/;

/** Keeps the last `maxLines` lines of stderr, each at most `maxChars` long. */
export function createStderrTail(secrets: readonly string[], maxLines = 3, maxChars = 200): StderrTail {
  const lines: string[] = [];
  return {
    push(line) {
      if (NOISE.test(line)) return;
      let clean = line.trim();
      for (const secret of secrets)
        if (clean.includes(secret)) clean = clean.split(secret).join('[redacted]');
      lines.push(clean.length > maxChars ? `${clean.slice(0, maxChars)}…` : clean);
      if (lines.length > maxLines) lines.shift();
    },
    suffix() {
      return lines.length === 0 ? '' : ` (stderr: ${lines.join(' | ')})`;
    },
  };
}
