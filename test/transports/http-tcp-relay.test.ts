// Issue 16, point 1: behind a TCP relay (Docker port publishing, a TCP load balancer, a Kubernetes
// service) a backend that is down shows as a connection accepted and then closed: each POST failed
// with undici's UND_ERR_SOCKET "other side closed", the lifecycle stayed `open`, and every call made
// during a restart failed at once with -32090. Now the link asks whether the server is there and
// goes down like ECONNREFUSED takes it down: 8 callers through one SDK Client lose at most the one
// call each had in flight at the kill (legacy era) or none (2026-07-28 era: re-issued), and the
// lifecycle passes through `reconnecting`.

import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { describe, expect, it } from 'vitest';
import { createTransport, type HttpConfig, type LifelineTransport } from '../../src/index.js';
import { closeAfterEach } from '../helpers/cleanup.js';
import { waitFor } from '../helpers/processes.js';
import { startTcpRelay } from '../helpers/tcp-relay.js';
import { type ChildPeer, startLegacyStateful, startV2Http } from '../peers/index.js';

const CALLERS = 8;
const DOWN_MS = 600;
const clientInfo = { name: 'lifeline-relay-test', version: '1.0.0' };

const keep = closeAfterEach({ rejections: true });

interface ToolClient {
  connect(transport: LifelineTransport): Promise<void>;
  callTool(params: { name: string; arguments?: Record<string, unknown> }): Promise<unknown>;
  close(): Promise<void>;
}

type Phase = 'before' | 'down' | 'after';

interface Outcome {
  caller: number;
  phase: Phase;
  /** `ok`, `hung`, or the error's code. */
  result: 'ok' | 'hung' | number | string;
}

/** Resolves `late` if `promise` takes longer than `ms`: a hung call is reported by name. */
function within<T>(promise: Promise<T>, ms: number, late: T): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<T>((resolve) => {
    timer = setTimeout(() => resolve(late), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** The top-level state of a snapshot value (`open` for `{ open: 'watching' }`). */
function topState(value: unknown): string {
  return typeof value === 'string' ? value : (Object.keys(value as object)[0] ?? '');
}

/**
 * 8 callers call `sleep` in a loop through one Client while the server behind the relay is killed,
 * stays down for {@link DOWN_MS}, and is restarted on the same port; they stop once each has had
 * two answers from the restarted server.
 */
async function restartUnderLoad(
  peer: ChildPeer,
  client: ToolClient,
): Promise<{ outcomes: Outcome[]; inFlightAtKill: number }> {
  const outcomes: Outcome[] = [];
  let phase: Phase = 'before';
  let stop = false;
  let inFlight = 0;
  const caller = async (index: number): Promise<void> => {
    while (!stop) {
      const started: Phase = phase;
      inFlight += 1;
      const result = await within(
        client.callTool({ name: 'sleep', arguments: { ms: 40 + index } }).then(
          () => 'ok' as const,
          (error: { code?: number; message?: string }) => error.code ?? error.message ?? 'error',
        ),
        15_000,
        'hung' as const,
      );
      inFlight -= 1;
      outcomes.push({ caller: index, phase: result === 'ok' ? phase : started, result });
      if (result === 'hung') return;
    }
  };
  const callers = Array.from({ length: CALLERS }, (_, i) => caller(i));
  const answered = (which: Phase) => outcomes.filter((o) => o.phase === which && o.result === 'ok');
  await waitFor(() => answered('before').length >= 2 * CALLERS, { timeoutMs: 20_000 });
  phase = 'down';
  const inFlightAtKill = inFlight;
  await peer.kill();
  await new Promise((resolve) => setTimeout(resolve, DOWN_MS));
  await peer.restart();
  phase = 'after';
  await waitFor(
    () =>
      Array.from({ length: CALLERS }, (_, i) => i).every(
        (i) => answered('after').filter((o) => o.caller === i).length >= 2,
      ),
    { timeoutMs: 30_000, message: 'every caller answered twice after the restart' },
  );
  stop = true;
  await Promise.all(callers);
  return { outcomes, inFlightAtKill };
}

function transportBehind(url: string): LifelineTransport {
  return keep(
    createTransport({
      url,
      reconnect: { initialDelayMs: 50, maxDelayMs: 200 },
      heartbeat: { intervalMs: 0 },
    } as HttpConfig),
  );
}

function statesOf(transport: LifelineTransport): Set<string> {
  const seen = new Set<string>();
  transport.actor.subscribe((snapshot) => seen.add(topState(snapshot.value)));
  return seen;
}

describe('Streamable HTTP behind a TCP relay that accepts, then closes while the backend is down', () => {
  it('legacy era: only the calls in flight at the kill fail; the rest wait and are answered', async () => {
    const peer = await startLegacyStateful();
    const relay = keep(await startTcpRelay(peer.port));
    const transport = transportBehind(relay.url('/mcp'));
    const client = keep(new ClientV1(clientInfo) as unknown as ToolClient);
    await client.connect(transport);
    const states = statesOf(transport);

    const { outcomes, inFlightAtKill } = await restartUnderLoad(peer, client);

    expect(outcomes.filter((o) => o.result === 'hung')).toEqual([]);
    const failed = outcomes.filter((o) => o.result !== 'ok');
    // At most the one call each caller had in flight at the kill; never a call made after it.
    expect(failed.length).toBeLessThanOrEqual(inFlightAtKill);
    for (let i = 0; i < CALLERS; i += 1)
      expect(failed.filter((o) => o.caller === i).length).toBeLessThanOrEqual(1);
    expect(new Set(failed.map((o) => o.result))).toEqual(new Set(failed.length === 0 ? [] : [-32090]));
    expect(outcomes.filter((o) => o.phase === 'after' && o.result !== 'ok')).toEqual([]);
    // The relay really closed connections on us, and the lifecycle saw the link go down.
    expect(relay.closedUnreachable).toBeGreaterThan(0);
    expect(states.has('reconnecting')).toBe(true);
    expect(transport.status.state).toBe('open');
  }, 90_000);

  it('2026-07-28 era: the calls in flight are re-issued, and none fails', async () => {
    const peer = await startV2Http();
    const relay = keep(await startTcpRelay(peer.port));
    const transport = transportBehind(relay.url('/mcp'));
    const client = keep(
      new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } }) as unknown as ToolClient,
    );
    await client.connect(transport);
    expect(transport.actor.getSnapshot().context.era).toBe('modern');
    const states = statesOf(transport);

    const { outcomes, inFlightAtKill } = await restartUnderLoad(peer, client);

    expect(outcomes.filter((o) => o.result !== 'ok')).toEqual([]);
    expect(transport.stats.reissued).toBeLessThanOrEqual(inFlightAtKill);
    expect(transport.stats.failed).toBe(0);
    expect(relay.closedUnreachable).toBeGreaterThan(0);
    expect(states.has('reconnecting')).toBe(true);
    expect(transport.status.state).toBe('open');
  }, 90_000);
});
