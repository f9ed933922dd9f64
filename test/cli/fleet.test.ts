// Four real servers in one Claude-Desktop-style file, under one supervisor: server-everything over
// stdio, server-everything over Streamable HTTP, supergateway over WebSocket (wrapping
// server-everything) and the fixture server in a Docker container. All reach `open`; the HTTP
// backend and the container are killed, both recover, the other two are not disturbed; the
// supervisor's status and `lifeline status` show it all.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { loadConfigFile } from '../../src/config/index.js';
import { createSupervisor, type Supervisor } from '../../src/supervisor/index.js';
import {
  DOCKER_SETUP_TIMEOUT_MS,
  type DockerSuite,
  describeDocker,
  dockerSuite,
  ourContainers,
} from '../docker/index.js';
import { buildCli, statusJson } from '../helpers/cli.js';
import { everythingServerPath, waitFor } from '../helpers/processes.js';
import { type ChildPeer, startEverything, startSupergateway, stopAll } from '../peers/index.js';

describeDocker('four transports under one supervisor, from one config file', () => {
  let suite: DockerSuite;
  let http: ChildPeer;
  let gateway: ChildPeer;
  let config: string;
  let supervisor: Supervisor | undefined;

  beforeAll(async () => {
    buildCli();
    [suite, http, gateway] = await Promise.all([
      dockerSuite(),
      startEverything('streamableHttp'),
      startSupergateway({ outputTransport: 'ws', stdio: 'everything' }),
    ]);
    const dir = mkdtempSync(join(tmpdir(), 'lifeline-fleet-'));
    config = join(dir, 'claude_desktop_config.json');
    writeFileSync(
      config,
      JSON.stringify(
        {
          mcpServers: {
            'everything-stdio': { command: process.execPath, args: [everythingServerPath(), 'stdio'] },
            'everything-http': { url: http.url },
            'everything-ws': { url: gateway.url },
            'fixture-docker': {
              type: 'docker',
              image: suite.image,
              network: 'none',
              docker: { socketPath: suite.engine.socketPath, pull: 'never' },
            },
          },
          lifeline: {
            defaults: {
              reconnect: { initialDelayMs: 200, maxDelayMs: 1000 },
              timeouts: { connectMs: 15000, closeMs: 1000 },
            },
          },
        },
        null,
        2,
      ),
    );
  }, DOCKER_SETUP_TIMEOUT_MS);

  afterAll(async () => {
    await supervisor?.close();
    await stopAll();
  });

  it('all open; two backends killed, both recover; the others undisturbed; status shows it all', async () => {
    const loaded = loadConfigFile(config);
    expect(loaded.servers.map((server) => [server.name, server.type])).toEqual([
      ['everything-stdio', 'stdio'],
      ['everything-http', 'http'],
      ['everything-ws', 'ws'],
      ['fixture-docker', 'docker'],
    ]);
    supervisor = createSupervisor({ servers: loaded.servers, defaults: loaded.defaults });
    const fleet = supervisor;
    const statuses = await fleet.start();
    expect(statuses.map((s) => s.state)).toEqual(['open', 'open', 'open', 'open']);

    const clients = new Map<string, Client>();
    for (const name of fleet.names) {
      const client = new Client({ name: 'fleet-test', version: '1.0.0' });
      await client.connect(fleet.transport(name));
      clients.set(name, client);
    }
    const callAll = async (): Promise<string[]> =>
      Promise.all(
        fleet.names.map(async (name) => {
          const client = clients.get(name) as Client;
          const result = await client.callTool({ name: 'echo', arguments: { message: name } });
          return (result.content as { text: string }[])[0]?.text ?? '';
        }),
      );
    expect(await callAll()).toEqual(fleet.names.map((name) => expect.stringContaining(name)));

    // Kill two backends: the HTTP server (started again on its port) and the container.
    const changes: string[] = [];
    fleet.subscribe((status) => changes.push(`${status.name}:${status.state}`));
    const [container] = await ourContainers(suite);
    await Promise.all([
      http.kill().then(() => http.restart()),
      suite.engine.docker.getContainer(container?.Id as string).kill(),
    ]);
    // The HTTP link notices at its next request: the calls made now wait for the recovery.
    expect(await callAll()).toEqual(fleet.names.map((name) => expect.stringContaining(name)));
    await waitFor(() => fleet.status().every((s) => s.state === 'open'), {
      timeoutMs: 20_000,
      message: 'not every server came back',
    });

    const byName = Object.fromEntries(fleet.status().map((s) => [s.name, s]));
    expect(byName['fixture-docker']?.stats.links).toBe(2);
    expect(byName['everything-http']?.stats.reestablished).toBeGreaterThanOrEqual(1);
    expect(byName['everything-stdio']?.stats.links).toBe(1);
    expect(byName['everything-ws']?.stats.links).toBe(1);
    expect(changes.filter((c) => c.startsWith('everything-stdio') || c.startsWith('everything-ws'))).toEqual(
      [],
    );
    expect(changes).toContain('fixture-docker:reconnecting');
    for (const status of fleet.status()) expect(status.roundTripMs).toBeGreaterThanOrEqual(0);

    // The command line sees the same four servers, all open.
    const { run, rows } = await statusJson(config, 60_000);
    expect(run.code, run.stderr).toBe(0);
    expect(rows.map((row) => [row.name, row.type, row.state])).toEqual([
      ['everything-stdio', 'stdio', 'open'],
      ['everything-http', 'http', 'open'],
      ['everything-ws', 'ws', 'open'],
      ['fixture-docker', 'docker', 'open'],
    ]);
    for (const row of rows) expect(row.roundTripMs).toBeGreaterThanOrEqual(0);

    const report = await fleet.close();
    expect(report.late).toEqual([]);
    expect(await ourContainers(suite)).toEqual([]);
  }, 120_000);
});
