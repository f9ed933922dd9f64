// The descendants of a process, read from /proc, so a peer's whole tree can be killed: supergateway starts
// each stdio child in a process group of its own (detached), so killing the gateway's group misses it.

import { readdirSync } from 'node:fs';
import { readProcStat } from '../helpers/processes.js';

/** One process: its pid, parent pid and process group. */
export interface ProcEntry {
  pid: number;
  ppid: number;
  pgid: number;
}

/** The entry of one process, undefined when it is gone. */
function readEntry(pid: number): ProcEntry | undefined {
  const stat = readProcStat(pid);
  return stat === undefined ? undefined : { pid, ppid: stat.ppid, pgid: stat.pgrp };
}

/** Every process on the machine ([] where /proc is unavailable). */
function allEntries(): ProcEntry[] {
  let names: string[];
  try {
    names = readdirSync('/proc');
  } catch {
    return [];
  }
  const entries: ProcEntry[] = [];
  for (const name of names) {
    if (!/^\d+$/.test(name)) continue;
    const entry = readEntry(Number(name));
    if (entry !== undefined) entries.push(entry);
  }
  return entries;
}

/** All descendants of `root` (children, grandchildren, ...), not including `root` itself. */
export function descendants(root: number): ProcEntry[] {
  const byParent = new Map<number, ProcEntry[]>();
  for (const entry of allEntries()) {
    const siblings = byParent.get(entry.ppid);
    if (siblings === undefined) byParent.set(entry.ppid, [entry]);
    else siblings.push(entry);
  }
  const found: ProcEntry[] = [];
  const queue = [root];
  for (let pid = queue.shift(); pid !== undefined; pid = queue.shift()) {
    for (const child of byParent.get(pid) ?? []) {
      found.push(child);
      queue.push(child.pid);
    }
  }
  return found;
}

/** The process group of this (test) process: never to be signalled. */
export function ownProcessGroup(): number | undefined {
  return readEntry(process.pid)?.pgid;
}
