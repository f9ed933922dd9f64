/**
 * What every bad-input test needs: a transport opened with a recording logger, fast reconnects
 * and no heartbeat, closed after the test (unhandled rejections fail it: bad input must never
 * escape as one); the checks that make a row of docs/security.md hold (a typed error, the
 * process and the connection alive, a good request beside the bad one answered).
 */

import { pathToFileURL } from 'node:url';
import { afterAll, afterEach, beforeAll, beforeEach, expect } from 'vitest';
import type { JsonRpcResponse } from '../../src/codec/jsonrpc.js';
import {
  createTransport,
  type ErrorCode,
  LifelineError,
  type LifelineTransport,
  type TransportConfig,
} from '../../src/index.js';
import type { Closable } from '../helpers/cleanup.js';
import { fixturePath, waitFor } from '../helpers/processes.js';
import { errorOf, Raw, recordingLogger } from '../helpers/raw-client.js';
import { type ChildPeer, launch } from '../peers/index.js';

/** A transport driven by raw JSON-RPC, with everything it reported. */
export interface Opened {
  transport: LifelineTransport;
  raw: Raw;
  log: ReturnType<typeof recordingLogger>;
  /** Every error `onerror` got. */
  errors: Error[];
}

/**
 * Registers the hooks of a test file and returns its helpers: `open` (a transport closed after
 * each test), `keep` (anything else to close after each test) and, with `peer`, the fixture
 * server started once for the file (`server()`), stopped after it. An unhandled rejection
 * during a test fails it: bad input must never escape as one.
 */
export function useBadInputHarness(peer?: 'http' | 'ws') {
  const kept: Closable[] = [];
  let unhandled: unknown[] = [];
  const onUnhandled = (reason: unknown): void => {
    unhandled.push(reason);
  };
  let running: ChildPeer | undefined;
  beforeAll(async () => {
    if (peer !== undefined) running = await startBadPeer(peer);
  });
  afterAll(async () => {
    await running?.stop();
  });
  beforeEach(() => {
    unhandled = [];
    process.on('unhandledRejection', onUnhandled);
  });
  afterEach(async () => {
    await Promise.allSettled(kept.splice(0).map((thing) => thing.close()));
    process.off('unhandledRejection', onUnhandled);
    expect(unhandled).toEqual([]);
  });
  const keep = <T extends Closable>(thing: T): T => {
    kept.push(thing);
    return thing;
  };
  /** A transport for `config` with a recording logger, 20 ms reconnects, no heartbeat, closeMs 200. */
  const open = (config: TransportConfig): Opened => {
    const log = recordingLogger();
    const transport = keep(
      createTransport({
        logger: log.logger,
        reconnect: { initialDelayMs: 20, maxDelayMs: 100, jitter: 0 },
        heartbeat: { intervalMs: 0 },
        timeouts: { closeMs: 200 },
        ...config,
      } as TransportConfig),
    );
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);
    return { transport, raw: new Raw(transport), log, errors };
  };
  /** The file's fixture server. */
  const server = (): ChildPeer => {
    if (running === undefined) throw new Error('no fixture server: pass `peer` to useBadInputHarness');
    return running;
  };
  return { open, keep, server };
}

/**
 * One of the bad-input fixture servers (test/fixtures/bad-http-server.mjs, bad-ws-server.mjs) as a
 * child process on a free loopback port; stopped after the test (`closeAfterEach` stops every peer).
 */
export function startBadPeer(kind: 'http' | 'ws'): Promise<ChildPeer> {
  // Exits when its stdin ends: the test process dying takes it along.
  const watchdog = ['--import', pathToFileURL(fixturePath('http-watchdog.mjs')).href];
  return launch({
    name: `bad-${kind}-server`,
    scheme: kind,
    path: kind === 'ws' ? '/ws' : '/mcp',
    args: () => [...watchdog, fixturePath(`bad-${kind}-server.mjs`)],
    readyText: (port) => `listening on http://127.0.0.1:${port} `,
  });
}

/** Base64 of a string (UTF-8) or of bytes: how tests hand raw bytes to the fixture servers. */
export function b64(data: string | Uint8Array): string {
  return Buffer.from(data).toString('base64');
}

/** The `LIFELINE_ERR_*` codes of the warnings the transport logged. */
export function warnedCodes(log: Opened['log']): string[] {
  return log.calls
    .filter((call) => call.level === 'warn')
    .map((call) => (call.args[0] as { code?: string } | undefined)?.code ?? '');
}

/** The rejection of a promise (fails when it resolves). */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    (value) => {
      throw new Error(`expected a rejection, got ${JSON.stringify(value)}`);
    },
    (error: unknown) => error,
  );
}

/** A promise that settles like `promise` but is never reported unhandled meanwhile. */
export function settle<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => {});
  return promise;
}

/** Resolves with the promise's value, or fails the test when it takes longer than `ms`. */
export async function within<T>(ms: number, promise: Promise<T>, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([promise, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** A typed local error: a {@link LifelineError} with the given `LIFELINE_ERR_*` code. */
export function expectLifelineError(error: unknown, code: ErrorCode): void {
  expect(error).toBeInstanceOf(LifelineError);
  expect((error as LifelineError).code).toBe(code);
}

/**
 * A synthesized JSON-RPC error answer: the numeric code (-32090 connection lost, -32091 request
 * failed) and, in `data`, the `LIFELINE_ERR_*` code (and for a lost connection, its cause).
 */
export function expectRpcFailure(
  response: JsonRpcResponse,
  rpcCode: number,
  data: { code: ErrorCode; cause?: ErrorCode },
): void {
  const failure = errorOf(response);
  expect(failure.code).toBe(rpcCode);
  expect(failure.data).toMatchObject(data);
}

/** A result answer (not an error). */
export function expectResult(response: JsonRpcResponse): Record<string, unknown> {
  if (!('result' in response)) throw new Error(`expected a result, got ${JSON.stringify(response)}`);
  return response.result as Record<string, unknown>;
}

/** Waits until the transport is open again on link number `links` (after a reconnect). */
export function reopened(transport: LifelineTransport, links: number, timeoutMs = 5000): Promise<void> {
  return waitFor(() => transport.state === 'open' && transport.stats.links >= links, {
    timeoutMs,
    message: `not open on link ${links} (state ${transport.state}, links ${transport.stats.links})`,
  });
}
