/**
 * `createTransport()`: an SDK-compatible Transport around one connection actor.
 *
 * The data path bypasses the machine: `send()` writes straight to the live link's `send`, and
 * inbound messages come from the link's sink straight to `onmessage`. The machine decides
 * whether there is a live link; this class keeps the promises around it (docs/architecture.md): a bounded
 * queue while the link is down, an in-flight table whose requests are answered at once when
 * the link dies, and session re-establishment before the queue is flushed.
 */

import { PassThrough } from 'node:stream';
import type { Actor, SnapshotFrom } from 'xstate';
import type { TransportAuth } from '../auth/index.js';
import { type JsonRpcMessage, type JsonRpcMessageInput, validateMessage } from '../codec/jsonrpc.js';
import {
  ErrorCode,
  InvalidMessageError,
  type LifelineError,
  type QueueFullError,
  StateError,
  toError,
  UnauthorizedError,
} from '../errors.js';
import type { ConnectionHooks, ConnectionMachine, ConnectionState } from '../machines/connection.js';
import type { ConnectionJournal } from '../observe/journal/journal.js';
import { createDataPath } from './data-path/assemble.js';
import type { Conduit } from './data-path/conduit.js';
import { Inbound } from './data-path/inbound.js';
import type { Outbound } from './data-path/outbound.js';
import { linkOptions, resumptionRefusal, type SendOptions } from './data-path/send-options.js';
import { createConnectionActor } from './lifecycle/actor.js';
import { createTransportAuth } from './lifecycle/auth.js';
import { createLinkLogic } from './lifecycle/links.js';
import { TransportObserver } from './lifecycle/observer.js';
import { type LifecycleStatus, LifecycleTracker, logEntered, notSendableError } from './lifecycle/status.js';
import { Waiters } from './lifecycle/waiters.js';
import { createRedactingLogger, type RuntimeLogger } from './logger.js';
import { type Clock, type ResolvedConfig, resolveConfig, type TransportConfig } from './options/resolve.js';
import { SessionRecord } from './session/record.js';
import type { ActorHost, TransportStats } from './transport-types.js';

export type { SendOptions } from './data-path/send-options.js';
export type { LifecycleStatus } from './lifecycle/status.js';
export type { ActorHost, TransportStats } from './transport-types.js';

const realClock: Clock = {
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
};

/**
 * A supervised MCP transport: a drop-in `Transport` for the SDK `Client` (v1 and v2) that
 * reconnects, re-establishes the session and never leaves a request hanging.
 */
export class LifelineTransport {
  /**
   * Set by the SDK `Client`; called for every inbound message (always a valid JSON-RPC message;
   * typed with the SDK's wider input type so the SDK's handler fits).
   */
  onmessage?: ((message: JsonRpcMessageInput) => void) | undefined;
  /** Out-of-band problems: a link that died, a garbage line. Not necessarily fatal. */
  onerror?: ((error: Error) => void) | undefined;
  /** Called once per close: after `close()`, or when the connection gives up (`failed`). */
  onclose?: (() => void) | undefined;
  /**
   * The HTTP session id, once a legacy-era server assigned one; undefined on stdio and before
   * the handshake (the SDK Client skips its handshake when it is set at connect).
   */
  sessionId?: string | undefined;

  /** The live XState actor: `transport.actor.getSnapshot().matches('open')`. */
  readonly actor: Actor<ConnectionMachine>;
  /** The server's process id (stdio links only), while a process runs. */
  declare readonly pid: number | undefined;
  /** The server's stderr when `stderr: 'pipe'`, otherwise null (stdio links only). */
  declare readonly stderr: PassThrough | null;

  readonly #config: ResolvedConfig;
  readonly #log: RuntimeLogger;
  readonly #clock: Clock;
  readonly #now: () => number;
  readonly #outbound: Outbound;
  readonly #session = new SessionRecord();
  readonly #conduit: Conduit;
  readonly #inbound: Inbound;
  readonly #waiters = new Waiters();
  readonly #stderr: PassThrough | null;
  /** Failed outbound messages; the other counters are read where they happen (outbound, inbound). */
  #failed = 0;
  #active = false;
  readonly #lifecycle: LifecycleTracker;
  /** The journal, the control socket's view and the metrics (docs/observability.md). */
  readonly #observer: TransportObserver;
  /** Resolves once every resource a link started is gone (a container's removal). */
  #released: (() => Promise<void>) | undefined;
  /** The token keeper, with an `authProvider`. */
  readonly #auth: TransportAuth | undefined;

