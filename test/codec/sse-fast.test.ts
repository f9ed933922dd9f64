import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createSseDecoder } from '../../src/codec/sse.js';
import { parseWholeEvents } from '../../src/codec/sse-fast.js';

/** What the full decoder reports for a stream, in the fast path's terms. */
function viaDecoder(text: string): { ids: string[]; dispatched: [string, string][]; retries: number[] } {
  const ids: string[] = [];
  const dispatched: [string, string][] = [];
  const retries: number[] = [];
  const decoder = createSseDecoder({
    onMessage: (message) => dispatched.push(['message', JSON.stringify(message)]),
    onEvent: (event) => dispatched.push([event.event, event.data]),
    onId: (id) => ids.push(id),
    onRetry: (ms) => retries.push(ms),
  });
  decoder.feed(text);
  decoder.end();
  return { ids, dispatched, retries };
}

function viaFast(text: string): ReturnType<typeof viaDecoder> | undefined {
  const events = parseWholeEvents(text);
  if (events === undefined) return undefined;
  const ids: string[] = [];
  const dispatched: [string, string][] = [];
  const retries: number[] = [];
  for (const event of events) {
    if (event.id !== undefined) ids.push(event.id);
    if (event.retry !== undefined) retries.push(event.retry);
    if (event.data === undefined || event.data === '') continue;
    const type = event.event ?? 'message';
    if (type !== 'message') {
      dispatched.push([type, event.data]);
      continue;
    }
    // The transport's fast path gives up on data that is not one JSON message (the decoder reports it).
    try {
      dispatched.push([type, JSON.stringify(JSON.parse(event.data))]);
    } catch {
      return undefined;
    }
  }
  return { ids, dispatched, retries };
}

const message = fc
  .record({ id: fc.integer({ min: 0, max: 1000 }), text: fc.string() })
  .map(({ id, text }) => JSON.stringify({ jsonrpc: '2.0', id, result: { text } }));
const line = fc.oneof(
  message.map((json) => `data: ${json}`),
  fc.stringMatching(/^[a-z0-9-]{0,12}$/).map((id) => `id: ${id}`),
  fc.constantFrom('event: endpoint', 'event: message', ': keep-alive', 'retry: 500', 'retry:250'),
  fc.stringMatching(/^\/[a-z?=0-9]{0,20}$/).map((path) => `data:${path}`),
);
const event = fc.array(line, { minLength: 1, maxLength: 4 }).map((lines) => `${lines.join('\n')}\n\n`);

describe('parseWholeEvents (the SSE fast path)', () => {
  it('agrees with the full decoder on every stream of whole events it accepts', () => {
    fc.assert(
      fc.property(fc.array(event, { minLength: 1, maxLength: 5 }), (events) => {
        const text = events.join('');
        const fast = viaFast(text);
        if (fast === undefined) return;
        expect(fast).toEqual(viaDecoder(text));
      }),
      { numRuns: 500 },
    );
  });

  it('takes the shapes MCP servers send', () => {
    const priming = 'id: 1\ndata: \n\n';
    const answer = 'event: message\nid: 2\ndata: {"jsonrpc":"2.0","id":7,"result":{}}\n\n';
    expect(parseWholeEvents(priming + answer)).toEqual([
      { id: '1', event: undefined, data: '', retry: undefined },
      { id: '2', event: 'message', data: '{"jsonrpc":"2.0","id":7,"result":{}}', retry: undefined },
    ]);
    expect(parseWholeEvents('event: endpoint\ndata: /message?sessionId=abc\n\n')?.[0]?.data).toBe(
      '/message?sessionId=abc',
    );
  });

  it('leaves everything else to the full decoder', () => {
    for (const text of [
      'data: {"a":1}\n', // not a whole event
      'data: {"a":1}\r\n\r\n', // CR line endings
      '\ufeffdata: {}\n\n', // a byte-order mark
      'data: x\nfoo: bar\n\n', // a field the fast path does not know
      'garbage\n\n', // a line without a colon
    ]) {
      expect(parseWholeEvents(text)).toBeUndefined();
    }
  });
});
