// Generated bad input against the codec (src/codec): arbitrary bytes as NDJSON, arbitrary JSON
// values as JSON-RPC envelopes, arbitrary SSE fields, cut into arbitrary chunks under arbitrary
// size limits. What must hold for every input: nothing throws, every problem is a typed
// CodecError with its LIFELINE_ERR_* code, memory stays bounded by the limit, and the decoder
// resynchronises: the first good message after the garbage is delivered. (Well-formed streams
// cut anywhere are in test/codec; these are the inputs a broken or hostile server sends.)

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  createNdjsonDecoder,
  createSseDecoder,
  encodeMessage,
  isErrorResponse,
  isNotification,
  isRequest,
  isResponse,
  type JsonRpcMessage,
  type NdjsonProblem,
  type SseProblem,
  validateMessage,
} from '../../src/codec/index.js';
import { parseMessage } from '../../src/codec/jsonrpc.js';
import { parseWholeEvents } from '../../src/codec/sse-fast.js';
import { CodecError, ErrorCode } from '../../src/errors.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

const GOOD: JsonRpcMessage = { jsonrpc: '2.0', id: 'good', result: { ok: true } };

const PROBLEM_CODES: Record<string, ErrorCode> = {
  'invalid-json': ErrorCode.Parse,
  'invalid-sse': ErrorCode.Parse,
  'invalid-envelope': ErrorCode.InvalidEnvelope,
  oversize: ErrorCode.MessageTooLarge,
};

/** Slices `data` into consecutive chunks of the given sizes (0 included), the rest last. */
function chunked(data: Uint8Array, sizes: readonly number[]): Uint8Array[] {
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const size of sizes) {
    chunks.push(data.slice(offset, offset + size));
    offset = Math.min(data.length, offset + size);
  }
  return [...chunks, data.slice(offset)];
}

function expectTypedProblem(problem: NdjsonProblem | SseProblem): void {
  expect(problem.error).toBeInstanceOf(CodecError);
  expect(problem.error.code).toBe(PROBLEM_CODES[problem.type]);
}

/** Bytes a broken server writes: anything, with newlines, CRs, braces and quotes more likely. */
const junkBytes = fc.oneof(
  fc.uint8Array({ maxLength: 300 }),
  fc
    .array(
      fc.constantFrom('\n', '\r', '{', '}', '"', '[', ':', ',', '\\', ' ', 'x', 'é', '\u0000', '\ufeff'),
      {
        maxLength: 120,
      },
    )
    .map((units) => bytes(units.join(''))),
  fc.jsonValue({ maxDepth: 3 }).map((value) => bytes(`${JSON.stringify(value)}\n`)),
);

