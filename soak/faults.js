// @ts-check
// Faults: what one is (its kind and the moments it began, took effect, was over and was recovered from),
// the helpers the targets inject them with, and the schedule: at random (seeded) gaps, kinds in a random
// order that uses every kind once before any repeats, one fault at a time, each waited out until the
// client under test has recovered from it (or the recovery deadline passed: then no more are injected).

import { sleep } from './util.js';

/** How long the network (or the server process) stays stalled. */
export const STALL_MS = 2000;
/** The quiet time before each fault, drawn uniformly from this range (ms). */
export const GAP_MS = /** @type {const} */ ([200, 1000]);
/** How long a server stays down between its kill and its restart, drawn uniformly from this range (ms). */
export const DOWNTIME_MS = /** @type {const} */ ([200, 1000]);
/** How long after a fault is over its recovery may take before it counts as not recovered. */
export const RECOVERY_DEADLINE_MS = 10_000;

/** @typedef {'kill' | 'backend' | 'cut' | 'reset' | 'stall'} FaultKind */

/**
 * One fault as it happens; the target's `inject` fills in the times (performance.now()) as they come.
 * @typedef {object} Fault
 * @property {FaultKind} kind
 * @property {number} injectedAt when the injection began
 * @property {number} [settledAt] when it had taken effect (a killed server reaped, connections closed)
 * @property {number} [liftedAt] when its cause was gone (the server listening again, the network resumed)
 * @property {number} [recoveredAt] the end of the first call answered after it (see Tally)
 * @property {string} [note]
 */

/**
 * What the fault injector may ask of the client under test.
 * @typedef {object} Victim
 * @property {'ours' | 'sdk'} client
 * @property {() => number | undefined} serverPid the pid of a server the transport spawned itself (stdio)
 * @property {import('./util.js').Random} random
 */

/**
 * One turn of this process's event loop, through its poll phase: what happened on the wire (a RST, a
 * FIN, a dead server's closed sockets) has then reached the client, which lives in this process.
 */
const turn = () => new Promise((resolve) => setTimeout(() => setImmediate(resolve), 1));

/**
 * Marks `fault` as taken effect: it is complete on the wire and the client could have seen it. A call
 * begun before this may have been written to a connection that was already dying.
 * @param {Fault} fault
 */
export async function settle(fault) {
  await turn();
  fault.settledAt = performance.now();
}

/** Marks `fault` taken effect and over (faults that are over the moment they are done). @param {Fault} fault */
export async function instant(fault) {
  await settle(fault);
  fault.liftedAt = /** @type {number} */ (fault.settledAt);
}

/**
 * Stops (SIGSTOP, a relay's stall, a container's pause) for STALL_MS, then lets go.
 * @param {(action: 'stop' | 'go') => unknown} hold @param {Fault} fault
 */
export async function stall(hold, fault) {
  await hold('stop');
  await settle(fault);
  await sleep(STALL_MS);
  await hold('go');
  fault.liftedAt = performance.now();
}

/**
 * Kills a backend with SIGKILL, keeps it down a while (a real deployment's restart takes time) and starts
 * it again on the same port.
 * @param {import('./servers.js').Backend} backend @param {Fault} fault @param {Victim} victim
 */
export async function killAndRestart(backend, fault, victim) {
  await backend.kill('SIGKILL');
  await settle(fault);
  await sleep(victim.random.between(DOWNTIME_MS[0], DOWNTIME_MS[1]));
  await backend.start();
  fault.liftedAt = performance.now();
}

/**
 * Injects faults until `untilMs` (performance.now()) has passed and every kind was injected at least once.
 * @param {object} options
 * @param {readonly FaultKind[]} options.kinds
 * @param {(kind: FaultKind, fault: Fault, victim: Victim) => Promise<void>} options.inject
 * @param {Victim} options.victim
 * @param {number} options.untilMs
 * @param {(fault: Fault) => void} options.onFault called as each fault begins
 * @param {() => boolean} options.stopped true once the run is being ended
 * @param {(line: string) => void} options.log
 * @returns {Promise<Fault[]>}
 */
export async function runFaults({ kinds, inject, victim, untilMs, onFault, stopped, log }) {
  /** @type {Fault[]} */
  const faults = [];
  const unused = new Set(kinds);
  /** @type {FaultKind[]} */
  let order = [];
  const { random } = victim;
  while (!stopped() && (performance.now() < untilMs || unused.size > 0)) {
    await sleep(random.between(GAP_MS[0], GAP_MS[1]));
    if (order.length === 0) order = random.shuffle(kinds);
    const kind = /** @type {FaultKind} */ (order.shift());
    unused.delete(kind);
    /** @type {Fault} */
    const fault = { kind, injectedAt: performance.now() };
    faults.push(fault);
    onFault(fault);
    try {
      await inject(kind, fault, victim);
    } catch (error) {
      fault.note = `injection failed: ${String(error)}`;
      fault.settledAt ??= performance.now();
      fault.liftedAt ??= performance.now();
    }
    const lifted = /** @type {number} */ (fault.liftedAt);
    while (fault.recoveredAt === undefined && performance.now() - lifted < RECOVERY_DEADLINE_MS)
      await sleep(10);
    if (fault.recoveredAt === undefined) {
      log(`    ${kind}: not recovered within ${RECOVERY_DEADLINE_MS} ms; no more faults in this run`);
      break;
    }
  }
  return faults;
}
