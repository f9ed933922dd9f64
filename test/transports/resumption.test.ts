// Issue 16, point 2: `resumptionToken` / `onresumptiontoken` in `send()` options were accepted but
// not honoured. Through the SDK v1 Client's request options, as with its own
// StreamableHTTPClientTransport: against the v1 SDK's stateful server with an InMemoryEventStore
// (test/fixtures/http-legacy-server.mjs), a request whose stream the server closed is answered by
// resuming that stream from its token (a GET with Last-Event-ID), not by running the call again.
// Where no stream can be resumed (stdio, the 2026-07-28 era), send() rejects with a typed error and
// nothing reaches the server.

import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createTransport,
  ErrorCode,
  type LifelineTransport,
  ResumptionUnsupportedError,
  type TransportConfig,
} from '../../src/index.js';
import { FIXTURE_SERVER } from '../helpers/fixture-harness.js';
import { waitFor } from '../helpers/processes.js';
import { startLegacyStateful, startV2Http, stopAll } from '../peers/index.js';

const transports: LifelineTransport[] = [];
const clients: { close(): Promise<void> }[] = [];
afterEach(async () => {
  await Promise.allSettled(clients.splice(0).map((client) => client.close()));
  await Promise.allSettled(transports.splice(0).map((transport) => transport.close()));
  await stopAll();
});

function open(config: TransportConfig): LifelineTransport {
  const transport = createTransport(config);
  transports.push(transport);
  return transport;
}

async function connectV1(transport: LifelineTransport): Promise<Client> {
  const client = new Client({ name: 'resumption-test', version: '1.0.0' });
  clients.push(client);
  await client.connect(transport);
  return client;
}

function textOf(result: { content: unknown[] }): string {
  return (result.content[0] as { text: string }).text;
}

const drop = { method: 'tools/call', params: { name: 'drop', arguments: { ms: 300 } } } as const;

describe('resumptionToken on Streamable HTTP (2025 era, a server with an event store)', () => {
  it('resumes the stream from the token: the answer comes by GET under the new request, the call is not run again', async () => {
    // The server's `retry:` keeps the link's own resumption of the closed stream 20 s away.
    const peer = await startLegacyStateful({ eventStore: true, retryMs: 20_000 });
    const transport = open({ url: peer.url, heartbeat: { intervalMs: 0 } });
    const client = await connectV1(transport);

    // The server closes this call's stream at once (after its priming event) and stores the answer.
    const firstTokens: string[] = [];
    const abandoned = new AbortController();
    const first = client.request(drop, CallToolResultSchema, {
      onresumptiontoken: (token) => firstTokens.push(token),
      signal: abandoned.signal,
    });
    first.catch(() => {});
    await waitFor(() => firstTokens.length > 0, { message: 'no event id on the first stream' });

    // Resumed from its last event id: the same call, answered from the event store.
    const tokens: string[] = [];
    const resumed = await client.request(drop, CallToolResultSchema, {
      resumptionToken: firstTokens.at(-1) as string,
      onresumptiontoken: (token) => tokens.push(token),
      timeout: 10_000,
    });
    expect(textOf(resumed)).toBe('dropped');
    // The replayed events' ids were reported: the answer's own is a token to resume after it.
    expect(tokens.length).toBeGreaterThan(0);
    expect(tokens).not.toContain(firstTokens.at(-1));
    abandoned.abort();

    // `drop` ran once: the resumption was a GET, not a second POST of the call.
    const stats = JSON.parse(textOf((await client.callTool({ name: 'stats', arguments: {} })) as never)) as {
      methods: Record<string, number>;
    };
    expect(stats.methods['tools/call']).toBe(2); // drop, then this stats call
    expect(transport.stats.failed).toBe(0);
  }, 30_000);

  it('fails the request with a typed error when the server keeps no stream to resume', async () => {
    // The v2 SDK's handler serves the 2025 era statelessly: a GET gets 405.
    const peer = await startV2Http();
    const transport = open({ url: peer.url, heartbeat: { intervalMs: 0 } });
    const client = await connectV1(transport);
    const error = await client
      .request(drop, CallToolResultSchema, { resumptionToken: 'no-such-event', timeout: 10_000 })
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toMatchObject({ code: ErrorCode.StreamLost });
    expect(String((error as Error).message)).toMatch(/Last-Event-ID answered HTTP 405/);
    // The link lives on.
    expect(textOf((await client.callTool({ name: 'echo', arguments: { message: 'on' } })) as never)).toMatch(
      /on/,
    );
  }, 30_000);
});

describe('resumptionToken where no stream can be resumed', () => {
  it('stdio: send() rejects with ResumptionUnsupportedError and nothing reaches the server', async () => {
    const transport = open({
      command: process.execPath,
      args: [FIXTURE_SERVER],
      env: { FIXTURE_MODE: 'stderr-chatter' },
      stderr: 'pipe',
      heartbeat: { intervalMs: 0 },
    });
    let stderr = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const client = await connectV1(transport);
    const error = await client
      .request(
        { method: 'tools/call', params: { name: 'echo', arguments: { message: 'x' } } },
        CallToolResultSchema,
        { resumptionToken: '42' },
      )
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(ResumptionUnsupportedError);
    expect(error).toMatchObject({ code: ErrorCode.ResumptionUnsupported });
    expect(String((error as Error).message)).toMatch(/stdio transport has no resumable streams/);
    // The echo never went out; the next call does.
    await client.callTool({ name: 'echo', arguments: { message: 'y' } });
    const calls = (): number => stderr.split('fixture: got tools/call').length - 1;
    await waitFor(() => calls() === 1, { message: `tools/call seen ${calls()} times:\n${stderr}` });
  }, 20_000);

  it('Streamable HTTP in the 2026-07-28 era: rejected the same way (a lost request is re-issued instead)', async () => {
    const peer = await startV2Http();
    const transport = open({ url: peer.url, heartbeat: { intervalMs: 0 } });
    const client = new ClientV2(
      { name: 'resumption-test', version: '1.0.0' },
      { versionNegotiation: { mode: 'auto' } },
    );
    clients.push(client);
    await client.connect(transport as never);
    expect(transport.status.era).toBe('modern');
    const error = await transport
      .send(
        { jsonrpc: '2.0', id: 'resume-1', method: 'tools/call', params: { name: 'echo', arguments: {} } },
        { resumptionToken: '1' },
      )
      .then(
        () => undefined,
        (reason: unknown) => reason,
      );
    expect(error).toBeInstanceOf(ResumptionUnsupportedError);
    expect(String((error as Error).message)).toMatch(/2026-07-28 era/);
  }, 20_000);
});
