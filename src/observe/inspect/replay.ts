/**
 * `lifeline inspect --replay FILE`: a journal file (JSON lines, as `journal.file` writes them)
 * shown as one ended agent. Each connection's state is its last recorded one; the timeline and
 * the event log hold its newest entries. Lines that are not journal records are counted and
 * skipped, never fatal: a file cut mid-line by a crash still replays.
 */

import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { createInterface } from 'node:readline';
import type { ConnectionSnapshot } from '../control/protocol.js';
import type { JournalEntry } from '../journal/entry.js';
import { type InspectHub, MAX_ENTRIES } from './hub.js';

/** The agent key of a replay. */
export const REPLAY_KEY = 'replay';

const KINDS = new Set(['state', 'attempt', 'session', 'heartbeat', 'error']);

/** What a replay read. */
export interface ReplaySummary {
  connections: number;
  entries: number;
  /** Lines that were not journal records. */
  skipped: number;
  /** The first and the last entry's time, ms since the epoch (0 when none). */
  from: number;
  to: number;
}

function isRecord(value: unknown): value is JournalEntry & { connection: string } {
  if (typeof value !== 'object' || value === null) return false;
  const record = value as Record<string, unknown>;
  return (
    typeof record.connection === 'string' &&
    typeof record.t === 'number' &&
    typeof record.kind === 'string' &&
    KINDS.has(record.kind)
  );
}

/** A connection's snapshot, as its entries leave it. */
function snapshotOf(name: string, entries: readonly JournalEntry[]): ConnectionSnapshot {
  let state = 'idle';
  let attempt = 0;
  let delayMs = 0;
  let since = entries[0]?.t ?? 0;
  let error: ConnectionSnapshot['error'];
  let heartbeatRttMs: number | undefined;
  const stats = { entries: entries.length, attempts: 0, sessions: 0, heartbeats: 0, errors: 0 };
  for (const entry of entries) {
    switch (entry.kind) {
      case 'state':
        state = entry.to;
        attempt = entry.attempt;
        delayMs = entry.delayMs ?? 0;
        since = entry.t;
        if (entry.error !== undefined) error = entry.error;
        break;
      case 'attempt':
        stats.attempts += 1;
        attempt = entry.attempt;
        break;
      case 'session':
        stats.sessions += 1;
        break;
      case 'heartbeat':
        stats.heartbeats += 1;
        heartbeatRttMs = entry.rttMs;
        break;
      case 'error':
        stats.errors += 1;
        error = entry.error;
        break;
    }
  }
  return {
    name,
    type: 'journal',
    state,
    attempt,
    delayMs,
    since,
    ...(error === undefined ? {} : { error }),
    ...(heartbeatRttMs === undefined ? {} : { heartbeatRttMs }),
    stats,
    journal: { entries: entries.length, capacity: MAX_ENTRIES },
  };
}

/**
 * Reads a journal file into the hub.
 *
 * @throws the file system's error when the file cannot be read.
 */
export async function replayJournal(hub: InspectHub, file: string): Promise<ReplaySummary> {
  const byConnection = new Map<string, JournalEntry[]>();
  const counted = new Map<string, number>();
  let skipped = 0;
  let total = 0;
  const lines = createInterface({ input: createReadStream(file, { encoding: 'utf8' }), crlfDelay: Infinity });
  for await (const line of lines) {
    if (line.trim() === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      skipped += 1;
      continue;
    }
    if (!isRecord(value)) {
      skipped += 1;
      continue;
    }
    const { connection, ...entry } = value;
    const list = byConnection.get(connection) ?? [];
    // Numbered again in file order: a file several runs appended to restarts `seq` each run.
    const seq = (counted.get(connection) ?? 0) + 1;
    counted.set(connection, seq);
    list.push({ ...entry, seq } as JournalEntry);
    if (list.length > MAX_ENTRIES * 2) list.splice(0, list.length - MAX_ENTRIES);
    byConnection.set(connection, list);
    total += 1;
  }
  const connections: ConnectionSnapshot[] = [];
  let from = Number.POSITIVE_INFINITY;
  let to = 0;
  for (const [name, entries] of byConnection) {
    const kept = entries.slice(-MAX_ENTRIES);
    connections.push(snapshotOf(name, kept));
    for (const entry of kept) {
      from = Math.min(from, entry.t);
      to = Math.max(to, entry.t);
    }
  }
  hub.setAgent({
    key: REPLAY_KEY,
    pid: 0,
    name: basename(file),
    startedAt: Number.isFinite(from) ? from : 0,
    ended: true,
    connections,
  });
  for (const [name, entries] of byConnection) hub.addEntries(REPLAY_KEY, name, entries.slice(-MAX_ENTRIES));
  return {
    connections: connections.length,
    entries: total,
    skipped,
    from: Number.isFinite(from) ? from : 0,
    to,
  };
}
