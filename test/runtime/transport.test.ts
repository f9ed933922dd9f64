// The runtime (`createTransport`) against real child processes: backoff and giving up, send()
// validation, the outbound queue while the link is down, pull-style reading, `await using`,
// and the stats counters. No mocks: every server is test/fixtures/stdio-server.mjs.

import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import { describe, expect, it } from 'vitest';
import type { JsonRpcMessage, JsonRpcResponse } from '../../src/codec/jsonrpc.js';
import {
  CONNECTION_LOST_RPC_CODE,
  ErrorCode,
  InvalidMessageError,
  LifelineError,
  QueueFullError,
  REQUEST_FAILED_RPC_CODE,
  StateError,
} from '../../src/errors.js';
import { createTransport, type LifelineTransport } from '../../src/runtime/transport.js';
import { useFixtureHarness } from '../helpers/fixture-harness.js';
import { isAlive, readPids, waitFor } from '../helpers/processes.js';
import { errorOf, Raw, record, textOf } from '../helpers/raw-client.js';

// ---------------------------------------------------------------------------------------------
// Harness
// ---------------------------------------------------------------------------------------------

const { pidfile, fixture, open } = useFixtureHarness('transport');

/** Kills the server and waits until the transport noticed (it is in `reconnecting`). */
async function killServer(transport: LifelineTransport): Promise<number> {
  const pid = transport.pid;
  if (pid === undefined) throw new Error('no server process');
  process.kill(pid, 'SIGKILL');
  await waitFor(() => transport.state === 'reconnecting', { message: 'never went to reconnecting' });
  return pid;
}

// ---------------------------------------------------------------------------------------------
// Backoff and giving up
// ---------------------------------------------------------------------------------------------