  constructor(config: TransportConfig, host?: ActorHost) {
    this.#config = resolveConfig(config);
    this.#log = createRedactingLogger(config.logger, this.#config.secrets, this.#config.name);
    this.#observer = new TransportObserver(this.#config, () => this.#now(), this.#log, this);
    this.#inbound = new Inbound(this, this.#log, (error) => this.#observer.error(error));
    this.#clock = config.clock ?? realClock;
    const clock = this.#clock;
    this.#now = clock.now === undefined ? Date.now : () => (clock.now as () => number)();
    ({ outbound: this.#outbound, conduit: this.#conduit } = createDataPath({
      config: this.#config,
      log: this.#log,
      clock: this.#clock,
      now: this.#now,
      session: this.#session,
      inbound: this.#inbound,
      countFailure: () => {
        this.#failed += 1;
      },
      send: (event) => this.actor.send(event),
      sessionId: (sessionId) => {
        this.sessionId = sessionId;
      },
      metrics: this.#observer.metrics,
    }));
    this.#conduit.observer = this.#observer;
    this.#stderr = this.#config.stdio?.stderr === 'pipe' ? new PassThrough() : null;

    this.#auth = createTransportAuth(this.#config, this.#now, (waiting) => this.#lifecycle.signIn(waiting));
    const link = createLinkLogic(this.#config, this.#conduit.sink, this.#stderr, this.#auth);
    if ('released' in link) this.#released = () => link.released();
    // Through input, not `connectionMachine.provide()`: one machine for every connection
    // (a provided machine per transport cost 22 KiB each; see ConnectionHooks).
    const conduit = this.#conduit;
    const hooks: ConnectionHooks = {
      link,
      linkUp: (handle) => conduit.onLinkUp(handle),
      linkDown: (error) => conduit.onLinkDown(error),
      probeLink: () => conduit.probe(),
    };
    this.actor = createConnectionActor({ policy: this.#config.policy, config, hooks, host });
    this.#lifecycle = new LifecycleTracker(this.actor.getSnapshot(), this.#now(), (error) =>
      this.#inbound.error(toError(error)),
    );
    this.actor.subscribe({
      next: (snapshot) => this.#onSnapshot(snapshot),
      error: (error) => this.#log.error('connection actor failed', { error }),
    });
    this.actor.start();

    // Only stdio-like links expose these: the v2 SDK treats a transport with both as stdio.
    if (this.#config.type === 'stdio') {
      Object.defineProperty(this, 'pid', { enumerable: true, get: () => this.#conduit.link?.pid });
      Object.defineProperty(this, 'stderr', { enumerable: true, get: () => this.#stderr });
    }
  }

  /**
   * Whether each request has its own response stream (HTTP). The v2 SDK then cancels a
   * modern-era request by aborting `requestSignal` instead of sending `notifications/cancelled`.
   */
  get hasPerRequestStream(): boolean {
    return this.#config.http !== undefined && this.#config.http.mode !== 'sse';
  }

  /** Which link this transport runs: `stdio`, `http` (Streamable HTTP or HTTP+SSE), `ws` or `docker`. */
  get linkType(): ResolvedConfig['type'] {
    return this.#config.type;
  }

  /** The name its logs use: the configured `name`, else the command or the URL's host. */
  get name(): string {
    return this.#config.name;
  }

  /** The top-level state now. */
  get state(): ConnectionState {
    return this.#lifecycle.status.state;
  }

  /** The latest lifecycle status. */
  get status(): LifecycleStatus {
    return this.#lifecycle.status;
  }

  /**
   * The round-trip time of the latest answered request (its write to its answer), in ms;
   * undefined before the first answer. It includes the server's work on that request.
   */
  get roundTripMs(): number | undefined {
    return this.#outbound.roundTripMs;
  }

  /**
   * The connection's journal (docs/observability.md): its recent lifecycle events, kept in
   * memory; undefined with `journal: false`.
   */
  get journal(): ConnectionJournal | undefined {
    return this.#observer.journal;
  }

  /** Message counters. */
  get stats(): Readonly<TransportStats> {
    return {
      failed: this.#failed,
      reestablished: this.#conduit.reestablished,
      links: this.#conduit.links,
      written: this.#outbound.writtenCount,
      received: this.#inbound.received,
      queued: this.#outbound.queued,
      reissued: this.#outbound.reissued,
    };
  }

  /**
   * Starts connecting. Resolves once the link is open; rejects with the typed error when the
   * connection gives up (`failed`) or is closed first. After `close()` or `failed`, starts afresh:
   * a new session, with nothing of the previous one's handshake (it is the next client's to do).
   */
  start(): Promise<void> {
    const state = this.#lifecycle.status.state;
    if (state === 'open') return Promise.resolve();
    if (state === 'closing') return this.#whenIdle().then(() => this.start());
    const opened = this.#waiters.untilOpen();
    if (state === 'idle' || state === 'failed') {
      this.#active = true;
      this.#observer.started();
      // A new session: the previous client's handshake must never be replayed into it (after
      // `failed` the record was still there), and its protocol version must not reach the new link.
      this.#session.reset();
      this.#conduit.begin();
      this.actor.send({ type: 'connection.start' });
    }
    return opened;
  }

  /**
   * Sends one message: written at once when the link is open, queued while it is down.
   * Resolves once written or queued; rejects with a typed error (invalid message, queue full,
   * not started, closed). A request that cannot be answered gets a synthesized error response.
   */
  send(input: JsonRpcMessageInput, options?: SendOptions): Promise<void> {
    const reason = validateMessage(input);
    if (reason !== undefined) return this.#refuse(new InvalidMessageError(reason));
    const message = input as JsonRpcMessage;
    const state = this.#lifecycle.status.state;
    if (state === 'idle' || state === 'closing' || state === 'failed')
      return this.#refuse(notSendableError(state, this.#lifecycle.status.error));
    const refusal = resumptionRefusal(message, options, this.#config, this.#session.era, this.#conduit.link);
    if (refusal !== undefined) return this.#refuse(refusal);

    if ('method' in message) {
      this.#session.noteOutbound(message);
      if ('id' in message) {
        try {
          this.#outbound.track(message, linkOptions(options));
        } catch (error) {
          return this.#refuse(error as InvalidMessageError);
        }
      }
    } else if (!this.#conduit.answers(message.id)) {
      // An answer to a request of a previous link: the server that asked is gone.
      this.#inbound.diagnostic({
        source: 'runtime',
        level: 'debug',
        message: `Dropped a response to ${message.id}: its link is gone`,
      });
      return Promise.resolve();
    }

    try {
      return this.#conduit.carry(message);
    } catch (error) {
      return this.#refuse(error as QueueFullError);
    }
  }

  /**
   * Closes gracefully within the close deadlines; resolves in `idle`, once every resource a
   * link started is gone. `onclose` fires once.
   */
  close(): Promise<void> {
    const state = this.#lifecycle.status.state;
    const closed = this.#whenIdle().then(() => this.#observer.closed());
    if (state === 'idle') {
      this.#finishClose();
    } else {
      this.actor.send({ type: 'connection.close' });
    }
    const released = this.#released;
    return released === undefined ? closed : closed.then(released);
  }

  /**
   * Completes a sign-in (the SDK's documented flow): after `connect()` or a call failed with
   * `UnauthorizedError` and the user signed in, pass the callback's query (`code`, `state`,
   * `iss`) or the code and `iss`. The tokens are saved with the `authProvider`; connect again
   * (`client.connect(transport)`) to use them.
   *
   * @throws {UnauthorizedError} without an `OAuthClientProvider`, or for an empty callback.
   * @throws {AuthorizationError} when the callback fails a check (`iss`, `state`) or the code
   *   is refused.
   */
  finishAuth(callbackParams: URLSearchParams): Promise<void>;
  finishAuth(authorizationCode: string, iss?: string): Promise<void>;
  async finishAuth(codeOrParams: string | URLSearchParams, iss?: string): Promise<void> {
    if (this.#auth === undefined)
      throw new UnauthorizedError('finishAuth requires an OAuthClientProvider', 'no-provider');
    await this.#auth.completeAuthorization(codeOrParams, iss);
  }

  /** Called by the SDK once the protocol version is negotiated; fixes the era. */
  setProtocolVersion(version: string): void {
    this.#session.setProtocolVersion(version);
    this.#conduit.link?.setProtocolVersion?.(version);
    this.actor.send({ type: 'session.update', protocolVersion: version, era: this.#session.era ?? 'legacy' });
  }

  /** Called by the SDK during connect (HTTP header validation; nothing to do on stdio). */
  setSupportedProtocolVersions(_versions: string[]): void {}

  /** Listens to lifecycle changes; returns the unsubscribe function. */
  subscribe(listener: (status: LifecycleStatus) => void): () => void {
    return this.#lifecycle.subscribe(listener);
  }

  /**
   * Pull-style reading: every inbound message, in order, until the transport closes (the
   * iteration ends) or fails (it throws the typed error). Messages still go to `onmessage` too.
   */
  messages(): AsyncIterableIterator<JsonRpcMessage> {
    return this.#inbound.reader();
  }

  /** `await using transport = createTransport(...)` closes it at the end of the scope. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  // --- lifecycle bookkeeping ---

  #onSnapshot(snapshot: SnapshotFrom<ConnectionMachine>): void {
    this.#lifecycle.update(snapshot, this.#now(), (entered) => {
      if (entered !== undefined) this.#onStateEntered(entered, this.#lifecycle.status);
    });
  }

  #onStateEntered(state: ConnectionState, status: LifecycleStatus): void {
    this.#observer.changed(status);
    logEntered(this.#log, status, this.#conduit.link?.pid);
    if (state === 'open') this.#waiters.opened();
    else if (state === 'failed')
      this.#onFailed(status.error ?? new StateError(ErrorCode.Closed, 'The connection failed'));
    else if (state === 'idle') this.#finishClose();
  }

  #onFailed(error: LifelineError): void {
    // The next connect is a new session: the SDK Client skips `initialize` while one is set.
    this.sessionId = undefined;
    this.#outbound.failAll(error, false);
    this.#waiters.refused(error);
    this.#inbound.fail(error);
    this.#inbound.error(error);
    this.#notifyClosed();
  }

  #finishClose(): void {
    const cause = new StateError(ErrorCode.Closed, 'The transport was closed');
    this.sessionId = undefined;
    this.#conduit.closed();
    this.#outbound.failAll(cause, true);
    this.#session.reset();
    this.#waiters.refused(cause);
    this.#inbound.end();
    this.#notifyClosed();
    this.#waiters.idle();
  }

  #notifyClosed(): void {
    if (!this.#active) return;
    this.#active = false;
    try {
      this.onclose?.();
    } catch (error) {
      this.#inbound.error(toError(error));
    }
  }

  #whenIdle(): Promise<void> {
    if (this.#lifecycle.status.state === 'idle') return Promise.resolve();
    return this.#waiters.untilIdle();
  }

  #refuse(error: LifelineError): Promise<never> {
    this.#failed += 1;
    return Promise.reject(error);
  }
}

/**
 * Creates a supervised transport from a configuration. Drop it into the SDK `Client`:
 *
 * @example
 * ```ts
 * const transport = createTransport({ command: 'node', args: ['server.js'] });
 * const client = new Client({ name: 'agent', version: '1.0.0' });
 * await client.connect(transport);
 * transport.subscribe((status) => console.log(status.state));
 * ```
 *
 * @throws {ConfigError} when the configuration is invalid (every problem listed).
 */
export function createTransport(config: TransportConfig): LifelineTransport {
  return new LifelineTransport(config);
}
