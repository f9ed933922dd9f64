/**
 * Lifeline's metrics (docs/observability.md#metrics): the instruments, made once per meter, and
 * one `TransportMetrics` per transport that records into them with that transport's
 * attributes. Names and units follow the OpenTelemetry semantic conventions: the MCP client's
 * `mcp.client.operation.duration` (semantic-conventions-genai, docs/gen-ai/mcp.md) where the
 * conventions name the measurement; `lifeline.*` for what they do not (connection state,
 * reconnects, queue length, heartbeats), in their naming style (seconds, `{unit}` annotations,
 * `.count` for an up-down counter of things in a state).
 *
 * Connection state and queue length are observed at collection time, from the transport's own
 * fields: the data path pays nothing for them.
 */

import type { JsonRpcErrorResponse } from '../../codec/jsonrpc.js';
import type { ConnectionState } from '../../machines/connection.js';
import {
  type BatchResultLike,
  type CounterLike,
  type HistogramLike,
  lifelineMeter,
  type MeterLike,
  type MetricAttributes,
  type ObservableLike,
} from './otel.js';

/** The metric names (docs/observability.md#metrics). */
export const MetricName = {
  operationDuration: 'mcp.client.operation.duration',
  requestFailures: 'lifeline.request.failures',
  connectionCount: 'lifeline.connection.count',
  reconnects: 'lifeline.connection.reconnects',
  queueLength: 'lifeline.queue.length',
  heartbeatDuration: 'lifeline.heartbeat.duration',
} as const;

/** The attribute names lifeline sets. */
export const MetricAttribute = {
  /** The server's name: the configured `name`, else the command, image or URL host (never credentials, path or query). */
  server: 'lifeline.server.name',
  /** `pipe` (stdio, Docker) or `tcp` (HTTP, WebSocket), as the MCP conventions ask. */
  transport: 'network.transport',
  state: 'lifeline.connection.state',
  method: 'mcp.method.name',
  protocolVersion: 'mcp.protocol.version',
  errorType: 'error.type',
  statusCode: 'rpc.response.status_code',
} as const;

/** The bucket boundaries the MCP conventions give `mcp.client.operation.duration`, in seconds. */
const OPERATION_BUCKETS = [0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1, 2, 5, 10, 30, 60, 120, 300];
/** Heartbeats on a healthy link take milliseconds; a slow one nears `heartbeat.timeoutMs`. */
const HEARTBEAT_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Dropped transports are swept from the observed set once it doubles past this. */
const SWEEP_MIN = 64;
/** A client uses a handful of methods; one sending made-up names must not grow the cache. */
const MAX_CACHED_METHODS = 64;

const STATES: readonly ConnectionState[] = [
  'idle',
  'connecting',
  'open',
  'reconnecting',
  'closing',
  'failed',
];

/** How a request failed: `error.type`, and the JSON-RPC error code of its answer, if it had one. */
export interface RequestFailure {
  type: string;
  status?: number | undefined;
}

/** A synthesized answer's failure: its lifeline code as `error.type`, and its JSON-RPC code. */
export function failureOfAnswer(response: JsonRpcErrorResponse): RequestFailure {
  const data = response.error.data as { code?: unknown } | undefined;
  const code = response.error.code;
  return { type: typeof data?.code === 'string' ? data.code : String(code), status: code };
}

/** A failed write's failure: its lifeline code as `error.type`, else the error's class name. */
export function failureOfError(error: Error): RequestFailure {
  const code = (error as { code?: unknown }).code;
  return { type: typeof code === 'string' ? code : error.name };
}

/** What a transport lets its metrics read at collection time. */
export interface ObservedTransport {
  /** `lifeline.server.name`. */
  readonly server: string;
  /** `network.transport`. */
  readonly transport: 'pipe' | 'tcp';
  state(): ConnectionState;
  queued(): number;
  protocolVersion(): string | undefined;
}

/** The instruments of one meter, and the transports it observes. */
class Instruments {
  readonly duration: HistogramLike;
  readonly failures: CounterLike;
  readonly reconnects: CounterLike;
  readonly heartbeat: HistogramLike;
  readonly #connections: ObservableLike;
  readonly #queue: ObservableLike;
  /** Weak, so a transport the application dropped without closing is still collected. */
  readonly #observed = new Set<WeakRef<ObservedTransport>>();
  #sweepAt = SWEEP_MIN;

