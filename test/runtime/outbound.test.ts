// The outbound side's decisions when a link dies while writes to it are still unsettled (an
// HTTP POST still connecting, a pipe still draining): whether the request reached the server
// is not known yet, so its fate waits for the write. This is the pure decision logic; the
// end-to-end cases run against real servers in test/transports/http.test.ts.

import { describe, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import type { JsonRpcErrorResponse, JsonRpcRequest } from '../../src/codec/jsonrpc.js';
import { CONNECTION_LOST_RPC_CODE, ErrorCode, LinkError } from '../../src/errors.js';
import { Outbound } from '../../src/runtime/data-path/outbound.js';

function harness() {
  const clock = new SimulatedClock();
  const delivered: JsonRpcErrorResponse[] = [];
  const outbound = new Outbound(
    {
      clock,
      now: () => clock.now(),
      deliver: (response) => delivered.push(response),
      report: () => {},
      countFailure: () => {},
      mayReissue: () => true,
    },
    { maxMessages: 100, maxBytes: 1 << 20 },
    undefined,
  );
  /** Writes a request as the conduit does: tracked, then written. */
  const write = (id: number): JsonRpcRequest => {
    const request: JsonRpcRequest = { jsonrpc: '2.0', id, method: 'tools/call', params: {} };
    outbound.track(request, undefined);
    outbound.written(request);
    return request;
  };
  const queuedIds = (): unknown[] => {
    const ids: unknown[] = [];
    outbound.flush((message) => ids.push('id' in message ? message.id : undefined));
    return ids;
  };
  return { outbound, delivered, write, queuedIds };
}

const refused = new LinkError(ErrorCode.Network, 'connect ECONNREFUSED', {
  retryable: true,
  undelivered: true,
});
const down = new LinkError(ErrorCode.Network, 'connection reset', { retryable: true });

describe('Outbound: a link that dies under unsettled writes', () => {
  it('answers a request whose write had settled with connection lost at once', () => {
    const { outbound, delivered, write } = harness();
    const request = write(1);
    outbound.writeDone(request);
    outbound.linkLost(down, false);
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
  });

  it('lets a request whose unsettled write is then refused undelivered wait for the next link', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    const request = write(1);
    outbound.linkLost(down, false);
    expect(delivered).toEqual([]);
    expect(outbound.writeFailed(request, refused, false)).toBeUndefined();
    expect(delivered).toEqual([]);
    expect(queuedIds()).toEqual([1]);
  });

  it('keeps a re-issued request whose re-issue write is refused for the next link, not failed', () => {
    // The flake this guards: a re-issued POST still connecting when another refusal takes the
    // link down used to be failed (its one re-issue spent) though it never reached the server.
    const { outbound, delivered, write, queuedIds } = harness();
    write(1);
    const again = outbound.unanswered(1, down, 'reissue') as JsonRpcRequest;
    expect(again.id).not.toBe(1);
    outbound.written(again);
    outbound.linkLost(refused, true);
    expect(outbound.writeFailed(again, refused, false)).toBeUndefined();
    expect(delivered).toEqual([]);
    expect(queuedIds()).toEqual([again.id]);
  });

  it('decides a request whose unsettled write then succeeds as the link end would', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    const request = write(1);
    outbound.linkLost(down, false);
    outbound.writeDone(request);
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
    expect(queuedIds()).toEqual([]);
  });

  it('re-issues a request whose unsettled write then fails otherwise, on per-request streams', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    const request = write(1);
    outbound.linkLost(down, true);
    outbound.writeFailed(request, down, false);
    expect(delivered).toEqual([]);
    const [reissued] = queuedIds();
    expect(reissued).toMatch(/reissue/);
    expect(outbound.clientId(reissued as string)).toBe(1);
  });

  it('ignores the late settling of a write under an id the request no longer travels under', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    const request = write(1);
    const again = outbound.unanswered(1, down, 'reissue') as JsonRpcRequest;
    outbound.written(again);
    outbound.writeDone(request);
    outbound.linkLost(down, true);
    expect(delivered).toEqual([]);
    outbound.writeDone(again);
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
    expect(queuedIds()).toEqual([]);
  });
});

