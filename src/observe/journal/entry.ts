/**
 * What a connection's journal records: one small plain object per event of its life (a state
 * entered, a reconnect attempt, a session re-established, a heartbeat's round trip, an error).
 * Never a message, a header or an environment value: text that could carry one (an error's
 * message) is redacted with the connection's secrets and cut short before it is stored.
 */

import type { ConnectionState } from '../../machines/connection.js';
import { redact } from '../../runtime/logger.js';

/** The longest error message an entry keeps, in characters: an entry's memory stays bounded. */
export const MAX_ENTRY_TEXT = 240;

/** An error as the journal keeps it: its stable code and a redacted, shortened message. */
export interface JournalError {
  code: string;
  message: string;
}

/** Fields every entry has. */
interface EntryBase {
  /** When it happened: ms since the epoch, on the transport's clock. */
  t: number;
  /** Position in this connection's journal, from 1; a gap means entries were dropped from the ring. */
  seq: number;
}

/** The connection entered a top-level state. */
export interface StateEntry extends EntryBase {
  kind: 'state';
  from: ConnectionState;
  to: ConnectionState;
  /** Retries since the link last proved itself. */
  attempt: number;
  /** In `reconnecting`: the wait before the next attempt, in ms. */
  delayMs?: number;
  /** In `reconnecting` and `failed`: why. */
  error?: JournalError;
}

/** A reconnect attempt began (`connecting` again, `attempt` ≥ 1). */
export interface AttemptEntry extends EntryBase {
  kind: 'attempt';
  attempt: number;
}

/** The session was re-established on a new link (the legacy handshake replayed). */
export interface SessionEntry extends EntryBase {
  kind: 'session';
  /** Sessions re-established so far on this transport. */
  reestablished: number;
  protocolVersion?: string;
}

/** A heartbeat probe was answered. */
export interface HeartbeatEntry extends EntryBase {
  kind: 'heartbeat';
  /** From the probe to its answer, in ms. */
  rttMs: number;
}

/** An error reported by the connection (also given to `onerror`). */
export interface ErrorEntry extends EntryBase {
  kind: 'error';
  error: JournalError;
}

/** One event in a connection's journal. */
export type JournalEntry = StateEntry | AttemptEntry | SessionEntry | HeartbeatEntry | ErrorEntry;

/** An entry before the journal numbers it and stamps its time. */
export type JournalEvent =
  | Omit<StateEntry, 't' | 'seq'>
  | Omit<AttemptEntry, 't' | 'seq'>
  | Omit<SessionEntry, 't' | 'seq'>
  | Omit<HeartbeatEntry, 't' | 'seq'>
  | Omit<ErrorEntry, 't' | 'seq'>;

/** An entry as it leaves the process (a journal file's line, the control socket): with its connection. */
export type JournalRecord = JournalEntry & { connection: string };

/**
 * An error as the journal keeps it: the code, and the message with every secret replaced and
 * cut to {@link MAX_ENTRY_TEXT} characters.
 */
export function journalError(
  error: { code?: unknown; message?: unknown } | undefined,
  secrets: readonly string[],
): JournalError | undefined {
  if (error === undefined) return undefined;
  const code = typeof error.code === 'string' ? error.code : 'LIFELINE_ERR_UNKNOWN';
  const raw = typeof error.message === 'string' ? error.message : '';
  // Redact before cutting: a cut could split a secret and leave a prefix nobody would match.
  const clean = redact(raw, secrets);
  const cut = clean.length > MAX_ENTRY_TEXT ? `${clean.slice(0, MAX_ENTRY_TEXT - 3)}...` : clean;
  // A copy of its own: V8 may keep a cut (or a short concatenation) as a view of the whole
  // message, and a 16 KiB stderr tail would then stay alive as long as the entry.
  return { code, message: Buffer.from(cut, 'utf8').toString('utf8') };
}
