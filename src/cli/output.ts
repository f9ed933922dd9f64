/**
 * What the CLI prints: step lines and lifecycle transitions, timestamped relative to the start,
 * as text (colored only on a terminal, never with NO_COLOR) or as JSON lines.
 */

import { performance } from 'node:perf_hooks';
import type { ConnectionState } from '../machines/connection.js';
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

const STATE_TINT: Record<ConnectionState, Tint> = {
  idle: 'gray',
  connecting: 'cyan',
  open: 'green',
  reconnecting: 'yellow',
  closing: 'magenta',
  failed: 'red',
};

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
    return color && tint !== 'plain' ? `\u001b[${CODES[tint]}m${text}\u001b[0m` : text;
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
    if (status.state === 'connecting') detail = ` (attempt ${status.attempt})`;
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
