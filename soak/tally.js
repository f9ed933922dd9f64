// @ts-check
// The count of one run, kept as the calls end (a 600 s run makes hundreds of thousands of calls; no call
// is kept once counted). Every call ends one way:
//   answered  with the right text, or `wrong` when the text is not the one its arguments ask for
//   failed    rejected (counted by error code), and then either
//             - in flight at a fault: begun before the fault had taken effect, not yet ended when it was
//               injected (these may fail: the link they were written to died under them), or
//             - beyond in flight: every other failure, e.g. a call begun while the link was down (it
//               should have waited in the queue) or after the fault was over
//   hung      no end within the hung deadline
// A fault is recovered at the end of the first call begun after it was injected and answered after it
// was over while the transport was open.

/** @typedef {import('./faults.js').Fault} Fault */

/**
 * The code a failed call is counted under: a JSON-RPC code with the runtime's cause (`-32090 NETWORK`),
 * an error code (`ECONNREFUSED`, `UND_ERR_SOCKET`, an HTTP status), or else the error's name and message.
 * @param {unknown} error
 */
export function failureCode(error) {
  if (typeof error !== 'object' || error === null) return String(error).slice(0, 40);
  const e =
    /** @type {{ code?: unknown, data?: { code?: unknown, cause?: unknown }, cause?: { code?: unknown }, name?: string, message?: string }} */ (
      error
    );
  const short = (/** @type {unknown} */ code) => String(code).replace(/^LIFELINE_ERR_/, '');
  if (typeof e.code === 'number') {
    const detail = e.data?.cause ?? e.data?.code;
    return detail === undefined ? String(e.code) : `${e.code} ${short(detail)}`;
  }
  if (typeof e.code === 'string') return short(e.code);
  if (typeof e.cause?.code === 'string') return `${e.name ?? 'Error'} ${e.cause.code}`;
  return `${e.name ?? 'Error'}: ${(e.message ?? '').slice(0, 40)}`;
}

export class Tally {
  calls = 0;
  answered = 0;
  wrong = 0;
  failed = 0;
  hung = 0;
  failedInFlight = 0;
  failedBeyond = 0;
  /** @type {Map<string, number>} */
  codes = new Map();
  /** Per code, the first five distinct messages and how often each came, for the JSON output. @type {Map<string, Record<string, number>>} */
  samples = new Map();
  /** Failures beyond in flight by the kind of the last fault injected before the call began. @type {Map<string, number>} */
  beyondAfter = new Map();
  /** @type {Fault[]} */
  faults = [];
  /** @type {() => boolean} */
  #isOpen;

  /** @param {() => boolean} isOpen whether the transport is open right now */
  constructor(isOpen) {
    this.#isOpen = isOpen;
  }

  /** @param {Fault} fault */
  faultBegan(fault) {
    this.faults.push(fault);
  }

  /** A call begins: its start time. */
  begin() {
    this.calls += 1;
    return performance.now();
  }

  /** @param {number} start @param {boolean} right */
  answer(start, right) {
    const now = performance.now();
    this.answered += 1;
    if (!right) {
      this.wrong += 1;
      return;
    }
    const fault = this.faults.at(-1);
    if (
      fault !== undefined &&
      fault.recoveredAt === undefined &&
      fault.liftedAt !== undefined &&
      start >= fault.injectedAt &&
      now >= fault.liftedAt &&
      this.#isOpen()
    )
      fault.recoveredAt = now;
  }

  /** @param {number} start @param {unknown} error */
  fail(start, error) {
    const now = performance.now();
    this.failed += 1;
    const code = failureCode(error);
    this.codes.set(code, (this.codes.get(code) ?? 0) + 1);
    const message = (error instanceof Error ? error.message : String(error)).slice(0, 300);
    const seen = this.samples.get(code) ?? {};
    const key = message in seen || Object.keys(seen).length < 5 ? message : '(other messages)';
    seen[key] = (seen[key] ?? 0) + 1;
    this.samples.set(code, seen);
    if (this.#inFlightAtFault(start, now)) {
      this.failedInFlight += 1;
      return;
    }
    this.failedBeyond += 1;
    const before = this.faults.findLast((f) => f.injectedAt <= start);
    const kind = before?.kind ?? 'none';
    this.beyondAfter.set(kind, (this.beyondAfter.get(kind) ?? 0) + 1);
  }

  hang() {
    this.hung += 1;
  }

  /** Begun before a fault had taken effect, and not ended when it was injected. @param {number} start @param {number} end */
  #inFlightAtFault(start, end) {
    for (let i = this.faults.length - 1; i >= 0; i -= 1) {
      const fault = /** @type {Fault} */ (this.faults[i]);
      const settled = fault.settledAt ?? Number.POSITIVE_INFINITY;
      if (start < settled && end > fault.injectedAt) return true;
      // Faults come one after another: an earlier one took effect earlier still.
      if (settled <= start) return false;
    }
    return false;
  }
}