describe('reconnecting and giving up', () => {
  it('retries a server that exits at start with delays 50, 100, 200 ms, then fails with LIFELINE_ERR_RETRIES_EXHAUSTED', async () => {
    const transport = open(
      fixture(
        { FIXTURE_MODE: 'exit-at-start' },
        { reconnect: { initialDelayMs: 50, multiplier: 2, jitter: 0, maxAttempts: 3 } },
      ),
    );
    const statuses = record(transport);
    const snapshotDelays: number[] = [];
    transport.subscribe((status) => {
      if (status.state === 'reconnecting') snapshotDelays.push(transport.actor.getSnapshot().context.delayMs);
    });
    let closes = 0;
    transport.onclose = () => {
      closes += 1;
    };
    const errors: Error[] = [];
    transport.onerror = (error) => errors.push(error);

    // On stdio, `open` means "spawned": start() resolves before the server gets a chance to exit.
    await transport.start();
    await waitFor(() => transport.state === 'failed', { message: 'never gave up' });

    const reconnecting = statuses.filter((status) => status.state === 'reconnecting');
    expect(reconnecting.map((status) => status.delayMs)).toEqual([50, 100, 200]);
    expect(reconnecting.map((status) => status.attempt)).toEqual([1, 2, 3]);
    expect(snapshotDelays).toEqual([50, 100, 200]);
    // The first attempt and three retries.
    expect(statuses.filter((status) => status.state === 'connecting')).toHaveLength(4);

    const error = transport.status.error;
    expect(error).toBeInstanceOf(LifelineError);
    expect(error?.code).toBe(ErrorCode.RetriesExhausted);
    expect(error?.message).toMatch(/Gave up after 4 failed attempts/);
    expect(transport.actor.getSnapshot().matches('failed')).toBe(true);
    expect(closes).toBe(1);
    expect(errors.at(-1)).toBe(error);
    // Every link was a new process, and the counters say so.
    expect(transport.stats.links).toBe(4);
  });

  it('ends pull-style readers with the typed error when it gives up, and start() tries again from scratch', async () => {
    const transport = open(
      fixture(
        { FIXTURE_MODE: 'exit-at-start' },
        { reconnect: { initialDelayMs: 50, multiplier: 2, jitter: 0, maxAttempts: 3 } },
      ),
    );
    const statuses = record(transport);
    let closes = 0;
    transport.onclose = () => {
      closes += 1;
    };
    const iterating = (async () => {
      for await (const _ of transport.messages()) {
        // Nothing arrives: the server never answers.
      }
    })().then(
      () => undefined,
      (error: unknown) => error,
    );
    await transport.start();
    const raw = new Raw(transport);
    // Queued while the link is down, written to the next process, answered when that one dies.
    await waitFor(() => transport.state === 'reconnecting');
    const pending = raw.echo('never answered');

    await waitFor(() => transport.state === 'failed');
    // The pull-style reader ends with the typed error.
    const thrown = await iterating;
    expect(thrown).toBeInstanceOf(LifelineError);
    expect((thrown as LifelineError).code).toBe(ErrorCode.RetriesExhausted);
    const failure = errorOf(await pending);
    expect(failure.code).toBe(CONNECTION_LOST_RPC_CODE);
    expect(failure.data).toMatchObject({ code: ErrorCode.ConnectionLost, cause: ErrorCode.ProcessExit });
    // In `failed`, send() says why (and that start() retries).
    await expect(raw.echo('too late')).rejects.toMatchObject({
      code: ErrorCode.Closed,
      message: expect.stringMatching(/call start\(\) to retry/),
    });

    // start() again: connecting again, the same backoff from attempt 1, and failed again.
    statuses.length = 0;
    await transport.start();
    expect(statuses[0]?.state).toBe('connecting');
    expect(statuses[0]?.error).toBeUndefined();
    await waitFor(() => transport.state === 'failed');
    expect(statuses.filter((s) => s.state === 'reconnecting').map((s) => s.delayMs)).toEqual([50, 100, 200]);
    expect(transport.status.error?.code).toBe(ErrorCode.RetriesExhausted);
    expect(closes).toBe(2);
  });

  it("the SDK Client's connect() rejects promptly against a server that exits at start", async () => {
    const transport = open(
      fixture(
        { FIXTURE_MODE: 'exit-at-start' },
        { reconnect: { initialDelayMs: 50, multiplier: 2, jitter: 0, maxAttempts: 3 } },
      ),
    );
    const client = new Client({ name: 'transport-test', version: '1.0.0' });
    const started = Date.now();
    const error = await client.connect(transport).then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(Date.now() - started).toBeLessThan(5000);
    // The initialize request is answered for the runtime when the process dies under it.
    expect(error).toBeInstanceOf(McpError);
    expect((error as McpError).code).toBe(CONNECTION_LOST_RPC_CODE);
    expect((error as McpError).data).toMatchObject({ code: ErrorCode.ConnectionLost });
    // The SDK closes its transport when connect() fails: no retry loop is left behind.
    await waitFor(() => transport.state === 'idle');
  });
});

// ---------------------------------------------------------------------------------------------
// send()
// ---------------------------------------------------------------------------------------------

describe('send()', () => {
  it('rejects an invalid message with LIFELINE_ERR_INVALID_MESSAGE and writes nothing to the server', async () => {
    const debug: string[] = [];
    const logger = {
      debug: (_fields: unknown, message: string) => debug.push(message),
      info: () => {},
      warn: () => {},
      error: () => {},
    };
    const transport = open(fixture({ FIXTURE_MODE: 'stderr-chatter' }, { stderr: 'diagnostics', logger }));
    const raw = new Raw(transport);
    await transport.start();

    const invalid = { jsonrpc: '1.0', id: 99, method: 'tools/list' } as unknown as JsonRpcMessage;
    const rejection = await transport.send(invalid).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejection).toBeInstanceOf(InvalidMessageError);
    expect(rejection).toBeInstanceOf(LifelineError);
    expect((rejection as LifelineError).code).toBe(ErrorCode.InvalidMessage);
    expect(transport.stats.written).toBe(0);

    // The fixture logs every message it reads: after a valid ping, only the ping was read.
    expect((await raw.request('ping')).id).toBe(1);
    await waitFor(() => debug.some((line) => line.includes('fixture: got ping')));
    expect(debug.filter((line) => line.startsWith('fixture: got'))).toEqual(['fixture: got ping']);
    expect(transport.stats).toMatchObject({ written: 1, received: 1, failed: 1 });
  });

  it('rejects a send before start() with LIFELINE_ERR_NOT_STARTED', async () => {
    const transport = open(fixture());
    const rejection = await transport.send({ jsonrpc: '2.0', id: 1, method: 'ping' }).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(rejection).toBeInstanceOf(StateError);
    expect((rejection as LifelineError).code).toBe(ErrorCode.NotStarted);
    expect(transport.pid).toBeUndefined();
  });
});

