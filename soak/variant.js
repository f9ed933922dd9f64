// @ts-check
// One row of the table: one client (ours, or the SDK anchor) on one target for the run's time. 8 callers
// share one SDK Client, each issuing `echo` calls one after another, each with its own message, while the
// faults are injected; then the callers stop, every call still out gets until the hung deadline, and the
// Client is closed.

import { runFaults } from './faults.js';
import { HUNG_MS, openOurs, openSdk } from './session.js';
import { Tally } from './tally.js';
import { errorText, hashString, percentile, Random, sleep, takeWarnings } from './util.js';

/** Callers sharing the one Client. */
export const CALLERS = 8;
/** A caller's pause after a failed call, so a client failing at once does not spin. */
const FAIL_PAUSE_MS = 10;

/**
 * @typedef {object} Row
 * @property {string} transport
 * @property {'ours' | 'sdk'} client
 * @property {string} clientName
 * @property {number} seconds how long the calls ran
 * @property {number} calls
 * @property {number} answered
 * @property {number} failed
 * @property {number} hung
 * @property {number} wrong
 * @property {Record<string, number>} faults by kind
 * @property {number} faultCount
 * @property {number} recovered
 * @property {number | undefined} recoveryP50Ms
 * @property {number | undefined} recoveryMaxMs
 * @property {number} failedInFlight
 * @property {number} failedBeyond
 * @property {Record<string, number>} beyondAfter failures beyond in flight by the fault kind before them
 * @property {Record<string, number>} codes failures by code
 * @property {Record<string, Record<string, number>>} samples per code, its first five distinct messages with their counts
 * @property {string[]} notes
 * @property {Record<string, unknown>} extra
 * @property {boolean} ok no hung or wrong call, every fault recovered, no failure beyond in flight
 */

/** The text `echo {message}` answers. @param {unknown} result */
function textOf(result) {
  const content = /** @type {{ content?: Array<{ type?: string, text?: unknown }> }} */ (result)?.content;
  const first = content?.[0];
  return first?.type === 'text' ? first.text : undefined;
}

/**
 * `promise` settled, or `'hung'` once `ms` passed.
 * @param {Promise<unknown>} promise @param {number} ms
 * @returns {Promise<{ result: unknown } | { error: unknown } | 'hung'>}
 */
function settle(promise, ms) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const hung = new Promise((resolve) => {
    timer = setTimeout(() => resolve('hung'), ms);
  });
  const settled = promise.then(
    (result) => ({ result }),
    (error) => ({ error }),
  );
  return /** @type {Promise<{ result: unknown } | { error: unknown } | 'hung'>} */ (
    Promise.race([settled, hung]).finally(() => clearTimeout(timer))
  );
}

/**
 * @param {object} options
 * @param {import('./targets.js').Target} options.target
 * @param {'ours' | 'sdk'} options.client
 * @param {number} options.seconds
 * @param {number} options.seed
 * @param {(line: string) => void} options.log
 * @param {() => boolean} options.stopped true once the run is being cut short (Ctrl-C): no more faults
 * @returns {Promise<Row>}
 */
export async function runVariant({ target, client, seconds, seed, log, stopped }) {
  const clientName = client === 'ours' ? 'mcp-lifeline' : `SDK ${target.sdkName}`;
  const variantSeed = (seed ^ hashString(`${target.name}/${client}`)) >>> 0;
  // The fault schedule alone draws from it, so a seed replays the same faults whatever the calls do.
  const random = new Random(variantSeed);
  /** @type {string[]} */
  const notes = [];
  /** Faults that could not be injected as meant: the row proves less than it says. @type {string[]} */
  const faultNotes = [];
  /** @type {string[]} */
  const closeNotes = [];
  takeWarnings(); // those of the previous row's end are not this row's
  /** @type {import('./session.js').Session | undefined} */
  let session;
  try {
    session = client === 'ours' ? await openOurs(target, variantSeed) : await openSdk(target);
  } catch (error) {
    notes.push(`could not connect: ${errorText(error)}`);
  }
  const open = session;
  const tally = new Tally(() => open?.isOpen() ?? false);
  const began = performance.now();
  let stopping = false;
  if (open !== undefined) {
    /** @param {number} caller */
    const callerLoop = async (caller) => {
      for (let seq = 1; !stopping; seq += 1) {
        // Unique per call: an answer meant for another call (or a stale one) does not match.
        const message = `${client}-${caller}-${seq}`;
        const start = tally.begin();
        const outcome = await settle(open.call(message), HUNG_MS);
        if (outcome === 'hung') tally.hang();
        else if ('error' in outcome) tally.fail(start, outcome.error);
        else tally.answer(start, textOf(outcome.result) === `Echo: ${message}`);
        if (outcome !== 'hung' && 'error' in outcome) await sleep(FAIL_PAUSE_MS);
      }
    };
    const callers = Array.from({ length: CALLERS }, (_, i) => callerLoop(i));
    const faults = await runFaults({
      kinds: target.kinds,
      inject: target.inject,
      victim: { client, serverPid: () => open.serverPid(), random },
      untilMs: began + seconds * 1000,
      onFault: (fault) => tally.faultBegan(fault),
      stopped,
      log,
    });
    // A last quiet stretch, so the end of the run is not the end of a recovery.
    await sleep(200);
    stopping = true;
    await Promise.all(callers);
    for (const fault of faults) if (fault.note !== undefined) faultNotes.push(`${fault.kind}: ${fault.note}`);
    notes.push(...faultNotes);
    try {
      await open.close();
    } catch (error) {
      closeNotes.push(`close: ${errorText(error)}`);
      notes.push(...closeNotes);
    }
  }
  notes.push(...takeWarnings());
  const faults = tally.faults;
  const recoveries = faults.flatMap((f) =>
    f.recoveredAt === undefined ? [] : [f.recoveredAt - /** @type {number} */ (f.liftedAt)],
  );
  /** @type {Record<string, number>} */
  const byKind = {};
  for (const fault of faults) byKind[fault.kind] = (byKind[fault.kind] ?? 0) + 1;
  const recovered = recoveries.length;
  const row = {
    transport: target.name,
    client,
    clientName,
    seconds: (performance.now() - began) / 1000,
    calls: tally.calls,
    answered: tally.answered,
    failed: tally.failed,
    hung: tally.hung,
    wrong: tally.wrong,
    faults: byKind,
    faultCount: faults.length,
    recovered,
    recoveryP50Ms: percentile(recoveries, 50),
    recoveryMaxMs: recoveries.length === 0 ? undefined : Math.max(...recoveries),
    failedInFlight: tally.failedInFlight,
    failedBeyond: tally.failedBeyond,
    beyondAfter: Object.fromEntries(tally.beyondAfter),
    codes: Object.fromEntries([...tally.codes].sort((a, b) => b[1] - a[1])),
    samples: Object.fromEntries(tally.samples),
    notes,
    extra: open?.extra() ?? {},
  };
  const ok =
    open !== undefined &&
    closeNotes.length === 0 &&
    faultNotes.length === 0 &&
    row.hung === 0 &&
    row.wrong === 0 &&
    recovered === faults.length &&
    row.failedBeyond === 0 &&
    row.calls > 0;
  return { ...row, ok };
}
