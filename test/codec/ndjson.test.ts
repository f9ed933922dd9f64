import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/codec/jsonrpc.js';
import {
  createNdjsonDecoder,
  DEFAULT_MAX_MESSAGE_BYTES,
  encodeMessage,
  type NdjsonDecoder,
  type NdjsonDecoderOptions,
  type NdjsonProblem,
} from '../../src/codec/ndjson.js';
import { CodecError, ErrorCode, LifelineError } from '../../src/errors.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);
const line = (message: unknown): Uint8Array => bytes(`${JSON.stringify(message)}\n`);

interface Harness {
  decoder: NdjsonDecoder;
  messages: JsonRpcMessage[];
  problems: NdjsonProblem[];
}

function harness(options: Pick<NdjsonDecoderOptions, 'maxMessageBytes'> = {}): Harness {
  const messages: JsonRpcMessage[] = [];
  const problems: NdjsonProblem[] = [];
  const decoder = createNdjsonDecoder({
    ...options,
    onMessage: (message) => messages.push(message),
    onProblem: (problem) => problems.push(problem),
  });
  return { decoder, messages, problems };
}

/** Feeds `data` in chunks of `size` bytes (each a fresh copy, as a Node stream hands them out). */
function feedInChunks(decoder: NdjsonDecoder, data: Uint8Array, size: number): void {
  for (let offset = 0; offset < data.length; offset += size) {
    decoder.feed(data.slice(offset, offset + size));
  }
}

/** A valid notification whose JSON encoding is exactly `size` bytes (ASCII padding). */
function notificationOfSize(size: number): JsonRpcMessage {
  const base = { jsonrpc: '2.0' as const, method: 'm', params: { p: '' } };
  const padding = size - JSON.stringify(base).length;
  if (padding < 0) throw new Error(`size ${size} is too small`);
  const message = { ...base, params: { p: 'x'.repeat(padding) } };
  expect(bytes(JSON.stringify(message)).length).toBe(size);
  return message;
}

/** An ASCII line of exactly `size` bytes whose every 256-byte window is distinct (for head/tail checks). */
function distinctAsciiLine(size: number): string {
  let text = '';
  for (let i = 0; text.length < size; i++) text += `<${i.toString(36)}>`;
  return text.slice(0, size);
}

const UNICODE_TEXT = 'héllo ✓ 𝄞 日本';

const ping: JsonRpcMessage = { jsonrpc: '2.0', id: 1, method: 'ping' };
const pong: JsonRpcMessage = { jsonrpc: '2.0', id: 1, result: {} };
const initialized: JsonRpcMessage = { jsonrpc: '2.0', method: 'notifications/initialized' };

