/**
 * The runtime's own requests on a link: the legacy handshake replayed on a new link, and the
 * heartbeat's `ping`. Their ids carry the `lifeline:` prefix; their answers never reach the
 * client.
 */

import type { JsonRpcResponse } from '../../codec/jsonrpc.js';
import { ErrorCode, LinkError } from '../../errors.js';
import type { LinkHandle } from '../../link/contract.js';
import type { Clock } from '../options/resolve.js';
import { INTERNAL_ID_PREFIX, type SessionRecord } from './record.js';

/** What the keeper needs from its transport. */
export interface KeeperHost {
  clock: Clock;
  /** Deadline for the replayed handshake's answer, in ms. */
  connectMs: number;
  /** The session is back on this link: start carrying the client's traffic. */
  reestablished(link: LinkHandle): void;
  /** The link cannot carry the session. */
  failed(error: LinkError): void;
  /** The heartbeat's ping was answered. */
  pong(): void;
}

export class SessionKeeper {
  readonly #record: SessionRecord;
  readonly #host: KeeperHost;
  #replayId: string | undefined;
  #replayTimer: unknown;
  #pingId: string | undefined;
  #pings = 0;
  /** Counts links attached and detached, so a late handshake write cannot revive a dead link. */
  #replays = 0;

  constructor(record: SessionRecord, host: KeeperHost) {
    this.#record = record;
    this.#host = host;
  }

  /**
   * A new link is up. In the legacy era, after the first link, replays the recorded
   * `initialize` (fresh id, answered within `connectMs`). Returns true when the link must wait
   * for the replay before it carries the client's traffic.
   */
  attach(link: LinkHandle, firstLink: boolean): boolean {
    if (firstLink || !this.#record.needsReplay) return false;
    const initialize = this.#record.replayInitialize();
    if (initialize === undefined) return false;
    this.#replayId = String(initialize.id);
    this.#replayTimer = this.#host.clock.setTimeout(() => {
      this.#replayTimer = undefined;
      this.#fail('no answer to the replayed initialize within timeouts.connectMs', true);
    }, this.#host.connectMs);
    link.send(initialize).catch(() => {});
    return true;
  }

  /** The link is gone: forget what was asked on it. */
  detach(): void {
    this.#replays += 1;
    this.#replayId = undefined;
    this.#pingId = undefined;
    if (this.#replayTimer !== undefined) this.#host.clock.clearTimeout(this.#replayTimer);
    this.#replayTimer = undefined;
  }

  /** Sends a heartbeat `ping`; any answer, even an error, proves the server alive. */
  ping(link: LinkHandle): void {
    this.#pings += 1;
    const id = `${INTERNAL_ID_PREFIX}ping:${this.#pings}`;
    this.#pingId = id;
    link.send({ jsonrpc: '2.0', id, method: 'ping' }).catch(() => {});
  }

  /** Handles the answer to one of the runtime's own requests on `link`. */
  answer(response: JsonRpcResponse, link: LinkHandle | undefined): void {
    if (response.id === this.#pingId) {
      this.#pingId = undefined;
      this.#host.pong();
      return;
    }
    if (response.id !== this.#replayId || link === undefined) return;
    this.detach();
    const problem = this.#record.checkReplayAnswer(response);
    if (problem !== undefined) {
      // A refusal may pass; a server that now speaks another protocol version will not.
      this.#fail(problem, 'error' in response);
      return;
    }
    // The client's traffic waits until `initialized` is out: over HTTP each message is its own
    // request, and a server must not see the queue before the end of the handshake.
    const replayed = this.#replays;
    link.send(this.#record.replayInitialized()).then(
      () => {
        if (this.#replays === replayed) this.#host.reestablished(link);
      },
      () => {},
    );
  }

  #fail(reason: string, retryable: boolean): void {
    this.#host.failed(
      new LinkError(ErrorCode.Session, `Cannot re-establish the session: ${reason}`, { retryable }),
    );
  }
}
