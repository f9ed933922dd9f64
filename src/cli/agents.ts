/**
 * `lifeline status` and `lifeline watch` on running agents: every process that publishes its
 * connections on a control socket (docs/observability.md), or the ones `--attach PID|NAME`
 * names. The rows and the `--json` objects are the same as when the commands connect
 * themselves (`--probe`), with the agent's `pid` and `agent` name added.
 */

import type { ConnectionState } from '../machines/connection.js';
import {
  type AgentInfo,
  attachAgent,
  type ControlClient,
  findAgents,
  listAgents,
} from '../observe/control/client.js';
import type { AgentStatus, ConnectionSnapshot } from '../observe/control/protocol.js';
import type { TransportStats } from '../runtime/transport-types.js';
import { EXIT_FAILURE, EXIT_OK } from './args.js';
import { type FleetRow, jsonRow, renderTable, stateText } from './fleet.js';
import { paint, useColor } from './output.js';

/** The help lines both commands share. */
export const ATTACH_USAGE = [
  '  --attach PID|NAME  Show the running agent with this pid or name (default: every running agent)',
  '  --probe            Connect to the config file servers instead, even when agents run',
];

/** A connection as the probing commands show it. */
export function rowOf(connection: ConnectionSnapshot): FleetRow {
  return {
    name: connection.name,
    type: connection.type,
    state: connection.state as ConnectionState,
    attempt: connection.attempt,
    since: connection.since,
    nextRetryAt: connection.nextRetryAt,
    error: connection.error,
    roundTripMs: connection.roundTripMs,
    stats: connection.stats as unknown as TransportStats,
    server: undefined,
    ...(connection.authorization === undefined
      ? {}
      : { authorization: connection.authorization as 'required' | 'waiting' }),
  };
}

/**
 * The agents to show: the one(s) `--attach` names, else every running one. Undefined when none
 * runs and none was named (the caller probes instead).
 *
 * @throws {Error} when `--attach` names no running agent.
 */
export function agentsToShow(attach: string | undefined): AgentInfo[] | undefined {
  if (attach === undefined) {
    const all = listAgents();
    return all.length === 0 ? undefined : all;
  }
  const found = findAgents(attach);
  if (found.length === 0) {
    const running = listAgents().map((agent) => `${agent.pid} ${agent.name}`);
    throw new Error(
      `no running agent has the pid or name ${JSON.stringify(attach)} (running: ${running.join(', ') || 'none'})`,
    );
  }
  return found;
}

async function statusOf(agent: AgentInfo): Promise<AgentStatus | string> {
  try {
    const client = await attachAgent(agent);
    try {
      return await client.status();
    } finally {
      client.close();
    }
  } catch (error) {
    return (error as Error).message;
  }
}

/** `lifeline status` on agents: one table per agent (or one JSON array); 0 when every connection is open. */
export async function showAgents(agents: readonly AgentInfo[], json: boolean): Promise<number> {
  const statuses = await Promise.all(agents.map(statusOf));
  const out = process.stdout;
  let allOpen = true;
  const objects: Record<string, unknown>[] = [];
  const lines: string[] = [];
  const color = useColor(out);
  statuses.forEach((status, index) => {
    const agent = agents[index] as AgentInfo;
    if (typeof status === 'string') {
      allOpen = false;
      process.stderr.write(`lifeline status: agent ${agent.pid} (${agent.name}): ${status}\n`);
      return;
    }
    const rows = status.connections.map(rowOf);
    if (rows.some((row) => row.state !== 'open')) allOpen = false;
    for (const row of rows) objects.push({ pid: agent.pid, agent: status.name, ...jsonRow(row) });
    lines.push(`agent ${agent.pid} ${status.name} · ${rows.length} connection(s)`);
    lines.push(...renderTable(rows, Date.now(), color ? { paint } : {}), '');
  });
  if (json) out.write(`${JSON.stringify(objects, null, 2)}\n`);
  else out.write(`${lines.join('\n')}\n`);
  return allOpen ? EXIT_OK : EXIT_FAILURE;
}

/**
 * `lifeline watch` on agents: one line (or JSON object) per state change of any of their
 * connections, until `stopped` resolves or every agent has ended.
 */
export async function watchAgents(
  agents: readonly AgentInfo[],
  json: boolean,
  stopped: Promise<void>,
): Promise<number> {
  const began = Date.now();
  const out = process.stdout;
  const clients: ControlClient[] = [];
  const write = (agent: AgentInfo, agentName: string, row: FleetRow, from?: string): void => {
    if (json) {
      out.write(
        `${JSON.stringify({ elapsedMs: Date.now() - began, pid: agent.pid, agent: agentName, ...jsonRow(row) })}\n`,
      );
      return;
    }
    const stamp = `+${((Date.now() - began) / 1000).toFixed(3)}s`;
    const error = row.error === undefined ? '' : ` (${row.error.code}: ${row.error.message})`;
    const change = from === undefined ? stateText(row) : `${from} → ${stateText(row)}`;
    out.write(`${stamp}  [${agent.pid} ${agentName}] ${row.name}: ${change}${error}\n`);
  };
  try {
    for (const agent of agents) {
      let client: ControlClient;
      try {
        client = await attachAgent(agent);
      } catch (error) {
        process.stderr.write(
          `lifeline watch: agent ${agent.pid} (${agent.name}): ${(error as Error).message}\n`,
        );
        continue;
      }
      clients.push(client);
      const name = client.hello.name;
      const status = await client.watch((event) => {
        if (event.method !== 'journal.entry' || event.params.kind !== 'state') return;
        const entry = event.params;
        // The entry says what changed; the snapshot gives the whole row, as --probe prints it.
        client.status().then(
          (now) => {
            const connection = now.connections.find((c) => c.name === entry.connection);
            if (connection === undefined) return;
            const row = rowOf(connection);
            write(
              agent,
              name,
              { ...row, state: entry.to, attempt: entry.attempt, error: entry.error ?? row.error },
              entry.from,
            );
          },
          () => {},
        );
      });
      for (const connection of status.connections) write(agent, name, rowOf(connection));
    }
    if (clients.length === 0) return EXIT_FAILURE;
    await Promise.race([stopped, Promise.all(clients.map((client) => client.closed))]);
    return EXIT_OK;
  } finally {
    for (const client of clients) client.close();
  }
}