describe('createNdjsonDecoder: framing', () => {
  it('decodes a message split into two chunks at every byte offset of its encoding', () => {
    const message: JsonRpcMessage = {
      jsonrpc: '2.0',
      id: 'req-1',
      method: 'tools/call',
      params: { name: 'echo', arguments: { text: 'hello world', n: [1, 2.5, -3], ok: true, none: null } },
    };
    const data = line(message);
    for (let offset = 0; offset <= data.length; offset++) {
      const { decoder, messages, problems } = harness();
      decoder.feed(data.slice(0, offset));
      decoder.feed(data.slice(offset));
      expect(messages, `split at ${offset}`).toEqual([message]);
      expect(problems).toEqual([]);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('decodes a message with multi-byte UTF-8 characters split at every byte offset, including inside a character', () => {
    const message: JsonRpcMessage = {
      jsonrpc: '2.0',
      id: UNICODE_TEXT,
      method: `notify/${UNICODE_TEXT}`,
      params: { [UNICODE_TEXT]: UNICODE_TEXT, list: [UNICODE_TEXT, '€', '🎉'] },
    };
    const data = line(message);
    let splitsInsideACharacter = 0;
    for (let offset = 0; offset <= data.length; offset++) {
      // A UTF-8 continuation byte (0b10xxxxxx) at the cut means the cut is inside a character.
      if (((data[offset] ?? 0) & 0xc0) === 0x80) splitsInsideACharacter++;
      const { decoder, messages, problems } = harness();
      decoder.feed(data.slice(0, offset));
      decoder.feed(data.slice(offset));
      expect(messages, `split at ${offset}`).toEqual([message]);
      expect(problems).toEqual([]);
    }
    expect(splitsInsideACharacter).toBeGreaterThan(10);
  });

  it('decodes a message fed one byte at a time, emitting it only when its newline arrives', () => {
    const message: JsonRpcMessage = { jsonrpc: '2.0', id: 9, result: { text: UNICODE_TEXT } };
    const data = line(message);
    const { decoder, messages, problems } = harness();
    for (let i = 0; i < data.length - 1; i++) {
      decoder.feed(data.slice(i, i + 1));
      expect(decoder.bufferedBytes).toBe(i + 1);
    }
    expect(messages).toEqual([]);
    decoder.feed(data.slice(data.length - 1));
    expect(messages).toEqual([message]);
    expect(problems).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('decodes several messages that arrive in one chunk, in order', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`${[ping, initialized, pong].map((m) => JSON.stringify(m)).join('\n')}\n`));
    expect(messages).toEqual([ping, initialized, pong]);
    expect(problems).toEqual([]);
  });

  it('holds a line without its newline until the newline arrives', () => {
    const { decoder, messages } = harness();
    const text = JSON.stringify(ping);
    decoder.feed(bytes(text));
    expect(messages).toEqual([]);
    expect(decoder.bufferedBytes).toBe(text.length);
    decoder.feed(bytes('\n'));
    expect(messages).toEqual([ping]);
  });

  it('accepts CRLF line endings, even when the CR and the LF arrive in different chunks', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`${JSON.stringify(ping)}\r\n${JSON.stringify(pong)}\r`));
    decoder.feed(bytes(`\n${JSON.stringify(initialized)}`));
    decoder.feed(bytes('\r'));
    decoder.feed(bytes('\n'));
    expect(messages).toEqual([ping, pong, initialized]);
    expect(problems).toEqual([]);
  });

  it('ignores empty lines and whitespace-only lines', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`\n\n${JSON.stringify(ping)}\n   \n\t\n \t \r\n\r\n${JSON.stringify(pong)}\n\n`));
    decoder.feed(bytes('  '));
    decoder.feed(bytes('\t\n'));
    expect(messages).toEqual([ping, pong]);
    expect(problems).toEqual([]);
    expect(decoder.bufferedBytes).toBe(0);
  });

  it('accepts leading and trailing whitespace around a message on its line', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`  \t${JSON.stringify(ping)}\t  \r\n`));
    expect(messages).toEqual([ping]);
    expect(problems).toEqual([]);
  });

  it('ignores empty chunks', () => {
    const { decoder, messages } = harness();
    decoder.feed(new Uint8Array(0));
    decoder.feed(bytes(JSON.stringify(ping)));
    decoder.feed(new Uint8Array(0));
    decoder.feed(bytes('\n'));
    decoder.feed(new Uint8Array(0));
    expect(messages).toEqual([ping]);
  });
});

describe('createNdjsonDecoder: large messages', () => {
  // 64 KiB chunks, as a pipe typically delivers them; the text mixes 1-, 2-, 3- and 4-byte
  // characters so that chunk boundaries land inside characters.
  it.each([1, 10])('decodes a %i MB message fed in 64 KiB chunks', (megabytes) => {
    const unit = `${UNICODE_TEXT} `;
    const unitBytes = bytes(unit).length;
    const text = unit.repeat(Math.ceil((megabytes * 1_000_000) / unitBytes));
    const message: JsonRpcMessage = {
      jsonrpc: '2.0',
      id: 42,
      result: { content: [{ type: 'text', text }] },
    };
    const data = bytes(encodeMessage(message));
    expect(data.length).toBeGreaterThan(megabytes * 1_000_000);
    expect(data.length).toBeLessThan(DEFAULT_MAX_MESSAGE_BYTES);

    const { decoder, messages, problems } = harness();
    feedInChunks(decoder, data, 64 * 1024);
    expect(problems).toEqual([]);
    expect(messages).toHaveLength(1);
    expect(messages[0]).toEqual(message);
    expect(decoder.bufferedBytes).toBe(0);
  });
});

