// Issue 16 review: the links act on a network error as its row in the failure table says. A
// response that is not HTTP (undici's llhttp errors, row `HPE_*`: garbage, a TLS port reached over
// http://) is `bad-input` / `fail-request`: that request fails and the link lives on, with no
// question to the server (the probe GET is for a cut, `UND_ERR_SOCKET` / `ECONNRESET`). Two things
// sent it to the row `other` (link down, ask the server) instead: undici's `HTTPParserError` carries
// no code (undici 7 looks its code up by number in a table keyed by name), and the HTTP client hands
// the links its errors wrapped in a `LIFELINE_ERR_NETWORK` `LinkError`, which the table read by the
// wrapper's code. A server that also garbles the probe then held the link in a reconnect loop and
// every later call in the queue. Real loopback servers; nothing is mocked.

import { describe, expect, it } from 'vitest';
import { createTransport, ErrorCode, LinkError } from '../../src/index.js';
import { networkFault } from '../../src/transports/failures/table.js';
import { HttpClient, networkError } from '../../src/transports/http/client.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import {
  type MisbehavingServer,
  type RecordedRequest,
  standard,
  startMisbehavingServer,
} from '../helpers/http-misbehaving.js';
import { errorOf, Raw } from '../helpers/raw-client.js';

const keep = closeAfterEach({ rejections: true });

/** A server that answers `garbage` POSTs, and every GET, with bytes that are not HTTP. */
async function garbling(): Promise<MisbehavingServer> {
  const server = await startMisbehavingServer((request: RecordedRequest, response) => {
    if (request.method === 'GET' || request.rpc?.method === 'garbage') {
      response.socket?.end('NOT-HTTP garbage\r\n\r\n');
      return;
    }
    standard(request, response);
  });
  keep(server);
  return server;
}

describe('a network error is read by the row of the error under the wrapper', () => {
  it('the HTTP client reports a garbled response under a LinkError whose row is HPE_*', async () => {
    const server = await garbling();
    const client = new HttpClient({
      url: new URL(server.url()),
      headers: {},
      redirect: 'same-origin',
      maxMessageBytes: 1 << 20,
      secrets: [],
    });
    try {
      const error = await client
        .request({ method: 'GET', url: new URL(server.url()), headers: {} }, 'GET')
        .then(
          () => undefined,
          (failure: unknown) => failure,
        );
      expect(error).toBeInstanceOf(LinkError);
      expect(networkFault(error)).toMatchObject({ fault: 'HPE_*', action: 'fail-request' });
      // Wrapping twice changes nothing.
      expect(networkFault(networkError(error, 'again')).fault).toBe('HPE_*');
    } finally {
      client.destroy();
    }
  });

  it('Streamable HTTP: a garbled answer fails its request only; no probe GET, the link stays up', async () => {
    const server = await garbling();
    const transport = createTransport({
      url: server.url(),
      reconnect: { initialDelayMs: 20, jitter: 0 },
      heartbeat: { intervalMs: 0 },
      // Bounded, so that a request stuck behind a link that keeps going down fails the test fast.
      timeouts: { closeMs: 200, requestMs: 3000 },
    });
    keep(transport);
    const raw = new Raw(transport);
    await transport.start();
    const states: string[] = [];
    transport.actor.subscribe((snapshot) => states.push(JSON.stringify(snapshot.value)));

    const garbage = await raw.request('garbage');
    expect(errorOf(garbage).data).toMatchObject({ cause: ErrorCode.Network });
    expect(await raw.request('next')).toMatchObject({ result: { method: 'next' } });

    expect(server.requests.filter((request) => request.method === 'GET')).toEqual([]);
    expect(states.some((state) => state.includes('reconnecting'))).toBe(false);
    expect(transport.state).toBe('open');
  });
});