// ---------------------------------------------------------------------------------------------
// The queue while the link is down
// ---------------------------------------------------------------------------------------------

describe('the outbound queue', () => {
  it('holds requests sent while reconnecting and has them answered, in order, once the link is back', async () => {
    const transport = open(fixture({}, { reconnect: { initialDelayMs: 100, jitter: 0 } }));
    const client = new Client({ name: 'transport-test', version: '1.0.0' });
    await client.connect(transport);
    const firstPid = await killServer(transport);

    const order: string[] = [];
    const calls = ['a', 'b', 'c'].map((message) =>
      client.callTool({ name: 'echo', arguments: { message } }).then((result) => {
        const text = (result.content as { text: string }[])[0]?.text ?? '';
        order.push(text);
        return text;
      }),
    );
    await waitFor(() => transport.stats.queued === 3, { message: 'requests were not queued' });
    expect(transport.state).toBe('reconnecting');

    expect(await Promise.all(calls)).toEqual(['Echo: a', 'Echo: b', 'Echo: c']);
    expect(order).toEqual(['Echo: a', 'Echo: b', 'Echo: c']);
    expect(transport.pid).not.toBe(firstPid);
    expect(transport.stats.queued).toBe(0);
    // The session was re-established on the new process before the queue was flushed.
    expect(transport.stats.reestablished).toBe(1);
    const stats = await client.callTool({ name: 'stats', arguments: {} });
    const counts = JSON.parse((stats.content as { text: string }[])[0]?.text ?? '{}') as Record<
      string,
      number
    >;
    expect(counts).toMatchObject({ pid: transport.pid, initializeCount: 1, initializedCount: 1 });
    await client.close();
  });

  it('answers a request written just before the server died with a connection-lost error at once', async () => {
    const transport = open(fixture({}, { reconnect: { initialDelayMs: 5000, jitter: 0 } }));
    const raw = new Raw(transport);
    await transport.start();
    const pid = transport.pid as number;
    process.kill(pid, 'SIGKILL');
    // Still `open`: the exit has not been noticed yet, so the request is written to the dead link.
    expect(transport.state).toBe('open');
    const started = Date.now();
    const failure = errorOf(await raw.echo('lost'));
    expect(Date.now() - started).toBeLessThan(2000);
    expect(failure.code).toBe(CONNECTION_LOST_RPC_CODE);
    expect(failure.data).toMatchObject({ code: ErrorCode.ConnectionLost, cause: ErrorCode.ProcessExit });
    expect(transport.state).toBe('reconnecting');
  });

  it('rejects a send past queue.maxMessages with QueueFullError, and answers the queued ones when closed', async () => {
    const transport = open(
      fixture({}, { reconnect: { initialDelayMs: 10_000, jitter: 0 }, queue: { maxMessages: 2 } }),
    );
    const raw = new Raw(transport);
    await transport.start();
    await killServer(transport);

    const first = raw.echo('1');
    const second = raw.echo('2');
    const third = await raw.echo('3').then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(third).toBeInstanceOf(QueueFullError);
    expect((third as LifelineError).code).toBe(ErrorCode.QueueFull);
    expect((third as LifelineError).retryable).toBe(true);
    expect(transport.stats.queued).toBe(2);

    await transport.close();
    // Each queued request is answered exactly once.
    expect(raw.responses.map((response) => response.id)).toEqual([1, 2]);
    for (const response of await Promise.all([first, second])) {
      const failure = errorOf(response);
      expect(failure.code).toBe(CONNECTION_LOST_RPC_CODE);
      expect(failure.data).toMatchObject({ code: ErrorCode.Closed });
    }
    expect(transport.stats.queued).toBe(0);
  });

  it('answers a request queued longer than timeouts.requestMs with LIFELINE_ERR_REQUEST_EXPIRED', async () => {
    const transport = open(
      fixture(
        {},
        { reconnect: { initialDelayMs: 10_000, jitter: 0 }, timeouts: { closeMs: 200, requestMs: 100 } },
      ),
    );
    const raw = new Raw(transport);
    await transport.start();
    await killServer(transport);

    const started = Date.now();
    const failure = errorOf(await raw.echo('waits'));
    const waited = Date.now() - started;
    expect(waited).toBeGreaterThanOrEqual(90);
    expect(waited).toBeLessThan(1000);
    expect(failure.code).toBe(REQUEST_FAILED_RPC_CODE);
    expect(failure.data).toMatchObject({ code: ErrorCode.RequestExpired });
    expect(transport.state).toBe('reconnecting');
    expect(transport.stats.queued).toBe(0);
  });
});

