// Bad input on WebSocket, against a real child process with hand-written framing
// (test/fixtures/bad-ws-server.mjs) that writes whatever raw frames a test builds: an unknown
// opcode, a masked frame, text that is not UTF-8, reserved bits, a header announcing an enormous
// payload, fragmented or oversize control frames, a message in too many fragments, a bad close
// code; and handshake responses with huge headers or a redirect. RFC 6455 §5-§7: each is a
// protocol error that fails the connection (so requests in flight fail at once with -32090 and
// the link's typed error), and the link reconnects: a request sent after it is answered. Binary
// frames, oversize frames and text frames that are not messages are in
// test/transports/websocket-bad-input.test.ts.

import { describe, expect, it } from 'vitest';
import { CONNECTION_LOST_RPC_CODE, ErrorCode, HttpError, type LifelineError } from '../../src/index.js';
import { startMisbehavingServer } from '../helpers/http-misbehaving.js';
import {
  b64,
  expectLifelineError,
  expectResult,
  expectRpcFailure,
  type Opened,
  rejection,
  reopened,
  useBadInputHarness,
  within,
} from './harness.js';

const { open, keep, server } = useBadInputHarness('ws');

interface FrameSpec {
  opcode: number;
  payload?: Uint8Array | string;
  fin?: boolean;
  /** RSV1..3 as bits 0x40, 0x20, 0x10. */
  rsv?: number;
  /** A masking key: servers must not mask (RFC 6455 §5.1). */
  mask?: boolean;
  /** The length to announce instead of the payload's (a header that lies). */
  announce?: bigint;
}

/** One raw frame, as a server would write it (or, with the spec's oddities, must not). */
function frame({ opcode, payload = '', fin = true, rsv = 0, mask = false, announce }: FrameSpec): Uint8Array {
  const body = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const length = announce ?? BigInt(body.length);
  const first = (fin ? 0x80 : 0) | rsv | opcode;
  const maskBit = mask ? 0x80 : 0;
  let head: Buffer;
  if (length < 126n) head = Buffer.from([first, maskBit | Number(length)]);
  else if (length < 65536n)
    head = Buffer.from([first, maskBit | 126, Number(length >> 8n), Number(length & 0xffn)]);
  else {
    head = Buffer.alloc(10);
    head[0] = first;
    head[1] = maskBit | 127;
    head.writeBigUInt64BE(length, 2);
  }
  if (!mask) return Buffer.concat([head, body]);
  const key = Buffer.from([1, 2, 3, 4]);
  return Buffer.concat([head, key, body.map((byte, i) => byte ^ (key[i % 4] as number))]);
}

async function started(query = '', extra: Record<string, unknown> = {}): Promise<Opened> {
  const opened = open({ url: `${server().url}${query}`, ...extra });
  await opened.transport.start();
  return opened;
}

async function expectEchoed(opened: Opened, text: string): Promise<void> {
  const response = await within(5000, opened.raw.request('echo', { text }), 'echo');
  expect(expectResult(response)).toMatchObject({ method: 'echo', echo: { text } });
}

const protocolErrors: [string, Uint8Array[], ErrorCode][] = [
  ['an unknown opcode (0x3)', [frame({ opcode: 0x3, payload: 'x' })], ErrorCode.WebSocket],
  ['a masked frame', [frame({ opcode: 0x1, payload: '{}', mask: true })], ErrorCode.WebSocket],
  [
    'a text frame that is not UTF-8',
    [frame({ opcode: 0x1, payload: new Uint8Array([0x7b, 0xc3, 0x28, 0x7d]) })],
    ErrorCode.WebSocket,
  ],
  ['RSV1 set without an extension', [frame({ opcode: 0x1, payload: '{}', rsv: 0x40 })], ErrorCode.WebSocket],
  [
    'a header announcing 2^63-1 bytes',
    [frame({ opcode: 0x1, announce: 2n ** 63n - 1n })],
    ErrorCode.WebSocket,
  ],
  [
    'a header announcing 1 GiB (over maxMessageBytes)',
    [frame({ opcode: 0x1, announce: 2n ** 30n })],
    ErrorCode.MessageTooLarge,
  ],
  ['a fragmented ping', [frame({ opcode: 0x9, payload: 'p', fin: false })], ErrorCode.WebSocket],
  ['a ping of 126 bytes', [frame({ opcode: 0x9, payload: 'p'.repeat(126) })], ErrorCode.WebSocket],
  ['a continuation with nothing to continue', [frame({ opcode: 0x0, payload: '{}' })], ErrorCode.WebSocket],
  [
    'a new message inside a fragmented one',
    [frame({ opcode: 0x1, payload: '{', fin: false }), frame({ opcode: 0x1, payload: '}' })],
    ErrorCode.WebSocket,
  ],
  [
    'a close frame with code 999',
    [frame({ opcode: 0x8, payload: new Uint8Array([0x03, 0xe7]) })],
    ErrorCode.WebSocket,
  ],
];