  constructor(meter: MeterLike) {
    this.duration = meter.createHistogram(MetricName.operationDuration, {
      description:
        'The duration of an MCP request from the client’s send to its answer (including time queued while the link was down)',
      unit: 's',
      advice: { explicitBucketBoundaries: OPERATION_BUCKETS },
    });
    this.failures = meter.createCounter(MetricName.requestFailures, {
      description: 'Requests that ended in an error answer, from the server or from lifeline',
      unit: '{request}',
    });
    this.reconnects = meter.createCounter(MetricName.reconnects, {
      description: 'Attempts to connect again after a link was lost or failed',
      unit: '{attempt}',
    });
    this.heartbeat = meter.createHistogram(MetricName.heartbeatDuration, {
      description: 'The round trip of a heartbeat probe (an MCP ping or a WebSocket ping) on a quiet link',
      unit: 's',
      advice: { explicitBucketBoundaries: HEARTBEAT_BUCKETS },
    });
    this.#connections = meter.createObservableUpDownCounter(MetricName.connectionCount, {
      description: 'Connections in each lifecycle state (1 in the current state, 0 in the others)',
      unit: '{connection}',
    });
    this.#queue = meter.createObservableUpDownCounter(MetricName.queueLength, {
      description: 'Messages waiting in the queue for a link',
      unit: '{message}',
    });
    meter.addBatchObservableCallback((result) => this.#observe(result), [this.#connections, this.#queue]);
  }

  observe(transport: ObservedTransport): void {
    // Swept here too: a provider may collect rarely (or never, with no reader), and transports
    // come and go for days.
    if (this.#observed.size >= this.#sweepAt) {
      for (const ref of this.#observed) if (ref.deref() === undefined) this.#observed.delete(ref);
      this.#sweepAt = Math.max(SWEEP_MIN, this.#observed.size * 2);
    }
    this.#observed.add(new WeakRef(transport));
  }

  #observe(result: BatchResultLike): void {
    for (const ref of this.#observed) {
      const transport = ref.deref();
      if (transport === undefined) {
        this.#observed.delete(ref);
        continue;
      }
      const base = {
        [MetricAttribute.server]: transport.server,
        [MetricAttribute.transport]: transport.transport,
      };
      const now = transport.state();
      // Every state each time: a state left must read 0, not keep its last value.
      for (const state of STATES)
        result.observe(this.#connections, state === now ? 1 : 0, { ...base, [MetricAttribute.state]: state });
      result.observe(this.#queue, transport.queued(), base);
    }
  }
}

const byMeter = new WeakMap<MeterLike, Instruments>();

/** The metrics of one transport: what its runtime reports, with its attributes. */
export class TransportMetrics {
  readonly #instruments: Instruments;
  readonly #transport: ObservedTransport;
  readonly #base: MetricAttributes;
  /** The attributes of a successful request, per method (a client uses a handful of methods). */
  readonly #answered = new Map<string, MetricAttributes>();
  #version: string | undefined;

  constructor(instruments: Instruments, transport: ObservedTransport) {
    this.#instruments = instruments;
    this.#transport = transport;
    this.#base = {
      [MetricAttribute.server]: transport.server,
      [MetricAttribute.transport]: transport.transport,
    };
    instruments.observe(transport);
  }

  /** A request ended after `ms`: answered, or failed (`failure`). */
  requestEnded(method: string, ms: number, failure?: RequestFailure): void {
    const seconds = Math.max(0, ms) / 1000;
    if (failure === undefined) {
      this.#instruments.duration.record(seconds, this.#answeredAttributes(method));
      return;
    }
    const attributes: MetricAttributes = {
      ...this.#methodAttributes(method),
      [MetricAttribute.errorType]: failure.type,
    };
    if (failure.status !== undefined) attributes[MetricAttribute.statusCode] = String(failure.status);
    this.#instruments.duration.record(seconds, attributes);
    this.#instruments.failures.add(1, attributes);
  }

  /** The connection starts connecting again after a lost or failed link. */
  reconnect(): void {
    this.#instruments.reconnects.add(1, this.#base);
  }

  /** A heartbeat probe came back after `ms`. */
  heartbeat(ms: number): void {
    this.#instruments.heartbeat.record(Math.max(0, ms) / 1000, this.#base);
  }

  #answeredAttributes(method: string): MetricAttributes {
    const version = this.#transport.protocolVersion();
    if (version !== this.#version) {
      this.#version = version;
      this.#answered.clear();
    }
    let attributes = this.#answered.get(method);
    if (attributes === undefined) {
      if (this.#answered.size >= MAX_CACHED_METHODS) this.#answered.clear();
      attributes = this.#methodAttributes(method);
      this.#answered.set(method, attributes);
    }
    return attributes;
  }

  #methodAttributes(method: string): MetricAttributes {
    const attributes: MetricAttributes = { ...this.#base, [MetricAttribute.method]: method };
    const version = this.#transport.protocolVersion();
    if (version !== undefined) attributes[MetricAttribute.protocolVersion] = version;
    return attributes;
  }
}

/**
 * The metrics of a new transport; undefined when `@opentelemetry/api` is not installed or no
 * `MeterProvider` is registered. The meter is the registered provider's at this moment: an
 * application registers its provider before it creates its transports.
 */
export function createTransportMetrics(transport: ObservedTransport): TransportMetrics | undefined {
  const meter = lifelineMeter();
  if (meter === undefined) return undefined;
  let instruments = byMeter.get(meter);
  if (instruments === undefined) {
    instruments = new Instruments(meter);
    byMeter.set(meter, instruments);
  }
  return new TransportMetrics(instruments, transport);
}
