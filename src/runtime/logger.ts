/**
 * Logging with secrets removed. The runtime only ever logs through {@link createRedactingLogger},
 * which replaces every configured secret (environment values, later header values and URL
 * credentials) with `[redacted]` before the caller's logger sees the text.
 */

/** Any object with these four methods; pino, bunyan and `console` all fit. */
export interface Logger {
  debug(...args: unknown[]): void;
  info(...args: unknown[]): void;
  warn(...args: unknown[]): void;
  error(...args: unknown[]): void;
}

/** What the runtime logs with: a message and optional plain fields. */
export interface RuntimeLogger {
  debug(message: string, fields?: Record<string, unknown>): void;
  info(message: string, fields?: Record<string, unknown>): void;
  warn(message: string, fields?: Record<string, unknown>): void;
  error(message: string, fields?: Record<string, unknown>): void;
}

const REDACTED = '[redacted]';

/** Replaces each secret in a text with `[redacted]`. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text;
  for (const secret of secrets) {
    if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

function redactValue(value: unknown, secrets: readonly string[], depth = 0): unknown {
  if (typeof value === 'string') return redact(value, secrets);
  if (value instanceof Error) return redact(value.message, secrets);
  if (depth > 4 || typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) return value.map((item) => redactValue(item, secrets, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) out[key] = redactValue(item, secrets, depth + 1);
  return out;
}

/**
 * Wraps a caller's logger. Output is pino-style: `logger.info(fields, message)`, with every
 * string redacted. Without a logger, nothing is logged.
 */
export function createRedactingLogger(
  logger: Logger | undefined,
  secrets: readonly string[],
  name: string,
): RuntimeLogger {
  const emit =
    (level: keyof Logger) =>
    (message: string, fields?: Record<string, unknown>): void => {
      if (logger === undefined) return;
      const clean = redact(message, secrets);
      const cleanFields = {
        lifeline: name,
        ...(redactValue(fields ?? {}, secrets) as Record<string, unknown>),
      };
      try {
        logger[level](cleanFields, clean);
      } catch {
        // A failing logger must never take the connection down.
      }
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}