describe('WebSocket: frames that break the protocol', () => {
  it.each(protocolErrors)(
    '%s: fails the requests in flight with -32090 at once, reconnects, and answers the next request',
    async (_name, frames, code) => {
      const opened = await started();
      // A request in flight beside the bad frame: answered by the server 2 s later, if ever.
      const beside = opened.raw.request('emit', { frames: [], delayMs: 2000 });
      const bad = opened.raw.request('emit', { frames: frames.map(b64) });
      const [badAnswer, besideAnswer] = await within(
        3000,
        Promise.all([bad, beside]),
        'the requests in flight',
      );
      for (const answer of [badAnswer, besideAnswer])
        expectRpcFailure(answer, CONNECTION_LOST_RPC_CODE, { code: ErrorCode.ConnectionLost, cause: code });
      expect(opened.errors.map((error) => (error as LifelineError).code)).toEqual([code]);
      await reopened(opened.transport, 2);
      await expectEchoed(opened, 'after');
    },
  );

  it('closes with 1008 on a message in 20,000 empty fragments (LIFELINE_ERR_WEBSOCKET), and reconnects', async () => {
    const opened = await started();
    const pieces = Buffer.concat([
      frame({ opcode: 0x1, fin: false }),
      ...Array.from({ length: 20_000 }, () => frame({ opcode: 0x0, fin: false })),
      frame({ opcode: 0x0, payload: '{}' }),
    ]);
    const answer = await within(3000, opened.raw.request('emit', { frames: [b64(pieces)] }), 'the request');
    expectRpcFailure(answer, CONNECTION_LOST_RPC_CODE, {
      code: ErrorCode.ConnectionLost,
      cause: ErrorCode.WebSocket,
    });
    await reopened(opened.transport, 2);
    await expectEchoed(opened, 'after');
  });

  it('joins a message split into fragments and TCP writes 50 ms apart, with a ping between them', async () => {
    const opened = await started();
    const message = JSON.stringify({
      jsonrpc: '2.0',
      method: 'notifications/message',
      params: { data: 'é✓𝄞' },
    });
    const bytes = Buffer.from(message);
    const first = frame({ opcode: 0x1, payload: bytes.subarray(0, 10), fin: false });
    const second = frame({ opcode: 0x0, payload: bytes.subarray(10) });
    const frames = [first.subarray(0, 1), first.subarray(1), frame({ opcode: 0x9, payload: 'p' }), second];
    const answer = await opened.raw.request('emit', { frames: frames.map(b64), gapMs: 50 });
    expect(expectResult(answer)).toMatchObject({ method: 'emit' });
    expect(opened.raw.others).toMatchObject([{ params: { data: 'é✓𝄞' } }]);
    expect(opened.transport.stats.links).toBe(1);
  });
});

describe('WebSocket: handshakes that break HTTP', () => {
  it('keeps retrying a 101 with 64 KiB of headers (LIFELINE_ERR_NETWORK, retryable), then fails typed at the attempt budget', async () => {
    const opened = open({
      url: `${server().url}?headerBytes=${64 * 1024}`,
      reconnect: { maxAttempts: 2, initialDelayMs: 10, jitter: 0 },
    });
    const error = await within(5000, rejection(opened.transport.start()), 'start');
    // Node's HTTP parser refuses the head (over its 16 KiB): a network failure, retried.
    expectLifelineError(error, ErrorCode.Network);
    expect((error as Error).message).toContain('HPE_HEADER_OVERFLOW');
    expect(opened.transport.state).toBe('failed');
    // Retried: every attempt failed the same way.
    const codes = opened.errors.map((e) => (e as LifelineError).code);
    expect(codes.length).toBeGreaterThanOrEqual(2);
    expect(new Set(codes)).toEqual(new Set([ErrorCode.Network]));
  });

  it('does not follow a redirect of the upgrade to another origin: HttpError 302 for good, nothing sent there', async () => {
    const other = keep(await startMisbehavingServer());
    const location = encodeURIComponent(`ws://127.0.0.1:${other.port}/ws`);
    const opened = open({
      url: `${server().url}?status=302&location=${location}`,
      headers: { authorization: 'Bearer sekret-ws' },
    });
    const error = await within(5000, rejection(opened.transport.start()), 'start');
    expect(error).toBeInstanceOf(HttpError);
    expect(error).toMatchObject({ status: 302, retryable: false });
    expect(opened.transport.state).toBe('failed');
    expect(other.requests).toEqual([]);
  });
});
