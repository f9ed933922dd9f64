/**
 * What `createSupervisor()` takes and what its `close()` reports. Apart from index.ts so the
 * configuration checks (options.ts) can name them without importing the supervisor itself.
 */

import type { InspectionEvent, Observer } from 'xstate';
import type { ControlOptions } from '../observe/control/options.js';
import type { JournalOptions } from '../observe/journal/options.js';
import type { Logger } from '../runtime/logger.js';
import type { Clock, CommonConfig, TransportConfig } from '../runtime/options/resolve.js';

/** The policy keys a supervisor's `defaults` may set for every server. */
export type SupervisorDefaults = Pick<
  CommonConfig,
  'reconnect' | 'timeouts' | 'heartbeat' | 'queue' | 'limits'
>;

/** What `createSupervisor()` takes. */
export interface SupervisorConfig {
  /** The servers, by name: `{ name: TransportConfig }`, or entries as the config loader returns them. */
  servers: Readonly<Record<string, TransportConfig>> | readonly { name: string; config: TransportConfig }[];
  /** Policy for every server; a server's own keys win, key by key. */
  defaults?: SupervisorDefaults;
  /** An XState inspection observer for the whole system (the supervisor and every connection). */
  inspect?: Observer<InspectionEvent> | ((event: InspectionEvent) => void);
  /** Receives every connection's lifecycle events and diagnostics, secrets redacted. */
  logger?: Logger;
  /** The clock of the whole system (XState's `SimulatedClock` in tests). */
  clock?: Clock;
  /** Seeds every connection's jitter (each its own stream), to make a run reproducible. */
  seed?: number;
  /** The one deadline for `close()`, in ms. Default 10000. */
  closeDeadlineMs?: number;
  /** Every server's journal (a server's own `journal` wins); one `file` is shared by all. */
  journal?: JournalOptions | false;
  /** Publish every server on the process's control socket (a server's own `control` wins). */
  control?: boolean | ControlOptions;
}

/** What `close()` found. */
export interface SupervisorCloseReport {
  /** Servers closed within the deadline. */
  closed: string[];
  /** Servers still closing at the deadline (their cleanup goes on in the background). */
  late: string[];
}
