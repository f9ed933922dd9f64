/**
 * The promises `start()` and `close()` return: settled when the connection reaches `open`
 * (or gives up, or is closed first) and `idle`.
 */

interface StartWaiter {
  resolve: () => void;
  reject: (error: Error) => void;
}

export class Waiters {
  #starts: StartWaiter[] = [];
  #idle: (() => void)[] = [];

  /** A promise for the next `open`. */
  untilOpen(): Promise<void> {
    return new Promise((resolve, reject) => this.#starts.push({ resolve, reject }));
  }

  /** A promise for the next `idle`. */
  untilIdle(): Promise<void> {
    return new Promise((resolve) => this.#idle.push(resolve));
  }

  /** The connection is open. */
  opened(): void {
    for (const waiter of this.#starts.splice(0)) waiter.resolve();
  }

  /** The connection will not open (it gave up, or was closed). */
  refused(error: Error): void {
    for (const waiter of this.#starts.splice(0)) waiter.reject(error);
  }

  /** The connection is idle. */
  idle(): void {
    for (const resolve of this.#idle.splice(0)) resolve();
  }
}
