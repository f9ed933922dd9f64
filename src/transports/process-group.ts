/**
 * Process groups of the servers we spawn. Each stdio server leads its own group, so a
 * signal to the group reaches wrappers' children too (npx, uvx, shell scripts).
 * Groups still alive when this process exits are killed on the way out.
 */

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

/** Whether any process of the group still exists. */
export function groupAlive(pgid: number): boolean {
  try {
    process.kill(-pgid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
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