describe('NDJSON decoder: generated garbage', () => {
  it('never throws, types every problem, stays within the limit, and delivers the good line after any garbage', () => {
    fc.assert(
      fc.property(
        fc.array(junkBytes, { maxLength: 6 }),
        fc.array(fc.nat(64), { maxLength: 12 }),
        // At least the good line's size (51 bytes).
        fc.integer({ min: 64, max: 512 }),
        (junk, points, limit) => {
          const messages: JsonRpcMessage[] = [];
          const problems: NdjsonProblem[] = [];
          const decoder = createNdjsonDecoder({
            maxMessageBytes: limit,
            onMessage: (message) => messages.push(message),
            onProblem: (problem) => problems.push(problem),
          });
          const garbage = Buffer.concat(junk);
          const data = Buffer.concat([garbage, bytes(`\n${encodeMessage(GOOD)}`)]);
          for (const chunk of chunked(data, points)) {
            decoder.feed(chunk);
            // One byte of slack: the `\r` of a CRLF ending.
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(limit + 1);
          }
          for (const problem of problems) {
            expectTypedProblem(problem);
            expect(problem.head.length).toBeLessThanOrEqual(256);
          }
          for (const message of messages) expect(validateMessage(message)).toBeUndefined();
          expect(messages.at(-1)).toEqual(GOOD);
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 400 },
    );
  });

  it('recovers a message that follows text without a newline on its line, and reports the text once', () => {
    // Text a server printed without a newline: no `{"` in it, and not blank.
    const text = fc
      .string({
        unit: fc.constantFrom('L', 'o', '.', ' ', '%', '5', '{', '}', '"', 'é', '\t', '\u0007'),
        maxLength: 40,
      })
      .filter((prefix) => prefix.trim() !== '' && !prefix.includes('{"'));
    const message = fc.oneof(
      fc.record({
        jsonrpc: fc.constant('2.0' as const),
        id: fc.integer(),
        result: fc.jsonValue({ maxDepth: 2 }),
      }),
      fc.record({
        jsonrpc: fc.constant('2.0' as const),
        method: fc.constantFrom('m', 'notifications/message'),
      }),
    );
    fc.assert(
      fc.property(text, message, (prefix, sent) => {
        const messages: JsonRpcMessage[] = [];
        const problems: NdjsonProblem[] = [];
        const decoder = createNdjsonDecoder({
          onMessage: (m) => messages.push(m),
          onProblem: (problem) => problems.push(problem),
        });
        decoder.feed(bytes(`${prefix}${encodeMessage(sent as JsonRpcMessage)}`));
        expect(messages).toEqual([JSON.parse(JSON.stringify(sent))]);
        expect(problems.map((problem) => problem.type)).toEqual(['invalid-json']);
        expectTypedProblem(problems[0] as NdjsonProblem);
      }),
      { numRuns: 300 },
    );
  });

  it('reports a line over the limit once, with its exact size, whatever the chunking', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 300 }),
        fc.integer({ min: 1, max: 2000 }),
        fc.array(fc.nat(256), { maxLength: 16 }),
        (limit, size, points) => {
          const problems: NdjsonProblem[] = [];
          const messages: JsonRpcMessage[] = [];
          const decoder = createNdjsonDecoder({
            maxMessageBytes: limit,
            onMessage: (m) => messages.push(m),
            onProblem: (problem) => problems.push(problem),
          });
          const line = 'z'.repeat(size);
          const good = encodeMessage({ jsonrpc: '2.0', method: 'm' });
          for (const chunk of chunked(bytes(`${line}\n${good}`), points)) decoder.feed(chunk);
          const goodFits = good.length - 1 <= limit;
          const expected = [size > limit ? 'oversize' : 'invalid-json', ...(goodFits ? [] : ['oversize'])];
          expect(problems.map((problem) => problem.type)).toEqual(expected);
          expect(problems[0]?.bytes).toBe(size);
          expect(messages).toHaveLength(goodFits ? 1 : 0);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('JSON-RPC envelopes: generated broken ones', () => {
  const anyValue = fc.oneof(
    fc.jsonValue({ maxDepth: 2 }),
    fc.constantFrom('2.0', '1.0', 2, 2.0, '', 'm', 0, -1, 1.5, null, true, [], {}),
  );
  const envelope = fc.record(
    {
      jsonrpc: fc.oneof(fc.constant('2.0'), anyValue),
      id: fc.oneof(fc.integer(), fc.string({ maxLength: 5 }), anyValue),
      method: fc.oneof(fc.constantFrom('m', 'tools/call'), anyValue),
      params: fc.oneof(fc.dictionary(fc.string({ maxLength: 3 }), anyValue, { maxKeys: 2 }), anyValue),
      result: anyValue,
      error: fc.oneof(
        fc.record({ code: fc.oneof(fc.integer(), anyValue), message: fc.oneof(fc.string(), anyValue) }),
        anyValue,
      ),
    },
    { requiredKeys: [] },
  );

  it('either validates to exactly one kind of message or is refused with LIFELINE_ERR_INVALID_ENVELOPE, never a throw', () => {
    fc.assert(
      fc.property(fc.oneof(envelope, anyValue, fc.array(envelope, { maxLength: 2 })), (value) => {
        const text = JSON.stringify(value) ?? 'null';
        const decoded = parseMessage(text, 'Generated');
        const reason = validateMessage(value);
        if (decoded instanceof CodecError) {
          expect(decoded.code).toBe(ErrorCode.InvalidEnvelope);
          expect(typeof reason).toBe('string');
          return;
        }
        expect(reason).toBeUndefined();
        const kinds = [isRequest(decoded), isNotification(decoded), isResponse(decoded)].filter(Boolean);
        expect(kinds).toHaveLength(1);
        const object = decoded as unknown as Record<string, unknown>;
        // What the spec requires of each kind.
        expect(object.jsonrpc).toBe('2.0');
        if ('id' in object) expect(['string', 'number']).toContain(typeof object.id);
        if (isResponse(decoded)) expect('result' in object !== 'error' in object).toBe(true);
        if (isErrorResponse(decoded))
          expect(Number.isInteger((object.error as { code: unknown }).code)).toBe(true);
        if ('method' in object) expect(typeof object.method === 'string' && object.method !== '').toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('refuses text that is not JSON with LIFELINE_ERR_PARSE, never a throw', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 60 }), (text) => {
        let valid = true;
        try {
          JSON.parse(text);
        } catch {
          valid = false;
        }
        const decoded = parseMessage(text, 'Generated');
        if (!valid) {
          expect(decoded).toBeInstanceOf(CodecError);
          expect((decoded as CodecError).code).toBe(ErrorCode.Parse);
        }
      }),
      { numRuns: 500 },
    );
  });
});

describe('SSE decoder: generated fields', () => {
  const field = fc.oneof(
    fc.constantFrom('data', 'id', 'event', 'retry', '', ':', 'dat', 'data ', 'DATA', 'id\u0000'),
    fc.string({ maxLength: 8 }),
  );
  const separator = fc.constantFrom(':', ': ', '', ':  ', '\t');
  const value = fc.oneof(
    fc.string({ maxLength: 40 }),
    fc.string({ unit: 'binary', maxLength: 40 }),
    fc.constantFrom(
      '{',
      '{"jsonrpc":"2.0"',
      '\u0000',
      '\ufeff',
      '99999999999999999999',
      '-1',
      'message',
      'endpoint',
    ),
    fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)),
  );
  const ending = fc.constantFrom('\n', '\r', '\r\n', '');
  const line = fc.tuple(field, separator, value, ending).map(([f, s, v, e]) => `${f}${s}${v}${e}`);
  const stream = fc.array(line, { maxLength: 20 }).map((lines) => lines.join(''));

  it('never throws, types every problem, stays within the limit, and delivers the good event after any junk', () => {
    fc.assert(
      fc.property(
        stream,
        fc.array(fc.nat(64), { maxLength: 12 }),
        fc.integer({ min: 8, max: 256 }),
        (junk, points, limit) => {
          const messages: JsonRpcMessage[] = [];
          const problems: SseProblem[] = [];
          const decoder = createSseDecoder({
            maxMessageBytes: limit,
            onMessage: (message) => messages.push(message),
            onProblem: (problem) => problems.push(problem),
          });
          const good = `data: ${JSON.stringify({ jsonrpc: '2.0', method: 'm' })}\n\n`;
          // Three newlines end whatever line and event the junk left open (a final CR takes one).
          const data = bytes(`${junk}\n\n\n${good}`);
          for (const chunk of chunked(data, points)) {
            decoder.feed(chunk);
            // The event's data (up to the limit) and the line being read (another field's value,
            // up to the limit): linear in the limit, never in the stream.
            expect(decoder.bufferedBytes).toBeLessThanOrEqual(2 * limit + 8);
          }
          decoder.end();
          for (const problem of problems) expectTypedProblem(problem);
          for (const message of messages) expect(validateMessage(message)).toBeUndefined();
          if (good.length - 8 <= limit) expect(messages.at(-1)).toEqual({ jsonrpc: '2.0', method: 'm' });
        },
      ),
      { numRuns: 500 },
    );
  });

  it('the fast path takes junk only when the full decoder reads the same messages from it', () => {
    const decode = (text: string): unknown[] => {
      const out: unknown[] = [];
      const decoder = createSseDecoder({ onMessage: (message) => out.push(message) });
      decoder.feed(text);
      decoder.end();
      return out;
    };
    fc.assert(
      fc.property(stream, (junk) => {
        const text = `${junk}\n\n`;
        const events = parseWholeEvents(text);
        if (events === undefined) return;
        const fast: unknown[] = [];
        for (const event of events) {
          if (event.data === undefined || event.data === '' || (event.event ?? 'message') !== 'message')
            continue;
          const decoded = parseMessage(event.data, 'Fast');
          // The transport hands a chunk with a bad message to the full decoder instead.
          if (decoded instanceof CodecError) return;
          fast.push(decoded);
        }
        expect(fast).toEqual(decode(text));
      }),
      { numRuns: 500 },
    );
  });

  it('skips an event that never ends and an endless run of junk lines in bounded memory', () => {
    const limit = 64 * 1024;
    const problems: SseProblem[] = [];
    const messages: JsonRpcMessage[] = [];
    const decoder = createSseDecoder({
      maxMessageBytes: limit,
      onMessage: (message) => messages.push(message),
      onProblem: (problem) => problems.push(problem),
    });
    // 8 MiB of one line that never ends, then 8 MiB of data lines that never end their event.
    const endless = bytes('x'.repeat(64 * 1024));
    const dataLines = bytes(`data: ${'y'.repeat(1000)}\n`.repeat(64));
    for (let i = 0; i < 128; i += 1) {
      decoder.feed(endless);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(limit + 8);
    }
    decoder.feed(bytes('\n\n'));
    for (let i = 0; i < 128; i += 1) {
      decoder.feed(dataLines);
      expect(decoder.bufferedBytes).toBeLessThanOrEqual(limit + 8);
    }
    decoder.feed(bytes(`\n${'data: {"jsonrpc":"2.0","method":"after"}\n\n'}`));
    expect(problems.map((problem) => problem.type)).toEqual(['oversize', 'oversize']);
    expect(messages).toEqual([{ jsonrpc: '2.0', method: 'after' }]);
  });
});