// ---------------------------------------------------------------------------------------------
// Pull style and `await using`
// ---------------------------------------------------------------------------------------------

describe('pull-style reading and disposal', () => {
  it('delivers responses to `for await (… of transport.messages())` and ends the loop on close', async () => {
    const transport = open(fixture());
    await transport.start();
    const received: JsonRpcMessage[] = [];
    const loop = (async () => {
      for await (const message of transport.messages()) received.push(message);
      return 'ended';
    })();
    for (const id of [1, 2, 3]) await transport.send({ jsonrpc: '2.0', id, method: 'ping' });
    await waitFor(() => received.length === 3);
    expect(received).toEqual([
      { jsonrpc: '2.0', id: 1, result: {} },
      { jsonrpc: '2.0', id: 2, result: {} },
      { jsonrpc: '2.0', id: 3, result: {} },
    ]);
    await transport.close();
    expect(await loop).toBe('ended');
  });

  it('`await using` closes the transport at the end of the scope (onclose fires once, the server is gone)', async () => {
    let closes = 0;
    let pid: number | undefined;
    let answer: JsonRpcResponse | undefined;
    {
      await using transport = createTransport(fixture());
      transport.onclose = () => {
        closes += 1;
      };
      await transport.start();
      pid = transport.pid;
      answer = await new Raw(transport).request('ping');
      expect(closes).toBe(0);
    }
    expect(answer).toEqual({ jsonrpc: '2.0', id: 1, result: {} });
    expect(closes).toBe(1);
    expect(pid).toBeTypeOf('number');
    expect(isAlive(pid as number)).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Stats
// ---------------------------------------------------------------------------------------------

describe('stats', () => {
  it('counts every outbound request as written or failed, and every answer as received', async () => {
    const pids = pidfile();
    const transport = open(
      fixture({ FIXTURE_PIDFILE: pids }, { reconnect: { initialDelayMs: 10_000, jitter: 0 } }),
    );
    const raw = new Raw(transport);
    expect(transport.stats).toEqual({
      written: 0,
      received: 0,
      queued: 0,
      failed: 0,
      reestablished: 0,
      reissued: 0,
      links: 0,
    });
    await transport.start();

    const answers = await Promise.all([1, 2, 3, 4, 5].map((n) => raw.echo(`#${n}`)));
    expect(answers.map(textOf)).toEqual(['Echo: #1', 'Echo: #2', 'Echo: #3', 'Echo: #4', 'Echo: #5']);
    expect(transport.stats).toMatchObject({ written: 5, received: 5, queued: 0, failed: 0, links: 1 });

    await expect(
      transport.send({ jsonrpc: '2.0', id: 'x' } as unknown as JsonRpcMessage),
    ).rejects.toBeInstanceOf(InvalidMessageError);
    expect(transport.stats).toMatchObject({ written: 5, received: 5, failed: 1 });

    await killServer(transport);
    const queued = [raw.echo('q1'), raw.echo('q2')];
    await waitFor(() => transport.stats.queued === 2);
    expect(transport.stats).toMatchObject({ written: 5, queued: 2, failed: 1 });

    await transport.close();
    await Promise.all(queued);
    // 8 requests: 5 written and answered, 1 refused, 2 failed from the queue with a synthesized answer.
    expect(transport.stats).toEqual({
      written: 5,
      received: 7,
      queued: 0,
      failed: 3,
      reestablished: 0,
      reissued: 0,
      links: 1,
    });
    expect(raw.responses).toHaveLength(7);
    expect(readPids(pids).filter(isAlive)).toEqual([]);
  });
});
