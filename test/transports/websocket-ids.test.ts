// Wire ids of the WebSocket link: string request ids travel as numbers (supergateway 4.0.0 turns a
// string id into null) and come back under their original id; numbers pass untouched.

import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/codec/jsonrpc.js';
import { WireIds } from '../../src/transports/websocket/ids.js';

describe('WireIds', () => {
  it('passes numeric ids and every non-request through as the same object', () => {
    const ids = new WireIds();
    const messages: JsonRpcMessage[] = [
      { jsonrpc: '2.0', id: 7, method: 'tools/list' },
      { jsonrpc: '2.0', method: 'notifications/initialized' },
      { jsonrpc: '2.0', id: 'server-1', result: {} },
    ];
    for (const message of messages) {
      expect(ids.outbound(message)).toBe(message);
      expect(ids.inbound(message)).toBe(message);
    }
  });

  it('sends a string request id as a negative number and restores it in the answer, once', () => {
    const ids = new WireIds();
    const wire = ids.outbound({ jsonrpc: '2.0', id: 'lifeline:init:1', method: 'initialize', params: {} });
    expect(wire).toMatchObject({ id: expect.any(Number), method: 'initialize' });
    const wireId = (wire as { id: number }).id;
    expect(wireId).toBeLessThan(-1_000_000_000);
    expect(ids.inbound({ jsonrpc: '2.0', id: wireId, result: { ok: true } })).toEqual({
      jsonrpc: '2.0',
      id: 'lifeline:init:1',
      result: { ok: true },
    });
    // Answered: the alias is forgotten, a repeat passes as it is.
    expect(ids.inbound({ jsonrpc: '2.0', id: wireId, result: {} })).toMatchObject({ id: wireId });
    expect(ids.release(wireId)).toBe(wireId);
  });

  it('releases the alias of an answer that arrived unreadable', () => {
    const ids = new WireIds();
    const wireId = (ids.outbound({ jsonrpc: '2.0', id: 'x', method: 'ping' }) as { id: number }).id;
    expect(ids.release(wireId)).toBe('x');
    expect(ids.release(wireId)).toBe(wireId);
    expect(ids.release('x')).toBe('x');
  });

  it('gives distinct string ids distinct wire ids, and rewrites a cancellation to the wire id', () => {
    const ids = new WireIds();
    const a = (ids.outbound({ jsonrpc: '2.0', id: 'a', method: 'ping' }) as { id: number }).id;
    const b = (ids.outbound({ jsonrpc: '2.0', id: 'b', method: 'ping' }) as { id: number }).id;
    expect(a).not.toBe(b);
    const cancel = ids.outbound({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: 'b', reason: 'stop' },
    });
    expect(cancel).toEqual({
      jsonrpc: '2.0',
      method: 'notifications/cancelled',
      params: { requestId: b, reason: 'stop' },
    });
    const errorAnswer = ids.inbound({ jsonrpc: '2.0', id: a, error: { code: -1, message: 'x' } });
    expect(errorAnswer).toMatchObject({ id: 'a' });
  });
});
