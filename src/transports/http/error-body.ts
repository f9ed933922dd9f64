/**
 * The body of an HTTP error response: read within bounds (a body that never ends, or never
 * stops, must not hold the request it refuses), and shown in messages as one line of text: an
 * nginx or load balancer page becomes `502 Bad Gateway nginx/1.25.3`, never its markup.
 */

import type { Readable } from 'node:stream';

/** How long an error body may take to arrive, in ms. It only feeds a message: 2 s is plenty. */
export const ERROR_BODY_MS = 2000;

/** How many characters of an error body a message shows. */
export const EXCERPT_CHARS = 200;

/** An error body as read: its text (at most the limit), and why it was cut, if it was. */
export interface ErrorBody {
  text: string | undefined;
  /** `time`: it did not end in time; `size`: it went on past the limit; `broken`: the connection broke. */
  cut?: 'time' | 'size' | 'broken' | undefined;
}

/**
 * Reads an error response's body: at most `limit` bytes, within `ms`. Whatever came by then is
 * kept and the rest is discarded (the stream destroyed). Never rejects, never outlives `ms`.
 */
export function readErrorBody(body: Readable, limit: number, ms: number = ERROR_BODY_MS): Promise<ErrorBody> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let bytes = 0;
    let settled = false;
    const finish = (cut?: ErrorBody['cut']): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      body.off('data', onData).off('end', onEnd).off('error', onError);
      if (cut !== undefined && cut !== 'broken') {
        body.on('error', () => {});
        body.destroy();
      }
      const text =
        bytes === 0 && cut !== undefined ? undefined : Buffer.concat(chunks, bytes).toString('utf8');
      resolve(cut === undefined ? { text } : { text, cut });
    };
    const onData = (chunk: Buffer): void => {
      const room = limit - bytes;
      if (chunk.length > room) {
        chunks.push(chunk.subarray(0, room));
        bytes = limit;
        finish('size');
        return;
      }
      chunks.push(chunk);
      bytes += chunk.length;
    };
    const onEnd = (): void => finish();
    const onError = (): void => finish('broken');
    const timer = setTimeout(() => finish('time'), ms);
    body.on('data', onData).once('end', onEnd).once('error', onError);
  });
}

const ENTITIES: Readonly<Record<string, string>> = {
  amp: '&',
  quot: '"',
  apos: "'",
  nbsp: ' ',
  '#39': "'",
};

/**
 * One line of printable text from an error body, at most `max` characters: JSON compacted,
 * markup dropped (the `<head>` of a page with a body, scripts, styles, comments, tags), common
 * entities decoded (not `&lt;` and `&gt;`: no markup comes back), control and format
 * characters and runs of white space turned into one space.
 *
 * @example
 * bodyExcerpt('<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1><hr>nginx</body></html>')
 * // '502 Bad Gateway nginx'
 */
export function bodyExcerpt(text: string, max: number = EXCERPT_CHARS): string {
  let out = compactJson(text) ?? text;
  if (/<[a-z!/?]/i.test(out)) {
    if (/<body[\s>]/i.test(out)) out = out.replace(/<head[\s>][\s\S]*?(<\/head\s*>|(?=<body[\s>]))/gi, ' ');
    out = out
      .replace(/<(script|style)\b[\s\S]*?(<\/\1\s*>|$)/gi, ' ')
      .replace(/<!--[\s\S]*?(-->|$)/g, ' ')
      .replace(/<[a-z!/?][^>]*(>|$)/gi, ' ')
      .replace(/&(amp|quot|apos|nbsp|#39);/g, (_, name: string) => ENTITIES[name] ?? ' ');
  }
  out = out
    .replace(/[\p{Cc}\p{Cf}\p{Zl}\p{Zp}]/gu, ' ')
    .replace(/\s+/g, ' ')
    .trim();
  const chars = [...out];
  return chars.length > max ? `${chars.slice(0, max).join('')}…` : out;
}

/** The body as one line of JSON, when it is JSON. */
function compactJson(text: string): string | undefined {
  const start = text.trimStart()[0];
  if (start !== '{' && start !== '[') return undefined;
  try {
    return JSON.stringify(JSON.parse(text));
  } catch {
    return undefined;
  }
}

/**
 * The text with every secret replaced, including the start of one a cut left at its end (a
 * body cut at 4 KiB may end inside a credential it echoes).
 */
export function redactCut(text: string, secrets: readonly string[], cut: boolean): string {
  let out = text;
  for (const secret of secrets) {
    if (secret === '') continue;
    if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    if (!cut) continue;
    for (let length = Math.min(secret.length - 1, out.length); length >= 4; length -= 1) {
      if (out.endsWith(secret.slice(0, length))) {
        out = `${out.slice(0, -length)}[redacted]`;
        break;
      }
    }
  }
  return out;
}
