/**
 * The longer steps of `lifeline demo`: the crash with calls in flight, and `--keep-running`.
 */

import { setTimeout as sleep } from 'node:timers/promises';
import { CONNECTION_LOST_RPC_CODE } from '../errors.js';
import type { LifelineTransport } from '../runtime/transport.js';
import { formatMs, type Printer } from './output.js';
import { callEcho, type DemoClient, message, requirePid } from './sdk.js';

/** How many calls are in flight when the server is killed. */
export const IN_FLIGHT = 3;

/** What the crash step saw. */
export interface CrashOutcome {
  oldPid: number;
  /** When the server was killed (the printer's clock, ms). */
  killedAt: number;
  /** In-flight calls failed with the connection-lost error (-32090). */
  lost: number;
  /** In-flight calls answered before the server died (none when it was frozen first). */
  answered: number;
}

/**
 * Kills the server with SIGKILL while {@link IN_FLIGHT} echo calls wait for answers, and shows
 * them failing fast with -32090 instead of hanging until the SDK's 60 s timeout. On POSIX the
 * server is frozen (SIGSTOP) before the calls, so none can be answered before it dies.
 * Any other failure of an in-flight call is unexpected and thrown.
 */
export async function crashWithCallsInFlight(
  client: DemoClient,
  transport: LifelineTransport,
  out: Printer,
): Promise<CrashOutcome> {
  const oldPid = requirePid(transport);
  const freeze = process.platform !== 'win32';
  if (freeze) process.kill(oldPid, 'SIGSTOP');
  let killedAt = 0;
  const calls = Array.from({ length: IN_FLIGHT }, (_, i) =>
    callEcho(client, `in flight ${i + 1}`).then(
      (): { lost: boolean; ms: number; why?: string } => ({ lost: false, ms: out.elapsed() - killedAt }),
      (error: unknown) => {
        if ((error as { code?: unknown } | null)?.code !== CONNECTION_LOST_RPC_CODE) throw error;
        return { lost: true, ms: out.elapsed() - killedAt, why: message(error) };
      },
    ),
  );
  if (freeze) out.step(`froze the server (SIGSTOP pid ${oldPid}) and sent ${IN_FLIGHT} echo calls`);
  out.step(`killing the server (SIGKILL pid ${oldPid}) with ${IN_FLIGHT} calls in flight`, '⚡', 'red');
  killedAt = out.elapsed();
  process.kill(oldPid, 'SIGKILL');

  const outcomes = await Promise.all(calls);
  const lost = outcomes.filter((outcome) => outcome.lost);
  const slowest = Math.max(0, ...lost.map((outcome) => outcome.ms));
  const why = lost.find((outcome) => outcome.why !== undefined)?.why;
  out.ok(
    `${lost.length}/${IN_FLIGHT} in-flight calls failed fast in ${formatMs(slowest)}` +
      (why === undefined ? '' : `: ${why}`),
  );
  return { oldPid, killedAt, lost: lost.length, answered: outcomes.length - lost.length };
}
/** `--keep-running`: echo every 2 s until Ctrl-C; returns how many calls were answered. */
export async function keepRunning(
  client: DemoClient,
  transport: LifelineTransport,
  out: Printer,
  signal: AbortSignal,
): Promise<number> {
  out.step(`running until Ctrl-C; echo every 2 s. Try: kill -9 ${transport.pid ?? '<pid>'}`);
  let answered = 0;
  for (let n = 1; !signal.aborted; n += 1) {
    try {
      await sleep(2000, undefined, { signal });
    } catch {
      break;
    }
    if (transport.state === 'failed')
      throw new Error(`the connection gave up: ${transport.status.error?.message}`);
    try {
      const reply = await callEcho(client, `tick ${n}`, signal);
      answered += 1;
      out.ok(`echo #${n} = ${reply} (pid ${transport.pid ?? '-'})`);
    } catch (error) {
      if (signal.aborted) break;
      out.fail(`echo #${n} failed: ${message(error)}`);
    }
  }
  return answered;
}
