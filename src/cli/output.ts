/**
 * What the CLI prints: step lines and lifecycle transitions, timestamped relative to the start,
 * as text (colored only on a terminal, never with NO_COLOR) or as JSON lines.
 */

import { performance } from 'node:perf_hooks';
import type { ConnectionState } from '../machines/connection.js';
import type { Logger } from '../runtime/logger.js';
import type { LifecycleStatus } from '../runtime/transport.js';

type Stream = NodeJS.WriteStream;

/** Whether a stream gets ANSI colors: a TTY that has them, unless NO_COLOR is set (no-color.org). */
export function useColor(stream: Stream, env: NodeJS.ProcessEnv = process.env): boolean {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return false;
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '' && env.FORCE_COLOR !== '0') return true;
  return stream.isTTY === true && (typeof stream.hasColors !== 'function' || stream.hasColors());
}

const CODES = { red: 31, green: 32, yellow: 33, blue: 34, magenta: 35, cyan: 36, gray: 90, bold: 1 } as const;
/** A color name, or `plain`. */
export type Tint = keyof typeof CODES | 'plain';

/** The color of each state. */
export const STATE_TINT: Record<ConnectionState, Tint> = {
  idle: 'gray',
  connecting: 'cyan',
  open: 'green',
  reconnecting: 'yellow',
  closing: 'magenta',
  failed: 'red',
};

/** Wraps `text` in the ANSI code of `tint`. */
export function paint(text: string, tint: Tint): string {
  return tint === 'plain' ? text : `\u001b[${CODES[tint]}m${text}\u001b[0m`;
}

/** Formats a duration in ms for humans: `2 ms`, `0.53 s`. */
export function formatMs(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** The demo's (and later commands') printer. */
export class Printer {
  readonly #start = performance.now();
  readonly #out: Stream;
  /** Step lines go here: stdout in text mode, stderr with `--json` (stdout is only JSON). */
  readonly #steps: Stream;
  readonly #json: boolean;
  readonly #stepColor: boolean;
  readonly #outColor: boolean;
  #previous: ConnectionState | undefined;

  constructor(options: { json: boolean; out?: Stream; err?: Stream }) {
    this.#json = options.json;
    this.#out = options.out ?? process.stdout;
    this.#steps = options.json ? (options.err ?? process.stderr) : this.#out;
    this.#outColor = useColor(this.#out);
    this.#stepColor = useColor(this.#steps);
  }

  /** Milliseconds since the printer was made. */
  elapsed(): number {
    return performance.now() - this.#start;
  }

  #stamp(): string {
    return `+${(this.elapsed() / 1000).toFixed(3)}s`;
  }

  #paint(text: string, tint: Tint, color: boolean): string {
    return color ? paint(text, tint) : text;
  }

  /** A progress line: `+0.060s  • listed tools: echo, add`. */
  step(text: string, mark = '•', tint: Tint = 'plain'): void {
    const color = this.#stepColor;
    this.#steps.write(
      `${this.#paint(this.#stamp(), 'gray', color)}  ${this.#paint(`${mark} ${text}`, tint, color)}\n`,
    );
  }

  ok(text: string): void {
    this.step(text, '✓', 'green');
  }

  fail(text: string): void {
    this.step(text, '✗', 'red');
  }

  /** A lifecycle update from `transport.subscribe()`; `pid` is the server's while open. */
  transition(status: LifecycleStatus, pid: number | undefined): void {
    const from = this.#previous;
    this.#previous = status.state;
    if (this.#json) {
      const line = {
        elapsedMs: Math.round(this.elapsed()),
        from: from ?? null,
        state: status.state,
        attempt: status.attempt,
        delayMs: status.delayMs,
        pid: status.state === 'open' ? (pid ?? null) : null,
        error: status.error === undefined ? null : { code: status.error.code, message: status.error.message },
        era: status.era ?? null,
        protocolVersion: status.protocolVersion ?? null,
        since: new Date(status.since).toISOString(),
      };
      this.#out.write(`${JSON.stringify(line)}\n`);
      return;
    }
    // Text shows state changes; same-state updates (an attempt counter reset) are JSON-only.
    if (from === status.state) return;
    const color = this.#outColor;
    const name = (state: ConnectionState): string => this.#paint(state, STATE_TINT[state], color);
    let detail = '';
    if (status.state === 'connecting') detail = status.attempt === 0 ? '' : ` (retry ${status.attempt})`;
    else if (status.state === 'open') detail = pid === undefined ? '' : ` (pid ${pid})`;
    else if (status.state === 'reconnecting')
      detail = `: ${status.error?.message ?? 'link down'}; retry ${status.attempt} in ${Math.round(status.delayMs)} ms`;
    else if (status.state === 'failed') detail = `: ${status.error?.message ?? 'gave up'}`;
    const arrow = from === undefined ? name(status.state) : `${name(from)} → ${name(status.state)}`;
    this.#out.write(`${this.#paint(this.#stamp(), 'gray', color)}  ${arrow}${detail}\n`);
  }

  /** The state of the last transition printed. */
  get lastState(): ConnectionState | undefined {
    return this.#previous;
  }

  /** Sets the state the next transition starts from (the transport's state when subscribing). */
  startFrom(state: ConnectionState): void {
    this.#previous = state;
  }
}

export const LEVELS = ['debug', 'info', 'warn', 'error'] as const;
type Level = (typeof LEVELS)[number];
/** A `--log-level`: one of {@link LEVELS}, or `silent`. */
export type LogLevel = Level | 'silent';

/**
 * A logger writing one line per entry to stderr: time, level, `name` (else the connection's), the message
 * and its fields. It receives pino-style `(fields, message)` calls, secrets already redacted.
 */
export function stderrLogger(
  threshold: LogLevel,
  name?: string,
  stream: NodeJS.WritableStream = process.stderr,
): Logger {
  const min = threshold === 'silent' ? LEVELS.length : LEVELS.indexOf(threshold);
  const emit =
    (level: Level) =>
    (...args: unknown[]): void => {
      if (LEVELS.indexOf(level) < min) return;
      const [fields, text] = args as [Record<string, unknown> | undefined, unknown];
      const extra = Object.entries(fields ?? {}).filter(
        ([key, value]) => key !== 'lifeline' && value !== undefined,
      );
      const tail = extra.length === 0 ? '' : ` ${JSON.stringify(Object.fromEntries(extra))}`;
      const who = name ?? fields?.lifeline;
      stream.write(
        `${new Date().toISOString()} ${level.padEnd(5)} [${String(who)}] ${String(text)}${tail}\n`,
      );
    };
  return { debug: emit('debug'), info: emit('info'), warn: emit('warn'), error: emit('error') };
}

/** The logger of a command's `--log-level`: none when `silent`, so nothing is formatted for nobody. */
export function commandLogger(level: LogLevel, name?: string): Logger | undefined {
  return level === 'silent' ? undefined : stderrLogger(level, name);
}
