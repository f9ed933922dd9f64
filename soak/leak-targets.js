// @ts-check
// The transports the leak check cycles through, each with its server and the SDK Client that
// speaks its era: the test fixtures under test/fixtures/ (plain runnable .mjs), each HTTP one a
// child of this process on a free loopback port, started before the baseline and stopped after
// the last sample, so it counts in neither; the stdio and Docker servers are what each cycle
// starts and must be gone after it.

import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import { createServer } from 'node:net';
import { hostname } from 'node:os';
import { Client as ClientV2 } from '@modelcontextprotocol/client';
import { Client as ClientV1 } from '@modelcontextprotocol/sdk/client/index.js';
import { openEngine } from './engine.js';

const FIXTURES = new URL('../test/fixtures/', import.meta.url);
/** The label every container of the Docker transport carries (src/transports/docker/engine.ts). */
const OWNER_LABEL = 'io.mcp-lifeline.owner';
const fixture = (/** @type {string} */ name) => new URL(name, FIXTURES).pathname;
/** How long a fixture server may take to listen. */
const LISTEN_TIMEOUT_MS = 10_000;
/** How long a fixture server may take to exit once its stdin ends, before SIGKILL. */
const EXIT_TIMEOUT_MS = 3_000;

/**
 * @typedef {import('../dist/index.js').TransportConfig} TransportConfig
 * @typedef {{ era: 'legacy' | 'modern', protocol: RegExp }} ExpectedEra
 */

/**
 * What the SDK Clients share that a cycle uses.
 * @typedef {object} CycleClient
 * @property {(transport: import('../dist/index.js').LifelineTransport) => Promise<void>} connect
 * @property {(params: { name: string, arguments: Record<string, unknown> }) => Promise<unknown>} callTool
 * @property {() => Promise<void>} close
 */

/**
 * A transport ready to be cycled: its server is up.
 * @typedef {object} PreparedTarget
 * @property {(name: string) => TransportConfig} config a fresh configuration for one connection
 * @property {() => CycleClient} client a new SDK Client of the era under test
 * @property {ExpectedEra} expect the era the connection must end in, checked on the first cycle
 * @property {string} server what serves it, for the log
 * @property {(() => Promise<number>) | undefined} countContainers the engine's count of our containers
 * @property {() => Promise<void>} teardown stops the server
 */

/**
 * @typedef {object} Target
 * @property {string} id the name on the command line
 * @property {string} label the name in the table
 * @property {(options: { log: (line: string) => void }) => Promise<PreparedTarget | { skipped: string }>} prepare
 */

const clientInfo = { name: 'lifeline-leak-check', version: '1.0.0' };
const LEGACY = /** @type {ExpectedEra} */ ({ era: 'legacy', protocol: /^20(24|25)-/ });
const MODERN = /** @type {ExpectedEra} */ ({ era: 'modern', protocol: /^2026-07-28$/ });

/** The v1 SDK Client: the 2025 era (and 2024-11-05 over HTTP+SSE). */
const v1Client = () => /** @type {CycleClient} */ (/** @type {unknown} */ (new ClientV1(clientInfo)));
/** The v2 SDK Client with `auto` negotiation: the 2026-07-28 era against a server that speaks it. */
const v2AutoClient = () =>
  /** @type {CycleClient} */ (
    /** @type {unknown} */ (new ClientV2(clientInfo, { versionNegotiation: { mode: 'auto' } }))
  );

/** A loopback port nobody listens on right now. */
async function freePort() {
  const server = createServer();
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const address = server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  server.close();
  await once(server, 'close');
  return port;
}

/**
 * Starts an HTTP fixture server (test/fixtures/http-common.mjs: PORT in, a `listening on` line on
 * stderr out). Its stdin is a pipe held here: http-watchdog.mjs ends the server when it closes,
 * so a killed leak check leaves no server behind.
 * @param {string} file the fixture's file name
 * @param {Record<string, string>} [env]
 */
async function startHttpFixture(file, env = {}) {
  const port = await freePort();
  const child = spawn(process.execPath, ['--import', fixture('http-watchdog.mjs'), fixture(file)], {
    env: { ...process.env, ...env, PORT: String(port) },
    stdio: ['pipe', 'ignore', 'pipe'],
  });
  const exited = once(child, 'exit');
  const stderr = /** @type {import('node:stream').Readable} */ (child.stderr);
  stderr.setEncoding('utf8');
  let text = '';
  const listening = new Promise((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`${file}: no "listening" after ${LISTEN_TIMEOUT_MS} ms`)),
      LISTEN_TIMEOUT_MS,
    );
    const onData = (/** @type {string} */ chunk) => {
      text = `${text}${chunk}`.slice(-4000);
      if (!text.includes('listening on')) return;
      clearTimeout(timer);
      resolve(undefined);
    };
    stderr.on('data', onData);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`${file} exited (${code ?? signal}) before listening: ${text.trim()}`));
    });
  });
  try {
    await listening;
  } catch (error) {
    child.kill('SIGKILL');
    await exited;
    throw error;
  }
  return {
    port,
    server: `${file} (pid ${child.pid}, 127.0.0.1:${port})`,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), EXIT_TIMEOUT_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

