import { createParser } from 'eventsource-parser';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage } from '../../src/codec/jsonrpc.js';
import {
  createSseDecoder,
  type SseDecoder,
  type SseDecoderOptions,
  type SseProblem,
} from '../../src/codec/sse.js';
import { CodecError, ErrorCode } from '../../src/errors.js';

const encoder = new TextEncoder();
const bytes = (text: string): Uint8Array => encoder.encode(text);

/** Every callback, in the order the decoder made it. */
type Entry =
  | ['message', JsonRpcMessage, string | undefined]
  | ['event', { event: string; id: string | undefined; data: string }]
  | ['id', string]
  | ['retry', number]
  | ['comment', string]
  | ['problem', SseProblem['type'], string];

interface Harness {
  decoder: SseDecoder;
  log: Entry[];
  problems: SseProblem[];
}

function harness(options: Pick<SseDecoderOptions, 'maxMessageBytes'> = {}): Harness {
  const log: Entry[] = [];
  const problems: SseProblem[] = [];
  const decoder = createSseDecoder({
    ...options,
    onMessage: (message, id) => log.push(['message', message, id]),
    onEvent: (event) => log.push(['event', event]),
    onId: (id) => log.push(['id', id]),
    onRetry: (ms) => log.push(['retry', ms]),
    onComment: (comment) => log.push(['comment', comment]),
    onProblem: (problem) => {
      problems.push(problem);
      log.push(['problem', problem.type, problem.head]);
    },
  });
  return { decoder, log, problems };
}

function decodeAll(
  chunks: ReadonlyArray<Uint8Array | string>,
  options: Pick<SseDecoderOptions, 'maxMessageBytes'> = {},
) {
  const h = harness(options);
  for (const chunk of chunks) h.decoder.feed(chunk);
  return h;
}

/** Splits `data` at the given offsets (sorted, deduplicated, clamped). */
function splitAt(data: Uint8Array, offsets: readonly number[]): Uint8Array[] {
  const cuts = [...new Set(offsets.map((o) => Math.min(o, data.length)))].sort((a, b) => a - b);
  const chunks: Uint8Array[] = [];
  let start = 0;
  for (const cut of [...cuts, data.length]) {
    chunks.push(data.slice(start, cut));
    start = cut;
  }
  return chunks;
}

/** A valid notification whose JSON encoding is exactly `size` bytes. */
function notificationOfSize(size: number): JsonRpcMessage {
  const base = { jsonrpc: '2.0' as const, method: 'm', params: { p: '' } };
  const message = { ...base, params: { p: 'x'.repeat(size - JSON.stringify(base).length) } };
  expect(bytes(JSON.stringify(message)).length).toBe(size);
  return message;
}

const event = (message: unknown, id?: string): string =>
  `${id === undefined ? '' : `id: ${id}\n`}data: ${JSON.stringify(message)}\n\n`;

const progress: JsonRpcMessage = {
  jsonrpc: '2.0',
  method: 'notifications/progress',
  params: { progressToken: 't', progress: 1, message: 'héllo ✓ 𝄞 日本' },
};
const result: JsonRpcMessage = {
  jsonrpc: '2.0',
  id: 7,
  result: { content: [{ type: 'text', text: 'multi\nline ✓' }] },
};
const ping: JsonRpcMessage = { jsonrpc: '2.0', id: 'p', method: 'ping' };

/** A stream with a comment, a priming event, an `endpoint` event, multi-line data and an id-only event. */
const STREAM_LINES = [
  ': stream open',
  'id: 0',
  'retry: 1500',
  'data:',
  '',
  'event: endpoint',
  'data: /messages?sessionId=abc',
  '',
  'id: 1',
  `data: ${JSON.stringify(progress)}`,
  '',
  'id: 2',
  'event: message',
  'data: {"jsonrpc":"2.0","id":7,',
  'data: "result":{"content":[{"type":"text","text":"multi\\nline ✓"}]}}',
  '',
  'id: 3',
  '',
];

