/**
 * When the orphan sweep runs. Containers of ours carry their owner's `<host>/<pid>/<start>`
 * label; a container whose owner is gone (SIGKILL, a crash) is an orphan. A process sweeps at
 * its first link start, and again at a later link start once `intervalMs` has passed since
 * the last sweep: a long-lived agent also removes what a sibling process left after it
 * started, and the cost stays bounded (one container listing per engine per interval,
 * however many links start; concurrent starts share the sweep in progress). No timer runs
 * between link starts, so an idle process holds no resource for it.
 */

import { hostname } from 'node:os';

/** The sweep's cadence and clock. */
export interface SweepOptions {
  /** The least time between two sweeps of one engine, in ms. Default 60000. */
  intervalMs: number;
  /** The clock, in ms (tests move it). Default `Date.now`. */
  now: () => number;
}

const DEFAULT_SWEEP: SweepOptions = { intervalMs: 60_000, now: Date.now };

let current: SweepOptions = DEFAULT_SWEEP;

/**
 * Sets the cadence (and, for tests, the clock) of every engine's orphan sweep in this process.
 * Keys left out keep their defaults; `configureOrphanSweep({})` restores both.
 */
export function configureOrphanSweep(options: Partial<SweepOptions>): void {
  current = { ...DEFAULT_SWEEP, ...options };
}

/** The cadence in force. */
export function orphanSweepOptions(): SweepOptions {
  return current;
}

/**
 * Whether a container's owner label names a process of this host that is gone. `alive(pid)`
 * gives the live process's own label (undefined when no such process runs); a pid reused by
 * another process has another start time, so its container is an orphan too. A label of
 * another host is not ours to judge.
 */
export function isOrphanOf(
  owner: string,
  alive: (pid: number) => string | undefined,
  host: string = hostname(),
): boolean {
  if (!owner.startsWith(`${host}/`)) return false;
  const pid = Number(owner.split('/')[1]);
  return !(Number.isInteger(pid) && alive(pid) === owner);
}

/**
 * Runs a sweep at most once per interval: `due(run)` starts one when none ran within the
 * interval (or the last one failed), and hands the one in progress to concurrent callers.
 */
export class SweepSchedule {
  readonly #options: () => SweepOptions;
  #running: Promise<void> | undefined;
  /** When the last successful sweep started, on the schedule's clock. */
  #last: number | undefined;

  constructor(options: () => SweepOptions = orphanSweepOptions) {
    this.#options = options;
  }

  /** Runs `run` when a sweep is due; resolves when the sweep (this one or the one running) is done. */
  due(run: () => Promise<void>): Promise<void> {
    if (this.#running !== undefined) return this.#running;
    const { intervalMs, now } = this.#options();
    const started = now();
    // A clock that went back counts as due: better one listing too many than an orphan kept.
    if (this.#last !== undefined && started >= this.#last && started - this.#last < intervalMs)
      return Promise.resolve();
    this.#running = run()
      .then(() => {
        this.#last = started;
      })
      .finally(() => {
        this.#running = undefined;
      });
    return this.#running;
  }
}
