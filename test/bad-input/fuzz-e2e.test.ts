// Generated garbage end to end, over real child processes: fast-check makes the junk, a fixture
// server writes it (stdio lines, an SSE stream of either HTTP transport, WebSocket text
// frames), and one
// transport per transport kind takes every run in turn. After each run the request that carried
// the junk is answered, every warning has a LIFELINE_ERR_* code, and the connection is the one it
// started on (no restart, no lost neighbour). Runs are bounded (the codec's own properties, with
// many more runs, are in ./codec.test.ts); a failure prints fast-check's seed to replay it.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { ErrorCode } from '../../src/index.js';
import { fixturePath } from '../helpers/processes.js';
import type { ChildPeer } from '../peers/index.js';
import {
  b64,
  expectResult,
  type Opened,
  startBadPeer,
  useBadInputHarness,
  warnedCodes,
  within,
} from './harness.js';

const RUNS = 40;
const KNOWN_CODES = new Set<string>([
  ErrorCode.Parse,
  ErrorCode.InvalidEnvelope,
  ErrorCode.MessageTooLarge,
  '',
]);
const { open, keep } = useBadInputHarness();

/** A fixture server for this test, stopped after it. */
async function started(kind: 'http' | 'ws'): Promise<ChildPeer> {
  const peer = await startBadPeer(kind);
  keep({ close: () => peer.stop() });
  return peer;
}

/** After every run: typed warnings only, nothing reported as an error, still the first link. */
function expectUnharmed(opened: Opened): void {
  for (const code of warnedCodes(opened.log)) expect(KNOWN_CODES).toContain(code);
  expect(opened.errors).toEqual([]);
  expect(opened.transport.state).toBe('open');
  expect(opened.transport.stats.links).toBe(1);
}

/** Lines a broken server writes: bytes, text with JSON-ish characters, JSON that is no message. */
const junkLine = fc
  .oneof(
    fc.uint8Array({ maxLength: 200 }).map((bytes) => Buffer.from(bytes).toString('latin1')),
    fc.string({
      unit: fc.constantFrom('{', '}', '"', ':', ',', '[', ']', '\\', ' ', 'a', '1', 'é', '\u0000', '\r'),
      maxLength: 80,
    }),
    fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  )
  // A line of its own; one that could pass for an answer naming a request is not junk.
  .map((line) => line.replace(/\n/g, ' '))
  .filter((line) => !/"id"/.test(line));

/** SSE lines of junk: known and unknown field names, any separator, junk values, any line ending. */
const sseLine = fc
  .tuple(
    fc.oneof(fc.constantFrom('data', 'id', 'event', 'retry', '', 'dat'), fc.string({ maxLength: 6 })),
    fc.constantFrom(':', ': ', ''),
    junkLine,
    fc.constantFrom('\n', '\r\n', '\r'),
  )
  .map(([name, separator, value, ending]) => `${name}${separator}${value.replace(/\r/g, '')}${ending}`);

describe('generated garbage over real child processes', () => {
  it('stdio: lines of junk before each answer', async () => {
    const opened = open({
      command: process.execPath,
      args: [fixturePath('bad-stdio-server.mjs')],
      stderr: 'ignore',
    });
    await opened.transport.start();
    await fc.assert(
      fc.asyncProperty(fc.array(junkLine, { minLength: 1, maxLength: 8 }), async (lines) => {
        const chunks = [Buffer.from(`${lines.join('\n')}\n`, 'latin1')].map(b64);
        const answer = await within(5000, opened.raw.request('emit', { chunks, gapMs: 0 }), 'emit');
        expect(expectResult(answer)).toEqual({ emitted: 1 });
        expectUnharmed(opened);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it.each([
    ['Streamable HTTP', 'http', '/mcp'],
    ['HTTP+SSE', 'sse', '/sse'],
  ] as const)('%s: SSE fields of junk on the stream before the answer', async (_name, type, path) => {
    const peer = await started('http');
    const opened = open({ url: new URL(path, peer.url).href, type });
    await opened.transport.start();
    await fc.assert(
      fc.asyncProperty(fc.array(sseLine, { minLength: 1, maxLength: 10 }), async (lines) => {
        // Three newlines end whatever line and event the junk left open.
        const chunks = [`${lines.join('')}\n\n\n`].map(b64);
        const answer = await within(
          5000,
          opened.raw.request('emit', { chunks, answer: 'sse', gapMs: 0 }),
          'emit',
        );
        expect(expectResult(answer)).toMatchObject({ method: 'emit' });
        expectUnharmed(opened);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });

  it('WebSocket: text frames of junk before the answer', async () => {
    const peer = await started('ws');
    const opened = open({ url: peer.url });
    await opened.transport.start();
    const text = fc
      .oneof(
        fc.string({ unit: 'grapheme', maxLength: 60 }),
        fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
      )
      .filter((frame) => !/"id"/.test(frame));
    await fc.assert(
      fc.asyncProperty(fc.array(text, { minLength: 1, maxLength: 6 }), async (texts) => {
        const frames = texts.map((t) => b64(textFrame(t)));
        const answer = await within(5000, opened.raw.request('emit', { frames, gapMs: 0 }), 'emit');
        expect(expectResult(answer)).toMatchObject({ method: 'emit' });
        expectUnharmed(opened);
      }),
      { numRuns: RUNS, endOnFailure: true },
    );
  });
});

/** One unmasked text frame. */
function textFrame(text: string): Buffer {
  const payload = Buffer.from(text, 'utf8');
  const head =
    payload.length < 126
      ? Buffer.from([0x81, payload.length])
      : Buffer.from([0x81, 126, payload.length >> 8, payload.length & 0xff]);
  return Buffer.concat([head, payload]);
}
