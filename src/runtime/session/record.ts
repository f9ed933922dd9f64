/**
 * What the runtime remembers of a session so it can re-establish it on a new link.
 *
 * Legacy era (up to 2025-11-25): the client's `initialize` request and
 * `notifications/initialized` are recorded; on every new link the runtime replays them (fresh
 * id, answer consumed internally, protocol version checked) before anything else is sent.
 * Modern era (2026-07-28): no handshake; open `subscriptions/listen` requests are re-sent.
 *
 * @see https://modelcontextprotocol.io/specification/2025-11-25/basic/lifecycle
 */

import type {
  JsonRpcMessage,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
} from '../../codec/jsonrpc.js';
import type { ProtocolEra } from '../../machines/connection.js';

/** The first protocol revision of the modern era. */
export const MODERN_ERA_START = '2026-07-28';

/** The era a protocol revision (a `YYYY-MM-DD` string) belongs to. */
export function eraOf(protocolVersion: string): ProtocolEra {
  return protocolVersion >= MODERN_ERA_START ? 'modern' : 'legacy';
}

/** Prefix of the ids the runtime uses for its own requests; their answers never reach the client. */
export const INTERNAL_ID_PREFIX = 'lifeline:';

/** Whether a request id is one of the runtime's own. */
export function isInternalId(id: unknown): id is string {
  return typeof id === 'string' && id.startsWith(INTERNAL_ID_PREFIX);
}

/**
 * A session id as the machine's context (and so the inspector and the live view) shows it:
 * its first four characters and its length. A session id grants access to the session, so
 * the whole value stays out of snapshots.
 */
export function maskSessionId(sessionId: string | undefined): string | undefined {
  return sessionId === undefined ? undefined : `${sessionId.slice(0, 4)}…(${sessionId.length})`;
}

/** Records the handshake and checks a replay's answer. */
export class SessionRecord {
  #initialize: JsonRpcRequest | undefined;
  #initializeId: JsonRpcRequest['id'] | undefined;
  #initialized: JsonRpcNotification | undefined;
  #protocolVersion: string | undefined;
  #era: ProtocolEra | undefined;
  #replays = 0;

  get era(): ProtocolEra | undefined {
    return this.#era;
  }

  get protocolVersion(): string | undefined {
    return this.#protocolVersion;
  }

  /** Whether a new link needs the handshake replayed before it carries the client's traffic. */
  get needsReplay(): boolean {
    return this.#era === 'legacy' && this.#initialize !== undefined && this.#protocolVersion !== undefined;
  }

  /** Notes an outbound message; returns true when it is part of the handshake. */
  noteOutbound(message: JsonRpcMessage): void {
    if (!('method' in message)) return;
    if (message.method === 'initialize' && 'id' in message) {
      this.#initialize = message;
      this.#initializeId = message.id;
      this.#initialized = undefined;
    } else if (message.method === 'notifications/initialized' && !('id' in message)) {
      this.#initialized = message;
    }
  }

  /**
   * Notes an inbound response; a successful answer to the recorded `initialize` fixes the
   * protocol version and the era. Returns the era it established, if any.
   */
  noteResponse(response: JsonRpcResponse): ProtocolEra | undefined {
    if (this.#initializeId === undefined || response.id !== this.#initializeId || !('result' in response))
      return undefined;
    const version = (response.result as { protocolVersion?: unknown } | null)?.protocolVersion;
    if (typeof version !== 'string') return undefined;
    this.setProtocolVersion(version);
    return this.#era;
  }

  /** The protocol version the client settled on (from `setProtocolVersion` or the initialize answer). */
  setProtocolVersion(version: string): void {
    this.#protocolVersion = version;
    this.#era = eraOf(version);
  }

  /** Forgets everything (the transport was closed). */
  reset(): void {
    this.#initialize = undefined;
    this.#initializeId = undefined;
    this.#initialized = undefined;
    this.#protocolVersion = undefined;
    this.#era = undefined;
  }

  /** The `initialize` request to replay, with a fresh internal id. */
  replayInitialize(): JsonRpcRequest | undefined {
    if (this.#initialize === undefined) return undefined;
    this.#replays += 1;
    return { ...this.#initialize, id: `${INTERNAL_ID_PREFIX}initialize:${this.#replays}` };
  }

  /** The `notifications/initialized` to replay (the spec requires it after initialize). */
  replayInitialized(): JsonRpcNotification {
    return this.#initialized ?? { jsonrpc: '2.0', method: 'notifications/initialized' };
  }

  /**
   * Checks the answer to a replayed `initialize`.
   *
   * @returns undefined when the session is re-established, otherwise why not.
   */
  checkReplayAnswer(response: JsonRpcResponse): string | undefined {
    if ('error' in response) return `the server refused the replayed initialize: ${response.error.message}`;
    const version = (response.result as { protocolVersion?: unknown } | null)?.protocolVersion;
    if (version !== this.#protocolVersion) {
      return `the server now speaks protocol version ${String(version)}, the session was ${this.#protocolVersion}`;
    }
    return undefined;
  }
}
