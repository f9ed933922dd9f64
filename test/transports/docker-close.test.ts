// Issue 16, point 2: the Docker link stopped the container right after ending its stdin, so a server
// that exits cleanly when its input ends (as MCP stdio servers do) was killed by the stop's SIGTERM
// instead. Now close ends stdin and gives the container `closeMs` to exit on its own; only one still
// running after that is stopped. The grace is timed on an injected clock: held still, a server that
// exits by itself closes the link; one that does not is stopped only once the clock moves on.

import { afterEach, beforeAll, expect, it } from 'vitest';
import { SimulatedClock } from 'xstate';
import { createDockerLink, type DockerLinkOptions } from '../../src/transports/docker/link.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  type DockerSuite,
  describeDocker,
  dockerSuite,
  IMAGE_NODE,
  ourContainers,
} from '../docker/index.js';
import { driveLink, type LinkDriver, recordingSink } from '../helpers/link-driver.js';
import { waitFor } from '../helpers/processes.js';

/** Exits 0 a moment after its stdin ends, saying so; a SIGTERM before that kills it silently. */
const EXITS_ON_EOF = `
process.stdin.resume();
process.stdin.on('end', () => setTimeout(() => { console.error('clean exit after stdin ended'); process.exit(0); }, 300));
`;

/** Keeps running when its stdin ends; says so when SIGTERM comes. */
const IGNORES_EOF = `
process.stdin.resume();
process.stdin.on('end', () => console.error('stdin ended, staying'));
process.on('SIGTERM', () => { console.error('got SIGTERM'); process.exit(0); });
setInterval(() => {}, 1 << 30);
`;

const CLOSE_MS = 1000;
const drivers: LinkDriver[] = [];

afterEach(() => {
  for (const driver of drivers.splice(0)) driver.stop();
});

describeDocker('closing a Docker link', () => {
  let suite: DockerSuite;
  beforeAll(async () => {
    suite = await dockerSuite();
  }, DOCKER_SETUP_TIMEOUT_MS);

  function start(script: string, clock: SimulatedClock, name: string) {
    const sink = recordingSink();
    const options: DockerLinkOptions = {
      image: suite.image,
      args: [IMAGE_NODE, '-e', script],
      env: {},
      volumes: [],
      ports: [],
      network: 'none',
      stderr: 'diagnostics',
      engine: { socketPath: suite.engine.socketPath },
      cpus: undefined,
      memoryBytes: undefined,
      init: true,
      noNewPrivileges: true,
      pull: 'never',
      create: {},
      maxMessageBytes: 1_000_000,
      name,
      clock,
    };
    const logic = createDockerLink(options, sink);
    const driver = driveLink(logic);
    drivers.push(driver);
    const said = (text: string) => sink.diagnostics.some((d) => d.source === 'stderr' && d.message === text);
    const mine = async () =>
      (await ourContainers(suite)).filter(
        (info) => info.Labels['io.mcp-lifeline.connection'] === `${name}#1`,
      );
    return { driver, logic, said, mine };
  }

  it('ends stdin and lets a server that exits on its own do so: no stop, no SIGTERM', async () => {
    // Held still: the grace never runs out, so only the server's own exit can end the close.
    const clock = new SimulatedClock();
    const { driver, logic, said, mine } = start(EXITS_ON_EOF, clock, `close-clean-${process.pid}`);
    await driver.up(60_000);
    expect(await mine()).toHaveLength(1);
    driver.close(CLOSE_MS);
    await driver.closed(20_000);
    await waitFor(() => said('clean exit after stdin ended'), {
      timeoutMs: 5000,
      message: 'the server did not get to exit cleanly',
    });
    await logic.released();
    expect(await mine()).toEqual([]);
  }, 90_000);

  it('stops a server still running after the grace, and only then', async () => {
    const clock = new SimulatedClock();
    const { driver, logic, said, mine } = start(IGNORES_EOF, clock, `close-stubborn-${process.pid}`);
    await driver.up(60_000);
    driver.close(CLOSE_MS);
    await waitFor(() => said('stdin ended, staying'), { timeoutMs: 10_000 });
    // However long it takes in real time, the grace is the clock's: not stopped yet.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(said('got SIGTERM')).toBe(false);
    expect((await mine()).map((info) => info.State)).toEqual(['running']);
    expect(driver.events.some((event) => event.type === 'link.closed')).toBe(false);
    clock.increment(CLOSE_MS);
    await driver.closed(20_000);
    await waitFor(() => said('got SIGTERM'), { timeoutMs: 5000 });
    await logic.released();
    expect(await mine()).toEqual([]);
  }, 90_000);
});