// Issue 16: a request in flight when the server is killed is re-issued at once, and that
// re-issue meets the same dying server (its listener still accepts and resets; a pooled socket
// is not yet seen closed). Its POST gets no response at all: that must not spend the re-issue.
const noResponse = new LinkError(ErrorCode.Network, 'POST failed: ECONNRESET', { retryable: true });
const brokeMidAnswer = new LinkError(ErrorCode.StreamLost, 'the response stream broke', { retryable: true });

describe('Outbound: a re-issue is spent only once the server responded to it', () => {
  it('keeps a re-issue that got no response for the next link, under a new id, and counts the request once', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    write(1);
    const again = outbound.unanswered(1, noResponse, 'reissue') as JsonRpcRequest;
    outbound.written(again);
    expect(outbound.unanswered(again.id, noResponse, 'reissue')).toBe('next-link');
    expect(delivered).toEqual([]);
    const [next] = queuedIds();
    expect(next).toMatch(/reissue/);
    expect(next).not.toBe(again.id);
    expect(outbound.clientId(next as string)).toBe(1);
    expect(outbound.reissued).toBe(1);
  });

  it('fails a re-issue whose response broke after the server responded', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    write(1);
    const again = outbound.unanswered(1, brokeMidAnswer, 'reissue') as JsonRpcRequest;
    outbound.written(again);
    expect(outbound.unanswered(again.id, brokeMidAnswer, 'reissue')).toBeUndefined();
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
    expect(queuedIds()).toEqual([]);
  });

  it('keeps a re-issue whose link died before it got a response, however the link ends first', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    write(1);
    const again = outbound.unanswered(1, noResponse, 'reissue') as JsonRpcRequest;
    outbound.written(again);
    // The link goes down (another POST was refused) while the re-issue is still out...
    outbound.linkLost(refused, true);
    // ...and then its POST is reset with no response.
    expect(outbound.unanswered(again.id, noResponse, 'reissue')).toBeUndefined();
    outbound.writeDone(again);
    expect(delivered).toEqual([]);
    const [next] = queuedIds();
    expect(outbound.clientId(next as string)).toBe(1);
  });

  it('still answers a request once the server responded to its re-issue and the link then died', () => {
    const { outbound, delivered, write } = harness();
    write(1);
    const again = outbound.unanswered(1, noResponse, 'reissue') as JsonRpcRequest;
    outbound.written(again);
    outbound.writeDone(again);
    outbound.linkLost(refused, true);
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
  });
});

describe('Outbound: a request that kills the server before it can respond', () => {
  it('goes out again unanswered a bounded number of times, then fails to its caller', () => {
    const { outbound, delivered, write, queuedIds } = harness();
    write(1);
    let wire: JsonRpcRequest = outbound.unanswered(1, noResponse, 'reissue') as JsonRpcRequest;
    let silentRounds = 0;
    for (;;) {
      outbound.written(wire);
      const fate = outbound.unanswered(wire.id, noResponse, 'reissue');
      if (fate !== 'next-link') break;
      silentRounds += 1;
      // The next link flushes the queue: the request under its newest id.
      const flushed: JsonRpcRequest[] = [];
      outbound.flush((message) => flushed.push(message as JsonRpcRequest));
      expect(flushed).toHaveLength(1);
      wire = flushed[0] as JsonRpcRequest;
      expect(silentRounds).toBeLessThan(10);
    }
    expect(silentRounds).toBe(3);
    expect(delivered.map((r) => [r.id, r.error.code])).toEqual([[1, CONNECTION_LOST_RPC_CODE]]);
    expect(queuedIds()).toEqual([]);
  });
});

describe('Outbound: a request whose signal is already aborted', () => {
  it('is forgotten at once: its id is free again and a lost link answers nothing for it', () => {
    const { outbound, delivered } = harness();
    const request: JsonRpcRequest = { jsonrpc: '2.0', id: 7, method: 'tools/call', params: {} };
    outbound.track(request, { signal: AbortSignal.abort() });
    expect(() => outbound.track(request, undefined)).not.toThrow();
    outbound.settle(7);
    outbound.linkLost(down, false);
    expect(delivered).toEqual([]);
  });
});
