/**
 * Every configured server under one supervisor, as `lifeline status` and `lifeline watch` see
 * them: the config file found and read, an SDK client per server (so each connection does a
 * real handshake and the round-trip time comes from real `ping`s), and the status table.
 */

import { resolve } from 'node:path';
import { configCandidates, findConfigFile, type LoadedConfig, loadConfigFile } from '../config/index.js';
import { ErrorCode } from '../errors.js';
import type { Logger } from '../runtime/logger.js';
import { createSupervisor, type ServerStatus, type Supervisor } from '../supervisor/index.js';
import { onEarlyExit, UsageError } from './args.js';
import { HandshakeRetries, type RowError } from './fleet-retry.js';
import { formatMs, STATE_TINT, type Tint } from './output.js';
import type { ClientClass, DemoClient } from './sdk.js';
import { type SignedTarget, withSignIn } from './sign-in.js';
import { signInFlags } from './sign-in-flags.js';

/**
 * The config file of `--config`, otherwise the first of the usual places.
 *
 * @throws {UsageError} when there is none.
 * @throws {ConfigFileError} when it is invalid (every problem listed).
 */
export function readConfig(config: string | undefined, cwd = process.cwd()): LoadedConfig {
  const path = config === undefined ? findConfigFile({ cwd }) : resolve(cwd, config);
  if (path === undefined) {
    const looked = configCandidates({ cwd }).map((candidate) => `\n  ${candidate}`);
    throw new UsageError(`no config file found; give --config FILE. Looked in:${looked.join('')}`);
  }
  return loadConfigFile(path);
}

/** One row of the table: the supervisor's status plus what the server told its client. */
export interface FleetRow extends ServerStatus {
  /** `name version` from the handshake, once known. */
  server: string | undefined;
}

/** Options of a {@link Fleet}. */
export interface FleetOptions {
  /**
   * Connect a new client after a failed handshake, by the server's reconnect policy (what
   * `lifeline watch` does); otherwise a failed handshake is shown as `failed` (`lifeline status`).
   */
  retry?: boolean;
}

/** Resolves `start()` for a row: it opened, gave up, or failed a first attempt and waits to retry. */
function settled(row: FleetRow): boolean {
  return row.state === 'open' || row.state === 'failed' || (row.state === 'reconnecting' && row.attempt >= 1);
}

/** The servers of a config file, supervised, each with an SDK client. */
export class Fleet {
  readonly supervisor: Supervisor;
  readonly #clients = new Map<string, DemoClient>();
  readonly #servers = new Map<string, string>();
  readonly #Client: ClientClass;
  readonly #forget: () => void;
  /** The last `failed` status of each server: an SDK client closes its transport when its connect fails. */
  readonly #failures = new Map<string, ServerStatus>();
  /** The stored sign-ins of remote servers (no sign-in happens here: nobody is asked). */
  readonly #signIns: SignedTarget[];
  /** Servers whose transport went `failed` by itself (permanent error, budget spent) since their last connect. */
  readonly #gaveUp = new Set<string>();
  readonly #retries: HandshakeRetries | undefined;
  /** Servers whose client is doing its handshake now. */
  readonly #handshaking = new Set<string>();
  readonly #listeners = new Set<(row: FleetRow) => void>();
  #closed = false;