const STREAM_LOG: Entry[] = [
  ['comment', 'stream open'],
  ['retry', 1500],
  ['id', '0'],
  ['event', { event: 'endpoint', id: undefined, data: '/messages?sessionId=abc' }],
  ['id', '1'],
  ['message', progress, '1'],
  ['id', '2'],
  ['message', result, '2'],
  ['id', '3'],
];

/** Joins lines with the given endings; a CR never directly precedes an LF-ended blank line (that would be one CRLF). */
function joinLines(lines: readonly string[], endings: readonly string[]): string {
  let text = '';
  let previous = '';
  lines.forEach((line, i) => {
    let ending = endings[i % endings.length] ?? '\n';
    if (previous === '\r' && line === '' && ending === '\n') ending = '\r\n';
    text += line + ending;
    previous = ending;
  });
  return text;
}

describe('createSseDecoder: framing', () => {
  describe.each([
    ['LF', ['\n']],
    ['CRLF', ['\r\n']],
    ['CR', ['\r']],
    ['mixed', ['\r\n', '\n', '\r']],
  ])('with %s line endings', (_name, endings) => {
    const data = bytes(joinLines(STREAM_LINES, endings));

    it('decodes the whole stream in one chunk', () => {
      const { log, problems } = decodeAll([data]);
      expect(log).toEqual(STREAM_LOG);
      expect(problems).toEqual([]);
    });

    it('decodes the stream split into two chunks at every byte offset', () => {
      for (let offset = 0; offset <= data.length; offset++) {
        const { log, decoder } = decodeAll(splitAt(data, [offset]));
        expect(log, `split at ${offset}`).toEqual(STREAM_LOG);
        expect(decoder.bufferedBytes).toBe(0);
      }
    });

    it('decodes the stream fed one byte at a time', () => {
      expect(decodeAll(splitAt(data, [...data.keys()])).log).toEqual(STREAM_LOG);
    });

    it('decodes the stream fed as strings split at every code point', () => {
      const codePoints = Array.from(joinLines(STREAM_LINES, endings));
      for (let i = 0; i <= codePoints.length; i++) {
        const chunks = [codePoints.slice(0, i).join(''), codePoints.slice(i).join('')];
        expect(decodeAll(chunks).log, `split at code point ${i}`).toEqual(STREAM_LOG);
      }
    });
  });

  it('decodes the same whatever the line endings and chunk boundaries (property)', () => {
    const ending = fc.constantFrom('\n', '\r\n', '\r');
    fc.assert(
      fc.property(
        fc.array(ending, { minLength: 1, maxLength: 8 }),
        fc.array(fc.nat(600)),
        (endings, cuts) => {
          const data = bytes(joinLines(STREAM_LINES, endings));
          const { log, problems } = decodeAll(splitAt(data, cuts));
          expect(log).toEqual(STREAM_LOG);
          expect(problems).toEqual([]);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('agrees with eventsource-parser on random streams cut at random places (property)', () => {
    const line = fc.constantFrom(
      `data: ${JSON.stringify(ping)}`,
      'data: {"jsonrpc":"2.0",',
      'data: "method":"m"}',
      'data',
      'data:',
      'data:x',
      'id: 1',
      'id',
      'event: endpoint',
      'event: message',
      ': note',
      'retry: 5',
      'dat',
      '',
      '',
    );
    const ending = fc.constantFrom('\n', '\r\n', '\r');
    const stream = fc.array(fc.tuple(line, ending), { maxLength: 30 }).map((lines) => {
      const text = lines.map(([l, e]) => l + e).join('');
      return `${text}\n`;
    });
    fc.assert(
      fc.property(stream, fc.array(fc.nat(400)), (text, cuts) => {
        // The reference: the bare parser over the whole text, mapped as the decoder documents.
        const expected: Entry[] = [];
        const reference = createParser({
          onEvent: ({ id, event: type, data }) => {
            if (type !== undefined && type !== 'message') expected.push(['event', { event: type, id, data }]);
            else if (data !== '') {
              const value = (() => {
                try {
                  return JSON.parse(data) as unknown;
                } catch {
                  return undefined;
                }
              })();
              expected.push(
                value === undefined
                  ? ['problem', 'invalid-json', data]
                  : ['message', value as JsonRpcMessage, id],
              );
            }
          },
          onRetry: (ms) => expected.push(['retry', ms]),
          onComment: (comment) => expected.push(['comment', comment]),
          onError: (error) => expected.push(['problem', 'invalid-sse', error.line ?? '']),
        });
        reference.feed(text);
        const { log } = decodeAll(splitAt(bytes(text), cuts));
        // Ids aside: the bare parser drops id-only events, which the decoder reports.
        expect(log.filter((entry) => entry[0] !== 'id')).toEqual(expected);
      }),
      { numRuns: 500 },
    );
  });

  it('passes each message the id of its event, or undefined', () => {
    const { log } = decodeAll([event(ping), event(result, 'e-9')]);
    expect(log).toEqual([
      ['message', ping, undefined],
      ['id', 'e-9'],
      ['message', result, 'e-9'],
    ]);
  });

  it('strips a byte-order mark at the start of the stream, even split across chunks', () => {
    const data = new Uint8Array([0xef, 0xbb, 0xbf, ...bytes(event(ping))]);
    for (let offset = 0; offset <= 4; offset++) {
      for (let second = offset; second <= 4; second++) {
        const { log, problems } = decodeAll(splitAt(data, [offset, second]));
        expect(log).toEqual([['message', ping, undefined]]);
        expect(problems).toEqual([]);
      }
    }
  });

  it('strips only one byte-order mark, and only at the start', () => {
    const { log } = decodeAll([`\uFEFF${event(ping)}\uFEFFdata: 1\n\n`]);
    expect(log[0]).toEqual(['message', ping, undefined]);
    expect(log[1]).toEqual(['problem', 'invalid-sse', '\uFEFFdata: 1']);
  });

  it('keeps content that merely starts like a byte-order mark', () => {
    // U+FEC0 is encoded EF BB 80: not a BOM, so it is part of the first line.
    const { log } = decodeAll([
      new Uint8Array([0xef, 0xbb]),
      new Uint8Array([0x80, ...bytes(`x\n\n${event(ping)}`)]),
    ]);
    expect(log).toEqual([
      ['problem', 'invalid-sse', '\uFEC0x'],
      ['message', ping, undefined],
    ]);
  });
});

describe('createSseDecoder: ids, retry, comments and other events', () => {
  it('reports the id of a priming event (empty data) and nothing else', () => {
    const { log, problems } = decodeAll(['id: 42\ndata:\n\n']);
    expect(log).toEqual([['id', '42']]);
    expect(problems).toEqual([]);
  });

  it('handles the priming event the SDK server writes (id, retry, `data: `)', () => {
    expect(decodeAll(['id: s1_0\nretry: 1000\ndata: \n\n']).log).toEqual([
      ['retry', 1000],
      ['id', 's1_0'],
    ]);
  });

  it('reports the id of an event with no data line at all', () => {
    expect(decodeAll(['id: 44\n\n', 'event: endpoint\nid: 45\n\n']).log).toEqual([
      ['id', '44'],
      ['id', '45'],
    ]);
  });

  it('reports an empty id (the server clearing it) and ignores one containing NUL', () => {
    expect(decodeAll(['id\n\n', 'id:\ndata:\n\n', 'id: a\u0000b\ndata:\n\n']).log).toEqual([
      ['id', ''],
      ['id', ''],
    ]);
  });

  it('reports the retry field and a bad one as a problem', () => {
    const { log, problems } = decodeAll(['retry: 3000\n\nretry: soon\n\n']);
    expect(log).toEqual([
      ['retry', 3000],
      ['problem', 'invalid-sse', 'retry: soon'],
    ]);
    expect(problems[0]?.error.code).toBe(ErrorCode.Parse);
  });

  it('reports comments, without the colon and one space', () => {
    expect(decodeAll([':\n: keep-alive\n:  two spaces\n\n']).log).toEqual([
      ['comment', ''],
      ['comment', 'keep-alive'],
      ['comment', ' two spaces'],
    ]);
  });

  it('hands events of other types to onEvent, never to onMessage, even when their data is JSON', () => {
    const { log } = decodeAll([
      `event: endpoint\ndata: /messages\n\nevent: custom\nid: 5\ndata: ${JSON.stringify(ping)}\n\n`,
    ]);
    expect(log).toEqual([
      ['event', { event: 'endpoint', id: undefined, data: '/messages' }],
      ['id', '5'],
      ['event', { event: 'custom', id: '5', data: JSON.stringify(ping) }],
    ]);
  });

  it('treats an explicit `message` type like no type', () => {
    expect(decodeAll([`event: message\n${event(ping)}`]).log).toEqual([['message', ping, undefined]]);
  });

  it('needs only onMessage: other events and problems are dropped quietly', () => {
    const messages: JsonRpcMessage[] = [];
    const decoder = createSseDecoder({ onMessage: (m) => messages.push(m) });
    decoder.feed(`garbage\n\nevent: endpoint\ndata: /x\n\ndata: {oops\n\nid: 1\n\n: c\n\n${event(ping)}`);
    decoder.feed(`data: ${'x'.repeat(100)}\n\n`);
    decoder.end();
    expect(messages).toEqual([ping]);
  });
});

describe('createSseDecoder: problems', () => {
  it('reports data that is not JSON and goes on', () => {
    const { log, problems } = decodeAll([`data: {not json}\n\n${event(ping)}`]);
    expect(log).toEqual([
      ['problem', 'invalid-json', '{not json}'],
      ['message', ping, undefined],
    ]);
    const [problem] = problems;
    expect(problem?.error).toBeInstanceOf(CodecError);
    expect(problem?.error.code).toBe(ErrorCode.Parse);
    expect(problem?.error.cause).toBeInstanceOf(SyntaxError);
    expect(problem?.bytes).toBe(10);
  });

  it('treats whitespace-only data as invalid JSON, not as a priming event', () => {
    expect(decodeAll(['data:  \n\n']).log).toEqual([['problem', 'invalid-json', ' ']]);
  });

  it.each([
    ['the wrong version', '{"jsonrpc":"1.0","id":1,"method":"x"}', /jsonrpc must be "2.0"/],
    ['a batch', '[{"jsonrpc":"2.0","method":"x"}]', /batches are not supported/],
    ['a number', '42', /not an object/],
    ['a null id', '{"jsonrpc":"2.0","id":null,"result":{}}', /id must be/],
    [
      'both result and error',
      '{"jsonrpc":"2.0","id":1,"result":1,"error":{"code":1,"message":""}}',
      /exactly one/,
    ],
  ])('reports %s as a broken envelope and goes on', (_name, data, reason) => {
    const { log, problems } = decodeAll([`data: ${data}\n\n${event(ping)}`]);
    expect(log).toEqual([
      ['problem', 'invalid-envelope', data],
      ['message', ping, undefined],
    ]);
    expect(problems[0]?.error.code).toBe(ErrorCode.InvalidEnvelope);
    expect(problems[0]?.error.message).toMatch(reason);
    expect(problems[0]?.bytes).toBe(data.length);
  });

  it('reports lines that are not SSE fields (a JSON body sent as an event stream) and goes on', () => {
    const raw = JSON.stringify(result);
    const { log, problems } = decodeAll([`${raw}\ngarbage\n\n${event(ping)}`]);
    expect(log).toEqual([
      ['problem', 'invalid-sse', raw],
      ['problem', 'invalid-sse', 'garbage'],
      ['message', ping, undefined],
    ]);
    expect(problems[0]?.error.code).toBe(ErrorCode.Parse);
    expect(problems[0]?.error.cause).toBeInstanceOf(Error);
    expect(problems[0]?.bytes).toBe(bytes(raw).length);
  });

  it('keeps at most 256 bytes of the data as the head', () => {
    const data = `{"jsonrpc":"2.0","id":1,"result":"${'é'.repeat(300)}"`;
    const [problem] = decodeAll([`data: ${data}\n\n`]).problems;
    expect(problem?.type).toBe('invalid-json');
    expect(problem?.bytes).toBe(bytes(data).length);
    expect(bytes(problem?.head ?? '').length).toBeLessThanOrEqual(256 + 2);
    expect(problem?.head.startsWith('{"jsonrpc":"2.0","id":1,"result":"éé')).toBe(true);
  });
});

describe('createSseDecoder: end and reset', () => {
  it('reports an event cut off by the end of the stream', () => {
    for (const tail of ['data: {"jsonrpc":"2.0"', 'data: {}\n', 'data: {}\r', 'data:', 'data']) {
      const { decoder, log, problems } = decodeAll([event(ping), tail]);
      decoder.end();
      expect(log[0]).toEqual(['message', ping, undefined]);
      expect(
        problems.map((p) => [p.type, p.error.code]),
        tail,
      ).toEqual([['invalid-sse', ErrorCode.Parse]]);
      expect(problems[0]?.error.message).toMatch(/ended inside an event/);
    }
  });

  it('ends quietly after whole events, or inside lines that carry no data', () => {
    for (const tail of ['', 'id: 9\n', ': keep-alive', 'event: x\n', 'retry: 5']) {
      const { decoder, problems } = decodeAll([event(ping), tail]);
      decoder.end();
      expect(problems, JSON.stringify(tail)).toEqual([]);
    }
  });

  it('can be reused after end, as a new stream (its byte-order mark stripped again)', () => {
    const { decoder, log } = decodeAll([event(ping)]);
    decoder.end();
    decoder.feed(`\uFEFF${event(result)}`);
    expect(log).toEqual([
      ['message', ping, undefined],
      ['message', result, undefined],
    ]);
  });

  it('drops a partial event and a partial character on reset', () => {
    const { decoder, log, problems } = decodeAll([
      'id: 1\ndata: {"jsonrpc":"2.0",',
      new Uint8Array([0xe6, 0x97]),
    ]);
    decoder.reset();
    expect(decoder.bufferedBytes).toBe(0);
    decoder.feed(event(ping));
    expect(log).toEqual([['message', ping, undefined]]);
    expect(problems).toEqual([]);
  });
});

describe('createSseDecoder: size limit', () => {
  const LIMIT = 200;

  it('accepts data of exactly maxMessageBytes and rejects one byte more, at every split offset', () => {
    const fits = notificationOfSize(LIMIT);
    const over = notificationOfSize(LIMIT + 1);
    const data = bytes(`${event(fits, 'a')}${event(over, 'b')}${event(ping, 'c')}`);
    for (let offset = 0; offset <= data.length; offset++) {
      const { log, problems } = decodeAll(splitAt(data, [offset]), { maxMessageBytes: LIMIT });
      expect(
        log.map((entry) => entry.slice(0, 2)),
        `split at ${offset}`,
      ).toEqual([
        ['id', 'a'],
        ['message', fits],
        ['problem', 'oversize'],
        ['id', 'c'],
        ['message', ping],
      ]);
      expect(problems[0]?.error.code).toBe(ErrorCode.MessageTooLarge);
      expect(problems[0]?.bytes).toBe(LIMIT + 1);
    }
  });

  it('counts the newlines that join data lines', () => {
    const half = 'x'.repeat(LIMIT / 2);
    const fits = `data: ${half}\ndata: ${half.slice(1)}\n\n`;
    const over = `data: ${half}\ndata: ${half}\n\n`;
    const { log } = decodeAll([fits, over], { maxMessageBytes: LIMIT });
    expect(log.map((entry) => entry[1])).toEqual(['invalid-json', 'oversize']);
  });

  it('keeps the head of oversize data, so the request id can be recovered', () => {
    const head = '{"jsonrpc":"2.0","id":"req-9","result":{"text":"';
    const data = `${head}${'y'.repeat(2 * LIMIT)}"}}`;
    const { problems } = decodeAll([`data: ${data}\n\n`], { maxMessageBytes: LIMIT });
    expect(problems).toHaveLength(1);
    expect(problems[0]?.head).toBe(data.slice(0, 256));
    expect(problems[0]?.head.startsWith(head)).toBe(true);
  });

  it('delivers what came before an oversize event first, even in the same chunk', () => {
    const { log } = decodeAll(
      [`${event(ping)}retry: 5\r: note\rdata: ${'z'.repeat(LIMIT + 1)}\r\r${event(result)}`],
      {
        maxMessageBytes: LIMIT,
      },
    );
    expect(log).toEqual([
      ['message', ping, undefined],
      ['retry', 5],
      ['comment', 'note'],
      ['problem', 'oversize', 'z'.repeat(LIMIT + 1)],
      ['message', result, undefined],
    ]);
  });

  it.each([
    ['a comment line', `: ${'c'.repeat(LIMIT + 1)}\n`],
    ['a line that is no field', `${'g'.repeat(LIMIT + 1)}\r\n`],
    ['an id line', `id: ${'i'.repeat(LIMIT + 1)}\r`],
    ['endless empty data lines', 'data\n'.repeat(LIMIT * 10)],
  ])('bounds %s too, then resumes at the next blank line', (_name, flood) => {
    const data = bytes(`${flood}data: 1\n\n${event(ping)}`);
    for (const size of [1, 7, 4096]) {
      const { log, decoder } = decodeAll(
        splitAt(
          data,
          Array.from({ length: data.length / size }, (_, i) => i * size),
        ),
        {
          maxMessageBytes: LIMIT,
        },
      );
      expect(log.map((entry) => entry.slice(0, 2))).toEqual([
        ['problem', 'oversize'],
        ['message', ping],
      ]);
      expect(decoder.bufferedBytes).toBe(0);
    }
  });

  it('skips 50 MB of one event in bounded memory, reports it once, and decodes the next event', () => {
    const limit = 1024 * 1024;
    const chunk = new Uint8Array(64 * 1024).fill(0x78);
    const { decoder, log, problems } = decodeAll(
      [event(ping, '1'), 'id: 2\ndata: {"jsonrpc":"2.0","id":9,"result":"'],
      {
        maxMessageBytes: limit,
      },
    );
    const heapBefore = process.memoryUsage().heapUsed;
    let maxBuffered = 0;
    for (let sent = 0; sent < 50 * 1024 * 1024; sent += chunk.length) {
      decoder.feed(chunk);
      maxBuffered = Math.max(maxBuffered, decoder.bufferedBytes);
    }
    const heapGrowth = process.memoryUsage().heapUsed - heapBefore;
    decoder.feed(`"}\n\n${event(result, '3')}`);

    expect(problems).toHaveLength(1);
    expect(problems[0]?.type).toBe('oversize');
    // Counted when the limit was crossed, so at most one chunk past it.
    expect(problems[0]?.bytes).toBeGreaterThan(limit);
    expect(problems[0]?.bytes).toBeLessThanOrEqual(limit + chunk.length);
    expect(problems[0]?.head.startsWith('{"jsonrpc":"2.0","id":9,"result":"xxx')).toBe(true);
    expect(log.filter((entry) => entry[0] === 'message')).toEqual([
      ['message', ping, '1'],
      ['message', result, '3'],
    ]);
    expect(maxBuffered).toBeLessThanOrEqual(limit);
    // Unbounded buffering would hold 50 million characters (100 MB of heap) by now.
    expect(heapGrowth).toBeLessThan(32 * 1024 * 1024);
  });

  it('defaults to the NDJSON limit', () => {
    const { problems } = decodeAll([`data: "${'x'.repeat(16 * 1024 * 1024)}"\n\n`]);
    expect(problems.map((p) => p.type)).toEqual(['oversize']);
  });
});
