/**
 * The OpenTelemetry metrics API, as far as lifeline uses it. `@opentelemetry/api` is an optional
 * peer dependency: it is looked up once, when the first transport is created, and a program
 * without it loads nothing and records nothing. The types here are the part of the API we call,
 * written out so that our declarations never name the package (test/runtime/metrics.test.ts
 * checks that the real API fits them).
 *
 * The API keeps the provider the application registered on `globalThis` (its own versioned
 * key), so the copy loaded here sees the provider registered through any other copy of the same
 * major version, CommonJS or ESM.
 */

import { createRequire } from 'node:module';

/** Attribute values as the API takes them. */
export type MetricAttributes = Record<string, string | number | boolean>;

/** A monotonic sum (`Counter`). */
export interface CounterLike {
  add(value: number, attributes?: MetricAttributes): void;
}

/** A distribution (`Histogram`). */
export interface HistogramLike {
  record(value: number, attributes?: MetricAttributes): void;
}

/** An instrument observed at collection time (`ObservableUpDownCounter`). */
export type ObservableLike = object;

/** What a batch callback writes its observations to. */
export interface BatchResultLike {
  observe(instrument: ObservableLike, value: number, attributes?: MetricAttributes): void;
}

/** An instrument's options, with the advice a histogram's buckets take. */
export interface InstrumentOptions {
  description?: string;
  unit?: string;
  advice?: { explicitBucketBoundaries?: number[] };
}

/** The part of `Meter` lifeline calls. */
export interface MeterLike {
  createCounter(name: string, options?: InstrumentOptions): CounterLike;
  createHistogram(name: string, options?: InstrumentOptions): HistogramLike;
  createObservableUpDownCounter(name: string, options?: InstrumentOptions): ObservableLike;
  addBatchObservableCallback(
    callback: (result: BatchResultLike) => void,
    observables: ObservableLike[],
  ): void;
}

interface MetricsApiLike {
  metrics: { getMeter(name: string, version?: string): MeterLike };
  /** The API's one no-op meter, which `getMeter` answers while no provider is registered. */
  createNoopMeter?(): MeterLike;
}

/** The name of the meter (the instrumentation scope) lifeline's instruments belong to. */
export const METER_NAME = 'mcp-lifeline';

/** undefined: not looked up yet; null: not installed. */
let api: MetricsApiLike | null | undefined;
let version: string | undefined;

/**
 * The meter of the application's registered `MeterProvider`; undefined when
 * `@opentelemetry/api` is not installed or no provider is registered (the API's no-op meter: a
 * transport then skips its metrics altogether rather than call instruments that do nothing).
 */
export function lifelineMeter(): MeterLike | undefined {
  if (api === undefined) api = loadApi();
  if (api === null) return undefined;
  const meter = api.metrics.getMeter(METER_NAME, version);
  return meter === api.createNoopMeter?.() ? undefined : meter;
}

function loadApi(): MetricsApiLike | null {
  try {
    // Synchronous, so a transport's first messages are counted; in Node the package's ESM entry
    // resolves to this same CommonJS build.
    const require = createRequire(import.meta.url);
    const loaded = require('@opentelemetry/api') as MetricsApiLike;
    version = packageVersion(require);
    return loaded;
  } catch {
    // Not installed (or not loadable): no metrics. Metrics never stop a connection.
    return null;
  }
}

/** The scope's version: this package's (the same path from src/runtime/metrics and dist/runtime/metrics). */
function packageVersion(require: NodeJS.Require): string | undefined {
  try {
    return (require('../../../package.json') as { version?: string }).version;
  } catch {
    return undefined;
  }
}