describe('createNdjsonDecoder: lines that are not JSON', () => {
  it('reports a line that is not JSON as an invalid-json problem and goes on decoding', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`this is not json\n${JSON.stringify(ping)}\n`));
    expect(messages).toEqual([ping]);
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem?.type).toBe('invalid-json');
    expect(problem?.error).toBeInstanceOf(CodecError);
    expect(problem?.error).toBeInstanceOf(LifelineError);
    expect(problem?.error.code).toBe('LIFELINE_ERR_PARSE');
    expect(problem?.error.code).toBe(ErrorCode.Parse);
    expect(problem?.error.cause).toBeInstanceOf(SyntaxError);
    expect(problem?.bytes).toBe('this is not json'.length);
    expect(problem?.head).toContain('this is not json');
  });

  it('delivers every good message in order when garbage lines sit between them', () => {
    const { decoder, messages, problems } = harness();
    const garbage = ['garbage', '{"jsonrpc":"2.0",', '}{', 'Traceback (most recent call last):', "{'a': 1}"];
    const good: JsonRpcMessage[] = [
      { jsonrpc: '2.0', id: 1, method: 'a' },
      { jsonrpc: '2.0', id: 2, method: 'b' },
      { jsonrpc: '2.0', method: 'c' },
      { jsonrpc: '2.0', id: 3, result: { ok: true } },
      { jsonrpc: '2.0', id: 'four', error: { code: -1, message: 'no' } },
      { jsonrpc: '2.0', id: 5, method: 'f' },
    ];
    let text = '';
    good.forEach((message, i) => {
      text += `${JSON.stringify(message)}\n`;
      if (garbage[i] !== undefined) text += `${garbage[i]}${i % 2 === 0 ? '\n' : '\r\n'}`;
    });
    feedInChunks(decoder, bytes(text), 7);
    expect(messages).toEqual(good);
    expect(problems.map((p) => p.type)).toEqual(garbage.map(() => 'invalid-json'));
    expect(problems.map((p) => p.head)).toEqual(garbage);
  });

  it('keeps only the first and last 256 bytes of a long non-JSON line for diagnostics', () => {
    const { decoder, messages, problems } = harness();
    const text = distinctAsciiLine(600);
    decoder.feed(bytes(`${text}\n${JSON.stringify(ping)}\n`));
    expect(messages).toEqual([ping]);
    expect(problems).toHaveLength(1);
    expect(problems[0]?.bytes).toBe(600);
    expect(problems[0]?.head).toBe(text.slice(0, 256));
    expect(problems[0]?.tail).toBe(text.slice(-256));
  });

  it('drops problems silently when no onProblem is given', () => {
    const messages: JsonRpcMessage[] = [];
    const decoder = createNdjsonDecoder({ onMessage: (m) => messages.push(m), maxMessageBytes: 10 });
    decoder.feed(bytes(`nope\n{"foo":1}\n${'x'.repeat(50)}\n`));
    expect(messages).toEqual([]);
    decoder.feed(bytes(`${JSON.stringify({ jsonrpc: '2.0', method: 'a' })}\n`));
    expect(messages).toEqual([]); // over the 10-byte limit, dropped silently too
  });
});

describe('createNdjsonDecoder: JSON that is not a JSON-RPC message', () => {
  const notEnvelopes: Array<[string, string]> = [
    ['an object without jsonrpc', '{"foo":1}'],
    ['an array (a batch)', '[1,2]'],
    ['a batch of requests', '[{"jsonrpc":"2.0","id":1,"method":"ping"}]'],
    ['jsonrpc 1.0', '{"jsonrpc":"1.0","id":1,"method":"ping"}'],
    ['a null id', '{"jsonrpc":"2.0","id":null,"method":"ping"}'],
    ['a number', '42'],
    ['a string', '"hello"'],
    ['null', 'null'],
    ['true', 'true'],
  ];

  it.each(notEnvelopes)('reports %s as an invalid-envelope problem and goes on decoding', (_name, text) => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes(`${JSON.stringify(ping)}\n${text}\n${JSON.stringify(pong)}\n`));
    expect(messages).toEqual([ping, pong]);
    expect(problems).toHaveLength(1);
    const [problem] = problems;
    expect(problem?.type).toBe('invalid-envelope');
    expect(problem?.error).toBeInstanceOf(CodecError);
    expect(problem?.error.code).toBe('LIFELINE_ERR_INVALID_ENVELOPE');
    expect(problem?.error.message).toMatch(/not a JSON-RPC 2\.0 message: ./);
    expect(problem?.bytes).toBe(text.length);
    expect(problem?.head).toBe(text);
  });
});