/**
 * A target served by an HTTP fixture.
 * @param {string} file
 * @param {(port: number, name: string) => TransportConfig} config
 * @param {() => CycleClient} client
 * @param {ExpectedEra} expect
 * @param {Record<string, string>} [env]
 * @returns {Target['prepare']}
 */
function httpTarget(file, config, client, expect, env) {
  return async () => {
    const server = await startHttpFixture(file, env);
    return {
      config: (name) => config(server.port, name),
      client,
      expect,
      server: server.server,
      countContainers: undefined,
      teardown: server.stop,
    };
  };
}

/** Every transport the leak check knows, in table order. */
/** @type {readonly Target[]} */
export const TARGETS = [
  {
    id: 'stdio',
    label: 'stdio',
    prepare: async () => ({
      config: (name) => ({
        command: process.execPath,
        args: [fixture('stdio-server.mjs')],
        stderr: 'ignore',
        name,
      }),
      client: v1Client,
      expect: LEGACY,
      server: 'test/fixtures/stdio-server.mjs, one process per connection',
      countContainers: undefined,
      teardown: async () => {},
    }),
  },
  {
    id: 'http-2025',
    label: 'Streamable HTTP, 2025 era',
    prepare: httpTarget(
      'http-legacy-server.mjs',
      (port, name) => ({ type: 'http', url: `http://127.0.0.1:${port}/mcp`, name }),
      v1Client,
      LEGACY,
    ),
  },
  {
    id: 'http-2026',
    label: 'Streamable HTTP, 2026-07-28 era',
    prepare: httpTarget(
      'http-v2-server.mjs',
      (port, name) => ({ type: 'http', url: `http://127.0.0.1:${port}/mcp`, name }),
      v2AutoClient,
      MODERN,
    ),
  },
  {
    id: 'sse',
    label: 'HTTP+SSE (2024-11-05)',
    prepare: httpTarget(
      'http-sse-server.mjs',
      (port, name) => ({ type: 'sse', url: `http://127.0.0.1:${port}/sse`, name }),
      v1Client,
      LEGACY,
    ),
  },
  {
    id: 'ws',
    label: 'WebSocket',
    prepare: httpTarget(
      'ws-server.mjs',
      (port, name) => ({ url: `ws://127.0.0.1:${port}/ws`, name }),
      v1Client,
      LEGACY,
    ),
  },
  {
    id: 'docker',
    label: 'Docker',
    prepare: async () => {
      const engine = await openEngine();
      if ('skipped' in engine) {
        if (engine.required)
          throw new Error(`the leak check must run on Docker here, but: ${engine.skipped}`);
        return { skipped: engine.skipped };
      }
      // No keep-alive: the count's own socket must be closed before the descriptors are sampled.
      const Dockerode = (await import('dockerode')).default;
      const counter = new Dockerode(
        /** @type {import('dockerode').DockerOptions} */ ({
          socketPath: engine.socketPath,
          agent: new http.Agent({ keepAlive: false }),
        }),
      );
      const label = `${OWNER_LABEL}=${ownerId()}`;
      return {
        config: (name) => ({
          type: 'docker',
          image: engine.image,
          network: 'none',
          stderr: 'ignore',
          docker: { socketPath: engine.socketPath },
          name,
        }),
        client: v1Client,
        expect: LEGACY,
        server: `test image ${engine.image}, one container per connection; ${engine.description}`,
        countContainers: async () =>
          (await counter.listContainers({ all: true, filters: { label: [label] } })).length,
        // The engine outlives the target (soak/run.js and leak.js release it at the end).
        teardown: async () => {},
      };
    },
  },
];

/**
 * This process as the Docker transport's owner label names it, `<host>/<pid>/<process start>` (Linux:
 * /proc/self/stat field 22): containers are counted by it, so one another process left on a shared
 * engine never counts.
 */
function ownerId() {
  const stat = readFileSync('/proc/self/stat', 'utf8');
  return `${hostname()}/${process.pid}/${stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]}`;
}
