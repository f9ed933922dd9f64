/**
 * Drives one link actor without the connection machine: a small parent that invokes it, records
 * what it reports (`link.up`, `link.down`, `link.closed`), and sends it `link.close`. For tests of a
 * link's own behaviour against a real peer (a loopback server, a real engine), with a recording sink.
 */

import { type AnyActorLogic, type AnyEventObject, createActor, createMachine } from 'xstate';
import type { LinkError } from '../../src/errors.js';
import type { Diagnostic, LinkHandle, LinkSink } from '../../src/link/contract.js';
import { waitFor } from './processes.js';

/** A sink that keeps everything a link delivers. */
export interface RecordingSink extends LinkSink {
  readonly messages: unknown[];
  readonly diagnostics: Diagnostic[];
  readonly unanswered: LinkSink['unanswered'] & {
    calls: { id: unknown; error: LinkError; disposition: string }[];
  };
}

export function recordingSink(): RecordingSink {
  const messages: unknown[] = [];
  const diagnostics: Diagnostic[] = [];
  const calls: { id: unknown; error: LinkError; disposition: string }[] = [];
  const unanswered = Object.assign(
    (id: unknown, error: LinkError, disposition: string): void => {
      calls.push({ id, error, disposition });
    },
    { calls },
  );
  return {
    messages,
    diagnostics,
    message: (message) => messages.push(message),
    diagnostic: (diagnostic) => diagnostics.push(diagnostic),
    oversize: () => {},
    activity: () => {},
    unanswered,
    session: () => {},
  };
}

/** A running link; see {@link driveLink}. */
export interface LinkDriver {
  /** Every event the link sent its parent, in order. */
  readonly events: AnyEventObject[];
  /** Resolves with the link's handle once it reported `link.up` (rejects if it went down first). */
  up(timeoutMs?: number): Promise<LinkHandle>;
  /** Resolves with the error of its `link.down`. */
  down(timeoutMs?: number): Promise<LinkError>;
  /** Sends `link.close` with `closeMs`. */
  close(closeMs: number): void;
  /** Resolves once it reported `link.closed`. */
  closed(timeoutMs?: number): Promise<void>;
  /** Stops the link actor (its cleanup runs). */
  stop(): void;
}

/** Starts `logic` as the child of a recording parent. */
export function driveLink(logic: AnyActorLogic, attempt = 0): LinkDriver {
  const events: AnyEventObject[] = [];
  const parent = createActor(
    createMachine({
      invoke: { id: 'link', src: logic, input: { attempt } },
      on: {
        '*': {
          actions: ({ event }) => {
            events.push(event);
          },
        },
      },
    }),
  );
  parent.start();
  const find = (type: string) => events.find((event) => event.type === type);
  return {
    events,
    async up(timeoutMs = 10_000) {
      await waitFor(() => find('link.up') !== undefined || find('link.down') !== undefined, { timeoutMs });
      const up = find('link.up');
      if (up === undefined)
        throw new Error(`the link went down: ${(find('link.down')?.error as Error)?.message}`);
      return up.link as LinkHandle;
    },
    async down(timeoutMs = 10_000) {
      await waitFor(() => find('link.down') !== undefined, { timeoutMs });
      return find('link.down')?.error as LinkError;
    },
    close(closeMs) {
      parent.getSnapshot().children.link?.send({ type: 'link.close', closeMs });
    },
    async closed(timeoutMs = 10_000) {
      await waitFor(() => find('link.closed') !== undefined, { timeoutMs });
    },
    stop() {
      parent.stop();
    },
  };
}
