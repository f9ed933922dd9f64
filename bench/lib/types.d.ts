// The shapes the benchmarks share, for the JSDoc types of the bench's plain JavaScript
// (type-checked with `checkJs`, bench/tsconfig.json). Types only: nothing here runs.

/** Where progress lines go (stderr in bench/run.js). */
export type Log = (line: string) => void;

/** The ms and CPU figures `drive()` returns for one run of calls. */
export interface DriveResult {
  count: number;
  window: number;
  /** Answers that were JSON-RPC errors. */
  errors: number;
  elapsedMs: number;
  callsPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
  clientCpuUsPerCall: number;
  serverCpuUsPerCall: number;
}

/** One measured round of one variant (lib/driver.js measureRound). */
export interface RoundMeasured extends DriveResult {
  failed?: undefined;
  /** Errors the transport reported during the round. */
  transportErrors: number;
  firstTransportError?: string;
  closeError?: string;
  /** Docker variants: CPU of the engine's processes and of the docker CLI, per call. */
  engineCpuUsPerCall?: number;
  cliCpuUsPerCall?: number;
}

/** A round that failed: where, and why. */
export interface RoundFailed {
  failed: true;
  phase: string;
  error: string;
  transportErrors?: string[] | undefined;
  closeError?: string;
}

export type RoundResult = RoundMeasured | RoundFailed;

/**
 * A client under test, as the one driver (lib/driver.js) sees it: `start()`, then `send(id,
 * params)` (fire and forget) with each answer handed to `onResponse(id, message)`, and
 * `close()`. Every transport's variants (ours, the SDK's, the raw baselines) take this shape.
 */
export interface BenchClient {
  name: string;
  /** The process whose CPU counts as the server's (undefined: not metered). */
  pid: number | undefined;
  onResponse: ((id: number, message: unknown) => void) | undefined;
  onFailure: ((error: unknown) => void) | undefined;
  /** Called when the transport closed itself (the SDK's stdio transport on overflow). */
  onClosed?: (() => void) | undefined;
  /** Messages of the transport errors seen. */
  errors: string[];
  /** The transport closed itself. */
  closed?: boolean;
  /** The transport under test, where there is one (its `stats`, its private fields for the SDK checks). */
  transport?: BenchTransport | undefined;
  start(): Promise<void>;
  send(id: number, params: unknown): void;
  close(): Promise<void>;
  /** Docker: the pid of the `docker` CLI process, when the variant runs one. */
  cliPid?: number | undefined;
  /** Docker: start() → open, and → the first answer, in ms. */
  timings?: { openMs: number; answerMs: number };
  /** Docker, the raw attach client: ms of each engine call of the last start. */
  steps?: Record<string, number>;
  /** Docker: CPU of the engine's processes and the CLI since the first answer, in ns. */
  dockerCpu?: () => { engineNs: number; cliNs: number };
}

/** What the bench touches of an SDK-shaped transport (ours and the SDK's). */
export interface BenchTransport {
  start(): Promise<void>;
  send(message: JsonRpc, options?: unknown): Promise<void>;
  close(): Promise<void>;
  onmessage?: ((message: JsonRpc) => void) | undefined;
  onerror?: ((error: Error) => void) | undefined;
  onclose?: (() => void) | undefined;
  setProtocolVersion?: (version: string) => void;
  pid?: number | null | undefined;
  stats?: object;
}

/** A JSON-RPC message, loosely: what the echo servers send back. */
export interface JsonRpc {
  jsonrpc?: '2.0';
  id?: number | string | null;
  method?: string;
  params?: unknown;
  result?: unknown;
  error?: unknown;
}

/** The settings of one round-trip scenario. */
export interface Scenario {
  label: string;
  warmup: number;
  count: number;
  rounds: number;
  timeoutMs: number;
  /** Calls in flight (default lib/clients.js WINDOW). */
  window?: number;
  /** The `tools/call` params (default lib/clients.js PARAMS). */
  params?: unknown;
  /** HTTP: the response mode. */
  mode?: string;
}

/** The median round of a variant with the spread over its rounds, or its failure. */
export type VariantSummary =
  | {
      failed?: undefined;
      callsPerSec: number;
      p50Ms: number;
      p99Ms: number;
      minCallsPerSec: number;
      maxCallsPerSec: number;
      clientCpuUsPerCall: number;
      serverCpuUsPerCall: number;
      errors: number;
      failedRounds: number;
      firstFailure: string | undefined;
      rounds: RoundResult[];
    }
  | { failed: true; error: string | undefined; phase: string | undefined; rounds: RoundResult[] };

/** One scenario's rounds: its settings and each variant's summary. */
export interface ModeResult {
  label: string;
  mode?: string;
  isolation?: string;
  paramsBytes: number;
  warmup: number;
  count: number;
  window: number;
  rounds: number;
  variants: Record<string, VariantSummary>;
}

/** A target of the bench: `ratio op bound` is met (a NaN ratio never is). */
export interface Target {
  name: string;
  ratio: number;
  op: '>=' | '<=';
  bound: number;
  /** The Measured cell, when the ratio alone does not say it. */
  measured?: string;
  /** Why it is not met, when something failed. */
  why?: string | undefined;
  met?: boolean;
}

/** One section of `npm run bench` (bench/run.js). */
export interface Section<R> {
  /** The name `node bench/run.js <name>` runs it by. */
  name: string;
  /** What the progress line says before it runs. */
  intro: string;
  run(options: { log: Log }): Promise<R>;
  /** Markdown lines. */
  tables(result: R): string[];
  targets(result: R): Target[];
}
