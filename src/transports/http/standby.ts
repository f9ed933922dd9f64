/**
 * The legacy era's GET standby stream: server-initiated requests and notifications outside
 * any request. Opened after `notifications/initialized` (405 means the server has none),
 * resumed with `Last-Event-ID` after the server's `retry:` delay when it drops.
 *
 * Attempts are budgeted, and only a message on the stream refills the budget: a server (or
 * a proxy) that keeps closing an idle stream is not reconnected forever (the SDK's #2682),
 * and one that drops it twice is not given up at once either (#2098).
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/transports#listening-for-messages-from-the-server
 */

import type { LinkError } from '../../errors.js';
import type { LinkSink } from '../../link/contract.js';
import { AuthFailure, askAuth, authOutcome, isChallenge } from './auth-step.js';
import { type HttpClient, type HttpLinkOptions, isAbort, mediaType, networkError } from './client.js';
import { readEventStream } from './events.js';

/** Opens (or resumes) the stream this many times without a message in between, then stops. */
export const MAX_STANDBY_ATTEMPTS = 5;
/** The longest wait between two attempts when the server names none, in ms. */
const MAX_WAIT_MS = 30_000;

/** What the standby stream needs from its link. */
export interface StandbyHost {
  client: HttpClient;
  sink: LinkSink;
  options: HttpLinkOptions & { resumeDelayMs: number };
  /** The link's current headers (session id, protocol version, credentials). */
  headers(): Record<string, string>;
  /** The server is unreachable: take the link down. */
  down(error: LinkError): void;
  /** Whether the link is still up. */
  live(): boolean;
}

export class Standby {
  readonly #host: StandbyHost;
  #controller: AbortController | undefined;
  #timer: NodeJS.Timeout | undefined;
  #started = false;
  #attempts = 0;
  #lastEventId: string | undefined;
  #retryMs: number | undefined;
  /** The stream was refused for its credentials and reopened with renewed ones (once in a row). */
  #renewed = false;

  constructor(host: StandbyHost) {
    this.#host = host;
  }

  /** Opens the stream (once per link). */
  start(): void {
    if (this.#started) return;
    this.#started = true;
    void this.#open();
  }

  /** Closes the stream and cancels any pending reopen. */
  stop(): void {
    this.#started = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#controller?.abort();
    this.#controller = undefined;
  }

  async #open(): Promise<void> {
    const host = this.#host;
    if (!host.live()) return;
    const controller = new AbortController();
    this.#controller = controller;
    const headers: Record<string, string> = { ...host.headers(), accept: 'text/event-stream' };
    if (this.#lastEventId !== undefined) headers['last-event-id'] = this.#lastEventId;
    const auth = host.options.auth;
    const sent = await auth?.authorization().catch(() => undefined);
    if (sent !== undefined) headers.authorization = sent;
    if (!host.live() || controller.signal.aborted) return;
    let response: Awaited<ReturnType<HttpClient['request']>>;
    try {
      response = await host.client.request(
        { method: 'GET', url: host.options.url, headers, signal: controller.signal },
        'Opening the standby stream',
      );
    } catch (error) {
      if (isAbort(error)) return;
      const failure = networkError(error, 'Opening the standby stream');
      if (failure.undelivered) host.down(failure);
      else this.#again();
      return;
    }
    if (response.statusCode === 405) {
      response.body.dump().catch(() => {});
      return;
    }
    if (isChallenge(auth, response.statusCode) && (await this.#challenged(response, sent))) return;
    if (response.statusCode !== 200 || mediaType(response) !== 'text/event-stream') {
      response.body.dump().catch(() => {});
      host.sink.diagnostic({
        source: 'http',
        level: 'warn',
        message: `The standby stream got HTTP ${response.statusCode} (${mediaType(response) || 'no content type'})`,
      });
      this.#again();
      return;
    }
    this.#renewed = false;
    const outcome = await readEventStream(
      response.body,
      host.sink,
      host.options.maxMessageBytes,
      {
        onMessage: () => {
          this.#attempts = 0;
          return true;
        },
      },
      { lastEventId: this.#lastEventId, retryMs: this.#retryMs },
    );
    this.#lastEventId = outcome.lastEventId;
    this.#retryMs = outcome.retryMs;
    if (!outcome.aborted) this.#again();
  }

  /**
   * Asks the auth about a 401/403 on the stream: reopens it at once with renewed credentials
   * (once in a row), or takes the link down with the auth's refusal of a 401.
   *
   * @returns whether the refusal was dealt with (false: treat it as any other status).
   */
  async #challenged(
    response: Awaited<ReturnType<HttpClient['request']>>,
    sent: string | undefined,
  ): Promise<boolean> {
    const host = this.#host;
    try {
      const { retry } = await askAuth(
        host.options.auth as NonNullable<typeof host.options.auth>,
        response,
        sent,
        'GET',
      );
      if (!retry || this.#renewed) return false;
      this.#renewed = true;
      void this.#open();
      return true;
    } catch (error) {
      if (!(error instanceof AuthFailure)) throw error;
      const { down } = authOutcome(error);
      if (down !== undefined) host.down(down);
      return down !== undefined;
    }
  }

  #again(): void {
    const host = this.#host;
    if (!host.live() || this.#controller === undefined) return;
    this.#attempts += 1;
    if (this.#attempts > MAX_STANDBY_ATTEMPTS) {
      host.sink.diagnostic({
        source: 'http',
        level: 'warn',
        message: `Gave up the standby stream after ${MAX_STANDBY_ATTEMPTS} attempts without a message; server-initiated messages outside requests are not received`,
      });
      return;
    }
    const backoff = Math.min(host.options.resumeDelayMs * 2 ** (this.#attempts - 1), MAX_WAIT_MS);
    this.#timer = setTimeout(() => {
      this.#timer = undefined;
      void this.#open();
    }, this.#retryMs ?? backoff);
  }
}