  constructor(loaded: LoadedConfig, Client: ClientClass, logger?: Logger, options: FleetOptions = {}) {
    this.#Client = Client;
    const quiet = { interactive: false, log: () => undefined };
    const flags = signInFlags({});
    this.#signIns = loaded.servers.map((server) => withSignIn(server, flags, quiet));
    this.supervisor = createSupervisor({
      // Probing connections are no agent's: `status` would otherwise list its own (or another
      // `watch --probe`'s) connections as a running agent's.
      servers: this.#signIns.map(({ target }) => ({
        name: target.name,
        config: { ...target.config, control: false },
      })),
      defaults: loaded.defaults,
      ...(logger === undefined ? {} : { logger }),
    });
    this.#forget = onEarlyExit(() => this.close());
    this.supervisor.subscribe((status) => {
      if (status.state === 'failed') {
        this.#failures.set(status.name, status);
        this.#gaveUp.add(status.name);
      } else if (status.state !== 'idle' && status.state !== 'closing') this.#failures.delete(status.name);
      this.#changed(status.name);
    });
    if (options.retry === true)
      this.#retries = new HandshakeRetries({
        now: () => this.supervisor.now(),
        policy: (name) => this.supervisor.transport(name).actor.getSnapshot().context.policy.reconnect,
        retry: (name) => void this.#connect(name),
        changed: (name) => this.#changed(name),
      });
  }

  /**
   * Hears every change of a row: the supervisor's lifecycle changes, and a handshake retry
   * planned or started. Returns the unsubscribe function.
   */
  subscribe(listener: (row: FleetRow) => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /**
   * Starts every connection and connects a client to each (in the background). Resolves when
   * each server has opened, failed, or failed its first attempt.
   */
  async start(): Promise<void> {
    let unsubscribe = (): void => {};
    const done = new Promise<void>((resolve) => {
      const check = (): void => {
        if (!this.rows().every(settled)) return;
        unsubscribe();
        resolve();
      };
      unsubscribe = this.subscribe(check);
      queueMicrotask(check);
    });
    for (const name of this.supervisor.names) void this.#connect(name);
    // A client whose handshake failed closed its transport: the supervisor alone would wait forever.
    // Whichever wins, the row listener goes.
    await Promise.race([this.supervisor.start(), done]).finally(unsubscribe);
  }

  /** Resolves when every client finished its handshake (or its server is not open), or after `ms`. */
  async handshakes(ms: number): Promise<void> {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      const pending = this.supervisor
        .status()
        .some((status) => status.state === 'open' && !this.#servers.has(status.name));
      if (!pending) return;
      await new Promise((done) => setTimeout(done, 25));
    }
  }

  /** Pings every open server once (its round-trip time is the ping's). */
  async ping(timeoutMs: number): Promise<void> {
    await Promise.all(
      [...this.#clients].map(async ([name, client]) => {
        if (this.supervisor.transport(name).state !== 'open' || !this.#servers.has(name)) return;
        await client.ping({ timeout: timeoutMs }).catch(() => {});
      }),
    );
  }

  /**
   * The table's rows. A server whose client gave up (its transport failed, then was closed by
   * the SDK's failed connect) is shown as the failure it was, not as `idle`.
   */
  rows(): FleetRow[] {
    return this.supervisor.status().map((current) => this.#row(current));
  }

  async close(): Promise<void> {
    this.#closed = true;
    this.#retries?.close();
    await this.supervisor.close();
    await Promise.all(this.#signIns.map((signed) => signed.close()));
    this.#forget();
  }

  /** The servers that need a sign-in (`lifeline auth login NAME`). */
  needSignIn(): string[] {
    return this.rows()
      .filter((row) => row.authorization === 'required')
      .map((row) => row.name);
  }

  /**
   * A server's row. While a handshake retry waits, the transport the SDK closed is `idle`: the
   * row shows `reconnecting` with the retry's attempt and time instead. A server whose client
   * gave up is shown as the failure it was, not as `idle`.
   */
  #row(current: ServerStatus): FleetRow {
    const server = this.#servers.get(current.name);
    const retry = this.#retries?.get(current.name);
    if (this.#closingAfterHandshake(current)) {
      // The SDK closes the transport before its connect() rejects: the retry is planned next.
      return {
        ...current,
        server,
        state: 'reconnecting',
        attempt: (retry?.attempt ?? 0) + 1,
        nextRetryAt: undefined,
        error: current.error ?? retry?.error,
      };
    }
    if (retry !== undefined) {
      const waiting = current.state === 'idle' || current.state === 'closing';
      return {
        ...current,
        server,
        state: waiting ? 'reconnecting' : current.state,
        attempt: waiting ? retry.attempt : retry.attempt + current.attempt,
        since: waiting ? retry.since : current.since,
        nextRetryAt: waiting ? retry.at : current.nextRetryAt,
        error: current.error ?? retry.error,
      };
    }
    const failure = this.#failures.get(current.name);
    const status = current.state === 'idle' && failure !== undefined ? failure : current;
    return { ...status, server };
  }

  /** The SDK client is closing the transport because its handshake failed (and a retry will follow). */
  #closingAfterHandshake(status: ServerStatus): boolean {
    return (
      this.#retries !== undefined &&
      !this.#closed &&
      this.#handshaking.has(status.name) &&
      (status.state === 'idle' || status.state === 'closing')
    );
  }

  #changed(name: string): void {
    if (this.#listeners.size === 0) return;
    const status = this.supervisor.status().find((candidate) => candidate.name === name);
    // The row of a transport the SDK closes after a failed handshake changes once the retry is planned.
    if (status === undefined || this.#closingAfterHandshake(status)) return;
    const row = this.#row(status);
    for (const listener of this.#listeners) listener(row);
  }

  async #connect(name: string): Promise<void> {
    const client = new this.#Client({ name: 'lifeline', version: '1' });
    this.#clients.set(name, client);
    this.#gaveUp.delete(name);
    this.#handshaking.add(name);
    try {
      await client.connect(this.supervisor.transport(name));
      this.#handshaking.delete(name);
      const info = client.getServerVersion();
      this.#servers.set(name, info === undefined ? '?' : `${info.name} ${info.version}`);
      this.#retries?.succeeded(name);
      this.#changed(name);
    } catch (error) {
      this.#handshaking.delete(name);
      this.#servers.delete(name);
      if (this.#closed) return;
      const code = (error as { code?: unknown } | null)?.code;
      if (this.#retries !== undefined && code !== ErrorCode.Unauthorized && !this.#gaveUp.has(name)) {
        this.#retry(name, error);
        return;
      }
      // The SDK closes the transport when its connect fails: keep why, as a failure.
      const status = this.supervisor.status().find((candidate) => candidate.name === name);
      if (status === undefined || (status.state !== 'idle' && status.state !== 'failed')) return;
      this.#retries?.succeeded(name);
      if (code === ErrorCode.Unauthorized) {
        // The SDK's flow would call finishAuth; here the user signs in with the command.
        const message = `the server requires sign-in; run: lifeline auth login ${name}`;
        this.#failures.set(name, {
          ...status,
          state: 'failed',
          authorization: 'required',
          error: { code: ErrorCode.Unauthorized, message },
        });
        return;
      }
      this.#failures.set(name, {
        ...status,
        state: 'failed',
        error: status.error ?? {
          code: typeof code === 'string' ? code : ErrorCode.Session,
          message: `the handshake failed: ${error instanceof Error ? error.message : String(error)}`,
        },
      });
      this.#changed(name);
    }
  }

  /**
   * The handshake failed while the server's policy still allows retries (the link died under
   * `initialize`, or the server refused it): the SDK closed the transport, so a new client
   * connects after the policy's backoff.
   */
  #retry(name: string, error: unknown): void {
    const status = this.supervisor.status().find((candidate) => candidate.name === name);
    const code = (error as { code?: unknown } | null)?.code;
    const cause: RowError = status?.error ?? {
      code: typeof code === 'string' ? code : ErrorCode.Session,
      message: `the handshake failed: ${error instanceof Error ? error.message : String(error)}`,
    };
    const gaveUp = this.#retries?.schedule(name, cause);
    if (gaveUp === undefined || status === undefined) return;
    this.#failures.set(name, { ...status, state: 'failed', error: gaveUp });
    this.#changed(name);
  }
}

