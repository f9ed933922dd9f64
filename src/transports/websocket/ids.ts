/**
 * Numeric ids on the wire. supergateway 4.0.0, the only ready-made MCP-over-WebSocket server,
 * rewrites each id as `<client>:<id>` and parses it back with `parseInt`, so a string id
 * comes back as `null`. The link sends every string request id as a number of its own and
 * restores the original in the answer; the client never sees the difference. Numbers (what
 * the SDK uses) pass through untouched, so the common path costs nothing.
 */

import type { JsonRpcMessage, RequestId } from '../../codec/jsonrpc.js';

/** Wire ids for string ids count down from here: far from any id a client counts up to. */
const FIRST_ALIAS = -1_000_000_001;

export class WireIds {
  readonly #toWire = new Map<string, number>();
  readonly #fromWire = new Map<number, string>();
  #next = FIRST_ALIAS;

  /** The message as it goes on the wire. */
  outbound(message: JsonRpcMessage): JsonRpcMessage {
    if ('method' in message) {
      if ('id' in message && typeof message.id === 'string')
        return { ...message, id: this.#alias(message.id) };
      if (message.method === 'notifications/cancelled') return this.#cancelled(message);
    }
    return message;
  }

  /** The message as the runtime must see it: an answer under its original id. */
  inbound(message: JsonRpcMessage): JsonRpcMessage {
    if ('method' in message || typeof message.id !== 'number' || this.#fromWire.size === 0) return message;
    const original = this.release(message.id);
    return original === message.id ? message : { ...message, id: original };
  }

  /** The original of a wire id whose answer arrived unreadable; the alias is forgotten. */
  release(id: RequestId): RequestId {
    if (typeof id !== 'number') return id;
    const original = this.#fromWire.get(id);
    if (original === undefined) return id;
    this.#fromWire.delete(id);
    this.#toWire.delete(original);
    return original;
  }

  #alias(id: string): number {
    let wire = this.#toWire.get(id);
    if (wire === undefined) {
      wire = this.#next;
      this.#next -= 1;
      this.#toWire.set(id, wire);
      this.#fromWire.set(wire, id);
    }
    return wire;
  }

  #cancelled(message: JsonRpcMessage & { method: string }): JsonRpcMessage {
    const params = (message as { params?: { requestId?: unknown } }).params;
    const wire = typeof params?.requestId === 'string' ? this.#toWire.get(params.requestId) : undefined;
    return wire === undefined
      ? message
      : ({ ...message, params: { ...params, requestId: wire } } as JsonRpcMessage);
  }
}
