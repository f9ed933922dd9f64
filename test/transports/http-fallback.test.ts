// The fallback from Streamable HTTP to legacy HTTP+SSE for a bare `url` (issue 14, point 3):
// it happens inside one link, so the connection never passes through `reconnecting`, counts no
// retry and reports no error; and when the HTTP+SSE stream then fails, the link goes down like
// any other, nothing hangs. Real servers on loopback: server-everything in `sse` mode and a
// scripted one.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { createTransport, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { reply, startMisbehavingServer } from '../helpers/http-misbehaving.js';
import { startEverything } from '../peers/index.js';

const keep = closeAfterEach({ rejections: true });

function record(transport: LifelineTransport): string[] {
  const seen: string[] = [];
  transport.subscribe((status) =>
    seen.push(`${status.state}/${status.attempt}/${status.error?.code ?? '-'}`),
  );
  return seen;
}

describe('the fallback to HTTP+SSE', () => {
  it('switches within the link: open throughout, no retry counted, even with reconnect.maxAttempts 0', async () => {
    const peer = await startEverything('sse');
    const transport = keep(createTransport({ url: peer.url, reconnect: { maxAttempts: 0 } }));
    const seen = record(transport);
    const client = keep(new Client({ name: 'fallback-test', version: '1.0.0' }));
    await client.connect(transport);
    const result = await client.callTool({ name: 'echo', arguments: { message: 'in place' } });
    expect(result).toEqual({ content: [{ type: 'text', text: 'Echo: in place' }] });
    expect(seen).toEqual(['connecting/0/-', 'open/0/-']);
    expect(transport.stats.links).toBe(1);
    expect(transport.status.error).toBeUndefined();
  });

  it('goes down like any link when the HTTP+SSE stream then fails; the handshake waits, nothing hangs', async () => {
    // Refuses Streamable HTTP (404 to the POST) and has no SSE stream either (500 to the GET).
    const server = keep(
      await startMisbehavingServer((request, response) =>
        request.method === 'POST'
          ? reply(response, 404, 'text/html', '<h1>Not Found</h1>')
          : reply(response, 500, 'text/plain', 'no stream here'),
      ),
    );
    const transport = keep(
      createTransport({ url: server.url('/sse'), reconnect: { maxAttempts: 1, initialDelayMs: 20 } }),
    );
    const seen = record(transport);
    const client = new Client({ name: 'fallback-test', version: '1.0.0' });
    const refused = await client.connect(transport).then(
      () => undefined,
      (error: Error) => error,
    );
    expect(refused).toBeInstanceOf(Error);
    // The first link fell back and its stream failed; the retry went straight to HTTP+SSE.
    expect(seen.filter((line) => line.startsWith('reconnecting'))).toEqual([
      'reconnecting/1/LIFELINE_ERR_HTTP',
    ]);
    expect(seen).toContain('failed/1/LIFELINE_ERR_RETRIES_EXHAUSTED');
    expect(seen.join(' ')).not.toContain('LIFELINE_ERR_FALLBACK');
    expect(server.requests.map((request) => request.method)).toEqual(['POST', 'GET', 'GET']);
  });
});
