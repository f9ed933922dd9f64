// @ts-check
// One connect/close cycle, as a user's agent runs it: createTransport(), an SDK Client's
// connect() (initialize, or the 2026-07-28 era's discovery), one tools/call, close(); and the
// supervisor's: createSupervisor() with a few servers, start(), a Client and one call on each,
// close(). Each cycle has a deadline, so a hang is an error with a name rather than a stuck run.

import { createSupervisor, createTransport } from '../dist/index.js';

/** How long one cycle may take (a Docker container's create, start, stop and remove included). */
const CYCLE_DEADLINE_MS = 30_000;
/** The servers of one supervisor cycle. */
export const SUPERVISOR_SERVERS = ['a', 'b', 'c'];

/**
 * @typedef {import('./leak-targets.js').PreparedTarget} PreparedTarget
 * @typedef {import('./leak-targets.js').CycleClient} CycleClient
 * @typedef {import('../dist/index.js').LifelineTransport} LifelineTransport
 */

/**
 * Runs `work` under a deadline; the timer is cleared either way, so the check leaves none behind.
 * @template T
 * @param {() => Promise<T>} work
 * @param {string} what
 * @returns {Promise<T>}
 */
async function withDeadline(work, what) {
  /** @type {NodeJS.Timeout | undefined} */
  let timer;
  const deadline = new Promise((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`${what}: not done after ${CYCLE_DEADLINE_MS} ms`)),
      CYCLE_DEADLINE_MS,
    );
  });
  try {
    return /** @type {T} */ (await Promise.race([work(), deadline]));
  } finally {
    clearTimeout(timer);
  }
}

/**
 * One tools/call, its answer checked.
 * @param {CycleClient} client
 * @param {string} message
 */
async function callEcho(client, message) {
  const result = /** @type {{ content?: { type: string, text?: string }[] }} */ (
    await client.callTool({ name: 'echo', arguments: { message } })
  );
  const text = result.content?.[0]?.text;
  if (text !== `Echo: ${message}`)
    throw new Error(`wrong answer to echo "${message}": ${JSON.stringify(result)}`);
}

/**
 * Throws unless the connection ended in the era the target is about.
 * @param {LifelineTransport} transport
 * @param {PreparedTarget['expect']} expect
 */
function checkEra(transport, expect) {
  const { era, protocolVersion } = transport.status;
  if (era !== expect.era || !expect.protocol.test(protocolVersion ?? ''))
    throw new Error(`expected the ${expect.era} era, the connection says ${era} ${protocolVersion}`);
}

/**
 * createTransport -> Client.connect -> one call -> Client.close.
 * @param {PreparedTarget} target
 * @param {string} name the connection's name (logs, the container's label)
 * @param {boolean} verifyEra
 */
export function directCycle(target, name, verifyEra) {
  return withDeadline(async () => {
    const transport = createTransport(target.config(name));
    const client = target.client();
    try {
      await client.connect(transport);
      await callEcho(client, name);
      if (verifyEra) checkEra(transport, target.expect);
      await client.close();
    } catch (error) {
      // A failed connect may leave the transport started: closing twice is harmless.
      await client.close().catch(() => undefined);
      await transport.close().catch(() => undefined);
      throw error;
    }
  }, `cycle ${name}`);
}

/**
 * createSupervisor with SUPERVISOR_SERVERS -> start -> a Client and one call per server -> close.
 * @param {PreparedTarget} target
 * @param {string} name the prefix of the servers' names
 * @param {boolean} verifyEra
 */
export function supervisorCycle(target, name, verifyEra) {
  return withDeadline(async () => {
    const supervisor = createSupervisor({
      servers: Object.fromEntries(
        SUPERVISOR_SERVERS.map((server) => [server, target.config(`${name}-${server}`)]),
      ),
    });
    /** @type {unknown} */
    let failure;
    try {
      const statuses = await supervisor.start();
      const notOpen = statuses.filter((status) => status.state !== 'open');
      if (notOpen.length > 0)
        throw new Error(
          `supervisor ${name}: not open after start(): ${notOpen.map((s) => `${s.name} ${s.state}`).join(', ')}`,
        );
      for (const server of SUPERVISOR_SERVERS) {
        const client = target.client();
        const transport = supervisor.transport(server);
        await client.connect(transport);
        await callEcho(client, `${name}-${server}`);
        if (verifyEra) checkEra(transport, target.expect);
      }
    } catch (error) {
      failure = error;
    }
    // Closed whatever happened above; the first failure is the one reported.
    const report = await supervisor.close();
    if (failure !== undefined) throw failure;
    if (report.late.length > 0)
      throw new Error(`supervisor ${name}: close() late for ${report.late.join(', ')}`);
  }, `supervisor cycle ${name}`);
}