const COLUMNS = ['SERVER', 'TYPE', 'STATE', 'RETRY', 'NEXT RETRY', 'RTT', 'LAST ERROR'] as const;

/** A server's state with what it waits for: `failed (authorization required)`, `open (waiting for sign-in)`. */
export function stateText(row: Pick<ServerStatus, 'state' | 'authorization'>): string {
  if (row.authorization === 'required') return `${row.state} (authorization required)`;
  if (row.authorization === 'waiting') return `${row.state} (waiting for sign-in)`;
  return row.state;
}

/** The table's cells for one row (plain text), `now` on the supervisor's clock. */
function cells(row: FleetRow, now: number): string[] {
  const next = row.nextRetryAt === undefined ? '' : `in ${formatMs(Math.max(0, row.nextRetryAt - now))}`;
  return [
    row.name,
    row.type,
    stateText(row),
    String(row.attempt),
    next,
    row.roundTripMs === undefined ? '' : formatMs(row.roundTripMs),
    row.error === undefined ? '' : `${row.error.code}: ${row.error.message}`,
  ];
}

/**
 * The status table, one line per server. `paint` colors the state column; the last column is
 * cut to `width` characters when given (a terminal's width).
 */
export function renderTable(
  rows: readonly FleetRow[],
  now: number,
  options: { paint?: (text: string, tint: Tint) => string; width?: number } = {},
): string[] {
  const table = rows.map((row) => cells(row, now));
  const widths = COLUMNS.map((title, i) =>
    Math.max(title.length, ...table.map((line) => (line[i] ?? '').length)),
  );
  const paint = options.paint ?? ((text: string) => text);
  const line = (values: readonly string[], tints: readonly Tint[] = []): string => {
    const padded = values.map((value, i) => {
      const last = i === values.length - 1;
      const text = last ? value : value.padEnd(widths[i] as number);
      return paint(text, tints[i] ?? 'plain');
    });
    const joined = padded.join('  ').trimEnd();
    return options.width === undefined ? joined : clip(joined, options.width);
  };
  return [
    line(
      COLUMNS,
      COLUMNS.map(() => 'bold'),
    ),
    ...table.map((values, i) => {
      const tints: Tint[] = [];
      tints[2] = STATE_TINT[(rows[i] as FleetRow).state];
      return line(values, tints);
    }),
  ];
}

/** Cuts a line to `width` visible characters (ANSI color codes do not count). */
function clip(text: string, width: number): string {
  let visible = 0;
  let out = '';
  for (let i = 0; i < text.length; i += 1) {
    if (text[i] === '\u001b') {
      const end = text.indexOf('m', i);
      out += text.slice(i, end + 1);
      i = end;
      continue;
    }
    if (visible === width - 1 && i < text.length - 1 && visibleLength(text.slice(i)) > 1) {
      out += '…';
      return `${out}\u001b[0m`;
    }
    out += text[i];
    visible += 1;
  }
  return out;
}

function visibleLength(text: string): number {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: ANSI escape codes
  return text.replace(/\u001b\[[0-9;]*m/g, '').length;
}

/** A row as `--json` prints it: times as ISO strings, no counters a script would not want. */
export function jsonRow(row: FleetRow): Record<string, unknown> {
  return {
    name: row.name,
    type: row.type,
    state: row.state,
    authorization: row.authorization ?? null,
    attempt: row.attempt,
    since: new Date(row.since).toISOString(),
    nextRetryAt: row.nextRetryAt === undefined ? null : new Date(row.nextRetryAt).toISOString(),
    roundTripMs: row.roundTripMs ?? null,
    error: row.error ?? null,
    server: row.server ?? null,
    links: row.stats.links,
    reestablished: row.stats.reestablished,
    failed: row.stats.failed,
  };
}