describe('createNdjsonDecoder: message size limit', () => {
  const LIMIT = 1000;

  function expectOversize(problem: NdjsonProblem | undefined, size: number, text: string): void {
    expect(problem?.type).toBe('oversize');
    expect(problem?.error).toBeInstanceOf(CodecError);
    expect(problem?.error.code).toBe('LIFELINE_ERR_MESSAGE_TOO_LARGE');
    expect(problem?.error.message).toContain(String(size));
    expect(problem?.bytes).toBe(size);
    expect(problem?.head).toBe(text.slice(0, 256));
    expect(problem?.tail).toBe(text.slice(-256));
    expect(problem?.tail.endsWith('\r')).toBe(false);
  }

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])(
    'skips a 5000-byte %s line fed in chunks, reports it once, and decodes the next message',
    (_name, eol) => {
      const { decoder, messages, problems } = harness({ maxMessageBytes: LIMIT });
      const text = distinctAsciiLine(5000);
      const data = bytes(`${text}${eol}${JSON.stringify(ping)}\n`);
      const buffered: number[] = [];
      for (let offset = 0; offset < data.length; offset += 700) {
        decoder.feed(data.slice(offset, offset + 700));
        buffered.push(decoder.bufferedBytes);
      }
      expect(problems).toHaveLength(1);
      expectOversize(problems[0], 5000, text);
      expect(messages).toEqual([ping]);
      // 700 bytes held, then over the limit: nothing more is held while the line is skipped.
      expect(buffered[0]).toBe(700);
      expect(buffered.slice(1, 7)).toEqual([0, 0, 0, 0, 0, 0]);
      expect(decoder.bufferedBytes).toBe(0);
    },
  );

  it('reports an oversize line whose CR and LF arrive in separate chunks without the CR in its size or tail', () => {
    const { decoder, messages, problems } = harness({ maxMessageBytes: LIMIT });
    const text = distinctAsciiLine(5000);
    feedInChunks(decoder, bytes(text), 300);
    expect(decoder.bufferedBytes).toBe(0);
    decoder.feed(bytes('\r'));
    expect(problems).toEqual([]);
    decoder.feed(bytes('\n'));
    decoder.feed(line(pong));
    expect(problems).toHaveLength(1);
    expectOversize(problems[0], 5000, text);
    expect(messages).toEqual([pong]);
  });

  it('reports an oversize line that arrives whole in one chunk with the next message', () => {
    const { decoder, messages, problems } = harness({ maxMessageBytes: LIMIT });
    const text = distinctAsciiLine(5000);
    decoder.feed(bytes(`${text}\n${JSON.stringify(ping)}\n`));
    expect(problems).toHaveLength(1);
    expectOversize(problems[0], 5000, text);
    expect(messages).toEqual([ping]);
  });

  it('holds no bytes while skipping a 1 MiB line fed in 4 KiB chunks', () => {
    const { decoder, problems } = harness({ maxMessageBytes: LIMIT });
    const chunk = bytes('y'.repeat(4096));
    let maxBuffered = 0;
    for (let i = 0; i < 256; i++) {
      decoder.feed(chunk);
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    expect(maxBuffered).toBe(0);
    decoder.feed(bytes('\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.bytes).toBe(256 * 4096);
    expect(problems[0]?.head).toBe('y'.repeat(256));
    expect(problems[0]?.tail).toBe('y'.repeat(256));
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('accepts a %s line exactly at the limit', (_name, eol) => {
    const message = notificationOfSize(LIMIT);
    const data = bytes(`${JSON.stringify(message)}${eol}`);
    for (const size of [data.length, 100, 1]) {
      const { decoder, messages, problems } = harness({ maxMessageBytes: LIMIT });
      feedInChunks(decoder, data, size);
      expect(problems).toEqual([]);
      expect(messages).toEqual([message]);
    }
  });

  it.each([
    ['LF', '\n'],
    ['CRLF', '\r\n'],
  ])('rejects a %s line one byte over the limit', (_name, eol) => {
    const message = notificationOfSize(LIMIT + 1);
    const text = JSON.stringify(message);
    const data = bytes(`${text}${eol}${JSON.stringify(ping)}${eol}`);
    for (const size of [data.length, 100, 1]) {
      const { decoder, messages, problems } = harness({ maxMessageBytes: LIMIT });
      feedInChunks(decoder, data, size);
      expect(problems).toHaveLength(1);
      expectOversize(problems[0], LIMIT + 1, text);
      expect(messages).toEqual([ping]);
    }
  });

  it('does not put the CR of a short oversize CRLF line in its head', () => {
    const { decoder, problems } = harness({ maxMessageBytes: 10 });
    decoder.feed(bytes('0123456789abcdef\r\n'));
    expect(problems).toHaveLength(1);
    expect(problems[0]?.bytes).toBe(16);
    expect(problems[0]?.head).toBe('0123456789abcdef');
    expect(problems[0]?.tail).toBe('0123456789abcdef');
  });

  it('uses a 16 MiB limit by default', () => {
    expect(DEFAULT_MAX_MESSAGE_BYTES).toBe(16 * 1024 * 1024);
  });
});

describe('createNdjsonDecoder: reset', () => {
  it('drops a partial line', () => {
    const { decoder, messages, problems } = harness();
    decoder.feed(bytes('{"jsonrpc":"2.0","me'));
    expect(decoder.bufferedBytes).toBe(20);
    decoder.reset();
    expect(decoder.bufferedBytes).toBe(0);
    decoder.feed(line(ping));
    expect(messages).toEqual([ping]);
    expect(problems).toEqual([]);
  });

  it('drops an oversize line being skipped, without reporting it', () => {
    const { decoder, messages, problems } = harness({ maxMessageBytes: 100 });
    decoder.feed(bytes('z'.repeat(500)));
    decoder.reset();
    decoder.feed(line(ping));
    expect(problems).toEqual([]);
    expect(messages).toEqual([ping]);
  });

  it('leaves the decoder usable with nothing buffered when nothing was pending', () => {
    const { decoder, messages } = harness();
    decoder.reset();
    decoder.feed(line(pong));
    expect(messages).toEqual([pong]);
  });
});

describe('encodeMessage', () => {
  const tricky: Array<[string, string]> = [
    ['\\n', 'line\nbreak'],
    ['\\r', 'carriage\rreturn'],
    ['\\r\\n', 'crlf\r\n'],
    ['\\u2028 and \\u2029', 'ls\u2028ps\u2029'],
    ['\\u0000', 'nul\u0000'],
    ['a lone surrogate', 'lone \ud800 surrogate'],
  ];

  it.each(tricky)(
    'encodes a message whose strings contain %s as exactly one line ending in \\n',
    (_name, text) => {
      const message: JsonRpcMessage = {
        jsonrpc: '2.0',
        id: text,
        method: 'echo',
        params: { [text]: [text] },
      };
      const encoded = encodeMessage(message);
      expect(encoded.endsWith('\n')).toBe(true);
      expect(encoded.indexOf('\n')).toBe(encoded.length - 1);
      expect(encoded).not.toContain('\r');

      const { decoder, messages, problems } = harness();
      decoder.feed(bytes(encoded));
      expect(problems).toEqual([]);
      expect(messages).toEqual([message]);
    },
  );

  it('encodes a request, a notification and responses to their JSON plus a newline', () => {
    for (const message of [
      ping,
      pong,
      initialized,
      { jsonrpc: '2.0', id: 2, error: { code: 1, message: 'x' } },
    ]) {
      expect(encodeMessage(message as JsonRpcMessage)).toBe(`${JSON.stringify(message)}\n`);
    }
  });
});

describe('createNdjsonDecoder: properties', () => {
  const text = fc.oneof(
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'grapheme' }),
    fc.string({
      unit: fc.constantFrom('\n', '\r', '\r\n', '\u2028', '\\', '"', ' ', '\t', '{', '}', 'é', '𝄞'),
    }),
  );
  const value = fc.oneof(
    fc.jsonValue({ maxDepth: 3 }),
    fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
    text,
  );
  const id = fc.oneof(
    text,
    fc.integer(),
    fc.constantFrom(0, Number.MAX_SAFE_INTEGER, -Number.MAX_SAFE_INTEGER),
  );
  const method = fc.string({ unit: 'binary', minLength: 1, maxLength: 20 });
  const params = fc.oneof(fc.dictionary(text, value, { maxKeys: 5 }), fc.array(value, { maxLength: 5 }));
  const jsonrpc = fc.constant('2.0' as const);

  const message: fc.Arbitrary<JsonRpcMessage> = fc.oneof(
    fc.record({ jsonrpc, id, method, params }, { requiredKeys: ['jsonrpc', 'id', 'method'] }),
    fc.record({ jsonrpc, method, params }, { requiredKeys: ['jsonrpc', 'method'] }),
    fc.record({ jsonrpc, id, result: value }),
    fc.record({
      jsonrpc,
      id,
      error: fc.record(
        { code: fc.integer(), message: text, data: value },
        { requiredKeys: ['code', 'message'] },
      ),
    }),
  );

  /** Cuts `data` at the given points (taken modulo its length + 1), keeping empty chunks. */
  function cut(data: Uint8Array, points: readonly number[]): Uint8Array[] {
    const sorted = points.map((p) => p % (data.length + 1)).sort((a, b) => a - b);
    const chunks: Uint8Array[] = [];
    let start = 0;
    for (const point of sorted) {
      chunks.push(data.slice(start, point));
      start = point;
    }
    chunks.push(data.slice(start));
    return chunks;
  }

  it('decodes any sequence of messages, cut into any chunks, to the same messages in order', () => {
    fc.assert(
      fc.property(
        fc.array(message, { maxLength: 10 }),
        fc.array(fc.nat(), { maxLength: 24 }),
        fc.boolean(),
        (input, points, crlf) => {
          const encoded = input.map((m) =>
            crlf ? encodeMessage(m).replace(/\n$/, '\r\n') : encodeMessage(m),
          );
          const data = bytes(encoded.join(''));
          const { decoder, messages, problems } = harness();
          for (const chunk of cut(data, points)) decoder.feed(chunk);
          expect(problems).toEqual([]);
          expect(messages).toEqual(JSON.parse(JSON.stringify(input)));
          expect(decoder.bufferedBytes).toBe(0);
        },
      ),
      { numRuns: 200 },
    );
  });

  it('delivers every good message in order, and reports every garbage line, whatever the chunking', () => {
    const garbage = fc.string({ unit: 'binary', maxLength: 40 }).map((s) => `#${s.replace(/[\r\n]/g, '')}`);
    const entry = fc.oneof(
      message.map((m) => ({ good: true as const, m })),
      garbage.map((g) => ({ good: false as const, g })),
    );
    fc.assert(
      fc.property(
        fc.array(entry, { maxLength: 12 }),
        fc.array(fc.nat(), { maxLength: 24 }),
        (entries, points) => {
          const data = bytes(entries.map((e) => (e.good ? encodeMessage(e.m) : `${e.g}\n`)).join(''));
          const { decoder, messages, problems } = harness();
          for (const chunk of cut(data, points)) decoder.feed(chunk);
          const good = entries.flatMap((e) => (e.good ? [e.m] : []));
          expect(messages).toEqual(JSON.parse(JSON.stringify(good)));
          expect(problems.map((p) => p.type)).toEqual(
            entries.flatMap((e) => (e.good ? [] : ['invalid-json'])),
          );
        },
      ),
      { numRuns: 100 },
    );
  });
});
