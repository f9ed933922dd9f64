// A steady load for long-running tests: N callers, each awaiting its call and pausing a few ms before the next
// (calls always in flight, but not a tight loop that would take the CPU from the other test files), with the
// latency of every call and every failure kept. Used in this process and, as plain JS, in child processes
// (test/auth/bridge-child.ts embeds the same logic).

import { setTimeout as sleep } from 'node:timers/promises';

/** What a load run saw. */
export interface LoadResult {
  calls: number;
  /** Failed calls, with when (ms since the run started) and what. */
  failures: Array<{ at: number; caller: number; error: string }>;
  /** Latency of every successful call, ms. */
  latencies: number[];
  /** The same, by the kind of call (see {@link LoadOptions.kind}). */
  byKind: Record<string, number[]>;
  elapsedMs: number;
}

/** Options of {@link runLoad}. */
export interface LoadOptions {
  callers: number;
  durationMs: number;
  /** Pause after each call, ms (default 20). */
  pauseMs?: number;
  /** One call; `n` counts the caller's calls. */
  call(caller: number, n: number): Promise<unknown>;
  /** What kind of call `call(caller, n)` makes, for latencies by kind (e.g. the tool's name). */
  kind?(caller: number, n: number): string;
}

/** Runs `callers` loops of `call` for `durationMs`; never throws (failures are collected). */
export async function runLoad(options: LoadOptions): Promise<LoadResult> {
  const started = performance.now();
  const until = started + options.durationMs;
  const result: LoadResult = { calls: 0, failures: [], latencies: [], byKind: {}, elapsedMs: 0 };
  const loop = async (caller: number): Promise<void> => {
    for (let n = 0; performance.now() < until; n++) {
      const t0 = performance.now();
      result.calls += 1;
      try {
        await options.call(caller, n);
        const ms = performance.now() - t0;
        result.latencies.push(ms);
        const kind = options.kind?.(caller, n);
        if (kind !== undefined) append(result.byKind, kind, [ms]);
      } catch (error) {
        result.failures.push({ at: Math.round(t0 - started), caller, error: describe(error) });
      }
      await sleep(options.pauseMs ?? 20);
    }
  };
  await Promise.all(Array.from({ length: options.callers }, (_, caller) => loop(caller)));
  result.elapsedMs = performance.now() - started;
  return result;
}

/**
 * The call of a long-run caller: a quick `echo`, then a `sleep` the server holds for 50 ms (a token may
 * expire while a call waits), alternately (test/peers/oauth/resource-server.ts tools).
 */
export function toolCall(caller: number, n: number): { name: string; arguments: Record<string, unknown> } {
  return n % 2 === 0
    ? { name: 'echo', arguments: { message: `caller ${caller} call ${n}` } }
    : { name: 'sleep', arguments: { ms: 50 } };
}

/** The kind of {@link toolCall}, for latencies by kind. */
export function toolKind(_caller: number, n: number): string {
  return n % 2 === 0 ? 'echo' : 'sleep(50 ms)';
}

/** The `q` quantile (0..1) of `values`, nearest rank; NaN for none. */
export function quantile(values: readonly number[], q: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1));
  return sorted[rank] as number;
}

/** Several runs (processes) as one: calls and failures added, latencies pooled, the longest elapsed. */
export function combine(results: readonly LoadResult[]): LoadResult {
  const byKind: Record<string, number[]> = {};
  for (const result of results)
    for (const [kind, values] of Object.entries(result.byKind)) append(byKind, kind, values);
  return {
    calls: results.reduce((sum, result) => sum + result.calls, 0),
    failures: results.flatMap((result) => result.failures),
    latencies: results.flatMap((result) => result.latencies),
    byKind,
    elapsedMs: Math.max(0, ...results.map((result) => result.elapsedMs)),
  };
}

/** A one-line summary for the test output: calls, failures, p50/p99/max latency, overall and by kind. */
export function summarize(name: string, result: LoadResult): string {
  const ms = (v: number) => `${v.toFixed(1)} ms`;
  const latency = (values: readonly number[]) =>
    `p50 ${ms(quantile(values, 0.5))} p99 ${ms(quantile(values, 0.99))} max ${ms(Math.max(...values))}`;
  const kinds = Object.entries(result.byKind).map(([kind, values]) => `${kind} ${latency(values)}`);
  return `${name}: ${result.calls} calls in ${(result.elapsedMs / 1000).toFixed(1)} s, ${result.failures.length} failed; latency ${[latency(result.latencies), ...kinds].join('; ')}`;
}

function append(lists: Record<string, number[]>, key: string, values: readonly number[]): void {
  const list = lists[key] ?? [];
  list.push(...values);
  lists[key] = list;
}

function describe(error: unknown): string {
  if (!(error instanceof Error)) return String(error);
  const code = (error as { code?: unknown }).code;
  return `${error.name}${code === undefined ? '' : ` ${String(code)}`}: ${error.message}`;
}
