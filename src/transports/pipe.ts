/**
 * One NDJSON conversation over a pair of byte streams: a server's stdout read into messages, and
 * messages written to its stdin. Shared by the stdio link (a child's pipes) and the Docker link
 * (a container's attached stream).
 */

import type { Readable, Writable } from 'node:stream';
import type { JsonRpcMessage } from '../codec/jsonrpc.js';
import { createNdjsonDecoder, encodeMessage, type NdjsonDecoder } from '../codec/ndjson.js';
import { unreadableAnswerId } from '../codec/recover.js';
import { ErrorCode, LinkError } from '../errors.js';
import type { LinkSink } from '../link/contract.js';
import { createLineSplitter } from './lines.js';

/** What to do with the server's stderr. It is always drained, whatever the choice. */
export type StderrMode = 'diagnostics' | 'pipe' | 'ignore' | 'inherit';

/**
 * Drains a server's stderr: each line a `debug` diagnostic (`diagnostics`), or copied to
 * `target` (`pipe`) without ever blocking the server (SDK #2776): what nobody reads is dropped.
 * In both modes each line also goes to `onLine` (the tail an exit error shows). `ignore` and
 * `inherit` have no stream to read here.
 */
export function drainStderr(
  stderr: Readable | null | undefined,
  mode: StderrMode,
  sink: LinkSink,
  target?: Writable,
  onLine: (line: string) => void = () => {},
): void {
  if (stderr === null || stderr === undefined) return;
  if (mode === 'diagnostics') {
    stderr.on(
      'data',
      createLineSplitter((line) => {
        onLine(line);
        sink.diagnostic({ source: 'stderr', level: 'debug', message: line });
      }),
    );
  } else if (mode === 'pipe') {
    const split = createLineSplitter(onLine);
    stderr.on('data', (chunk: Buffer) => {
      split(chunk);
      if (target !== undefined && target.writableLength < target.writableHighWaterMark) target.write(chunk);
    });
  } else {
    stderr.resume();
  }
}

/**
 * The decoder for a server's stdout: messages to the sink; a line that is not a message is a
 * diagnostic from `source`, and an oversize one is also reported so its request can be failed.
 */
export function createStdoutDecoder(sink: LinkSink, maxMessageBytes: number, source: string): NdjsonDecoder {
  return createNdjsonDecoder({
    maxMessageBytes,
    onMessage: (message) => sink.message(message),
    onProblem: (problem) => {
      if (problem.type === 'oversize') {
        sink.oversize({ bytes: problem.bytes, head: problem.head, tail: problem.tail });
      } else if (problem.recovered !== true) {
        // An unreadable answer that names its request fails that request at once, as on
        // WebSocket, rather than leave it to the caller's own timeout.
        const id = unreadableAnswerId(problem.head, problem.tail);
        if (id !== undefined) {
          const message = `The answer to request ${id} is unreadable: ${problem.error.message}`;
          sink.unanswered(id, new LinkError(problem.error.code, message, { cause: problem.error }), 'fail');
        }
      }
      sink.diagnostic({
        source,
        level: 'warn',
        message: `${problem.error.message}: ${abbreviate(problem.head)}`,
        error: problem.error,
      });
    },
  });
}

/** Writes messages to a server's stdin; never hangs, never blocks on one message per syscall. */
export interface StdinWriter {
  /** Writes one message; resolves once it is in the pipe, or when the pipe drains. */
  send(message: JsonRpcMessage): Promise<void>;
  /** The pipe is gone: every waiting writer gets `error`, and so does every later send. */
  fail(error: LinkError): void;
}

/**
 * A writer for `stdin`. Messages sent in one tick leave in one write: one pipe write and one
 * wake-up of the server per burst instead of per message (measured on stdio: about 0.8x to 1.0x
 * the raw loop). `refusal` says why the link takes nothing now, if it does not.
 */
export function createStdinWriter(stdin: Writable, refusal: () => LinkError | undefined): StdinWriter {
  const drain = createDrainGate();
  let failed: LinkError | undefined;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    stdin.uncork();
  };
  stdin.on('drain', () => drain.open());
  return {
    send(message) {
      const refused = failed ?? refusal();
      if (refused !== undefined) return Promise.reject(refused);
      if (!corked) {
        corked = true;
        stdin.cork();
        process.nextTick(uncork);
      }
      return stdin.write(encodeMessage(message)) ? Promise.resolve() : drain.wait();
    },
    fail(error) {
      failed ??= error;
      drain.fail(error);
    },
  };
}

/** The error for a write that the pipe refused. */
export function pipeWriteError(cause: Error, what: string): LinkError {
  return new LinkError(ErrorCode.Write, `Cannot write to ${what}: ${cause.message}`, {
    cause,
    retryable: true,
  });
}

export function abbreviate(text: string): string {
  return text.length > 120 ? `${text.slice(0, 120)}…` : text;
}

/** One shared promise for writers waiting on `drain`; rejected when the link dies, so no send hangs. */
function createDrainGate() {
  let pending: { promise: Promise<void>; resolve: () => void; reject: (error: Error) => void } | undefined;
  return {
    wait(): Promise<void> {
      if (pending === undefined) {
        let resolve!: () => void;
        let reject!: (error: Error) => void;
        const promise = new Promise<void>((res, rej) => {
          resolve = res;
          reject = rej;
        });
        pending = { promise, resolve, reject };
      }
      return pending.promise;
    },
    open(): void {
      pending?.resolve();
      pending = undefined;
    },
    fail(error: Error): void {
      pending?.reject(error);
      pending = undefined;
    },
  };
}
