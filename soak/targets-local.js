// @ts-check
// The two targets whose server the transport starts itself: stdio (a child process) and Docker (a
// container on an engine). Their faults: kill -9 of the server (the transport has to start a new one)
// and a 2 s stall (the process stopped, or the container paused: its pipes stay open, nothing is lost).
// There is no network to cut.

import { spawnSync } from 'node:child_process';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { openEngine } from './engine.js';
import { instant, stall } from './faults.js';
import { STDIO_SERVER } from './servers.js';
import { isAlive, killQuietly, sleep } from './util.js';

/** The label our docker link puts on its containers (src/transports/docker/engine.ts): `<host>/<pid>/<start>`. */
const OWNER_LABEL = 'io.mcp-lifeline.owner';
/** The label the soak puts on the containers the SDK anchor runs through `docker run`. */
const ANCHOR_LABEL = 'io.mcp-lifeline.soak';

/** @typedef {import('./targets.js').Target} Target */
/** @typedef {import('./targets.js').Opened} Opened */

/** @returns {Opened} */
export function openStdioTarget() {
  return {
    name: 'stdio',
    kinds: ['kill', 'stall'],
    ours: () => ({ command: process.execPath, args: [STDIO_SERVER], stderr: 'ignore' }),
    sdk: () =>
      new StdioClientTransport({ command: process.execPath, args: [STDIO_SERVER], stderr: 'ignore' }),
    sdkName: 'StdioClientTransport',
    async inject(kind, fault, victim) {
      const pid = victim.serverPid();
      if (pid === undefined) {
        await instant(fault);
        fault.note = 'no server process to hit';
        return;
      }
      if (kind === 'stall')
        return stall((action) => killQuietly(pid, action === 'stop' ? 'SIGSTOP' : 'SIGCONT'), fault);
      killQuietly(pid, 'SIGKILL');
      // The transport restarts the server itself: the fault is over once the old one is gone.
      for (let i = 0; i < 200 && isAlive(pid); i += 1) await sleep(5);
      await instant(fault);
    },
    close: async () => {},
  };
}

/** @param {string} cli @param {string} dockerHost */
function dockerCliMissing(cli, dockerHost) {
  const run = spawnSync(cli, ['version', '--format', '{{.Client.Version}}'], {
    env: { ...process.env, DOCKER_HOST: dockerHost },
    encoding: 'utf8',
    timeout: 10_000,
  });
  if (run.error !== undefined)
    return `no docker CLI for the anchor's \`docker run -i\` (${run.error.message})`;
  if (run.status !== 0) return `docker CLI: ${run.stderr.trim().slice(0, 200)}`;
  return undefined;
}

/**
 * @param {{ log: (line: string) => void }} options
 * @returns {Promise<Opened>}
 */
export async function openDockerTarget({ log }) {
  const engine = await openEngine();
  if ('skipped' in engine) return { name: 'docker', skipped: engine.skipped };
  log(`  docker: ${engine.description}`);
  const { docker, socketPath, image } = engine;
  const dockerHost = `unix://${socketPath}`;
  const anchorLabel = `${ANCHOR_LABEL}=${process.pid}`;
  const sdkSkipped = dockerCliMissing('docker', dockerHost);

  /** The running containers of the variant under test. @param {'ours' | 'sdk'} client */
  const containersOf = async (client) => {
    const label = client === 'ours' ? OWNER_LABEL : anchorLabel;
    const list = await docker.listContainers({ filters: { label: [label], status: ['running'] } });
    return list.filter((c) => client === 'sdk' || (c.Labels[OWNER_LABEL] ?? '').includes(`/${process.pid}/`));
  };

  /** @type {Target} */
  const target = {
    name: 'docker',
    kinds: ['kill', 'stall'],
    ours: () => ({
      type: 'docker',
      image,
      network: 'none',
      docker: { socketPath, pull: 'never' },
    }),
    sdk:
      sdkSkipped === undefined
        ? () =>
            new StdioClientTransport({
              command: 'docker',
              args: ['run', '-i', '--rm', '--init', '--network', 'none', '--label', anchorLabel, image],
              env: {
                PATH: process.env.PATH ?? '',
                HOME: process.env.HOME ?? '/root',
                DOCKER_HOST: dockerHost,
              },
              stderr: 'ignore',
            })
        : undefined,
    sdkName: 'StdioClientTransport (`docker run -i`)',
    ...(sdkSkipped === undefined ? {} : { sdkSkipped }),
    async inject(kind, fault, victim) {
      const [running] = await containersOf(victim.client);
      if (running === undefined) {
        await instant(fault);
        fault.note = 'no running container to hit';
        return;
      }
      const container = docker.getContainer(running.Id);
      // The cgroup freezer: every process of the container stopped, its pipes left as they are.
      if (kind === 'stall')
        return stall((action) => (action === 'stop' ? container.pause() : container.unpause()), fault);
      await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
      // The transport starts a new container itself: the fault is over once the old one stopped.
      await container.wait({ condition: 'not-running' }).catch(() => undefined);
      await instant(fault);
    },
    // The engine outlives the target: the leak check may use it next (soak/run.js releases it).
    async close() {},
    detail: `${engine.description}, image ${image}`,
  };
  return target;
}
