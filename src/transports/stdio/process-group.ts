/**
 * Process groups of the servers we spawn. Each stdio server leads its own group, so a
 * signal to the group reaches wrappers' children too (npx, uvx, shell scripts).
 * Groups still alive when this process exits are killed on the way out.
 */

import { readdirSync, readFileSync } from 'node:fs';

const liveGroups = new Set<number>();
let exitHookInstalled = false;

/** Sends a signal to a whole process group; a group that is already gone is not an error. */
export function killGroup(pgid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pgid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

/**
 * Whether any live process of the group still exists. On Linux the process table is read,
 * because `kill(-pgid, 0)` also counts zombies: the orphans of a killed wrapper are reparented
 * to PID 1, which in a container may never reap them.
 */
export function groupAlive(pgid: number): boolean {
  if (process.platform === 'linux') return linuxGroupAlive(pgid);
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function linuxGroupAlive(pgid: number): boolean {
  let pids: string[];
  try {
    pids = readdirSync('/proc');
  } catch {
    return false;
  }
  for (const pid of pids) {
    if (pid.charCodeAt(0) < 48 || pid.charCodeAt(0) > 57) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch {
      continue; // gone meanwhile
    }
    // Fields after the parenthesised command name: state, ppid, pgrp, ...
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    if (Number(fields[2]) === pgid && fields[0] !== 'Z' && fields[0] !== 'X') return true;
  }
  return false;
}

/** Remembers a group so it is killed if this process exits while it lives. */
export function trackGroup(pgid: number): void {
  liveGroups.add(pgid);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', killTrackedGroups);
  }
}

/** Forgets a group (it was shut down). */
export function untrackGroup(pgid: number): void {
  liveGroups.delete(pgid);
}

function killTrackedGroups(): void {
  for (const pgid of liveGroups) {
    try {
      process.kill(-pgid, 'SIGKILL');
    } catch {
      // Already gone.
    }
  }
  liveGroups.clear();
}
