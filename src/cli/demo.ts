/**
 * `lifeline demo`: a supervised connection to the bundled example server, nothing to configure.
 * Connects an SDK Client, calls tools, kills the server with calls in flight, shows them fail
 * fast, waits for the recovery and calls again on the same client, then closes.
 */

import { existsSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createTransport } from '../runtime/transport.js';
import {
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  parseCommandArgs,
} from './args.js';
import { crashWithCallsInFlight, IN_FLIGHT, keepRunning } from './demo-steps.js';
import { commandLogger, formatMs, type LogLevel, Printer } from './output.js';
import {
  callEcho,
  type DemoClient,
  loadClient,
  message,
  requirePid,
  textOf,
  waitFor,
  withTimeout,
} from './sdk.js';

/** The example server shipped in the package: `examples/` beside `dist/`. */
export function exampleServerPath(): string {
  return fileURLToPath(new URL('../../examples/echo-server.mjs', import.meta.url));
}

interface DemoOptions {
  json: boolean;
  keepRunning: boolean;
  level: LogLevel;
}

async function runDemo(options: DemoOptions): Promise<number> {
  const out = new Printer({ json: options.json });
  const Client = await loadClient();
  if (Client === undefined) {
    process.stderr.write(
      'lifeline demo needs the MCP TypeScript SDK (v1) to act as the client.\n' +
        'Install it next to mcp-lifeline:  npm install @modelcontextprotocol/sdk\n',
    );
    return EXIT_FAILURE;
  }
  const serverPath = exampleServerPath();
  if (!existsSync(serverPath)) throw new Error(`the bundled example server is missing: ${serverPath}`);

  out.step(`lifeline demo: supervising node ${relative(process.cwd(), serverPath) || serverPath}`);
  const logger = commandLogger(options.level, 'example-server');
  const transport = createTransport({
    command: process.execPath,
    args: [serverPath],
    reconnect: { initialDelayMs: 500, jitter: 0.2 },
    timeouts: { connectMs: 5000 },
    ...(logger === undefined ? {} : { logger }),
  });
  out.startFrom(transport.state);
  let crashes = 0;
  transport.subscribe((status) => {
    if (status.state === 'reconnecting' && out.lastState === 'open') crashes += 1;
    out.transition(status, transport.pid);
  });
  const client: DemoClient = new Client({ name: 'lifeline-demo', version: '1.0.0' });

  // Ctrl-C: close gracefully. While scripted, that ends the demo (130); with --keep-running, it is the way out (0).
  const stop = new AbortController();
  const onSignal = (): void => {
    if (stop.signal.aborted) process.exit(EXIT_INTERRUPTED);
    stop.abort();
    if (options.keepRunning) return;
    out.step('interrupted: closing');
    void transport.close().finally(() => process.exit(EXIT_INTERRUPTED));
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);

  let answered = 0;
  try {
    await withTimeout(client.connect(transport), 10_000, 'connecting to the example server');
    const server = client.getServerVersion();
    out.ok(`connected: ${server?.name} ${server?.version}, protocol ${transport.status.protocolVersion}`);

    const { tools } = await client.listTools();
    answered += 1;
    out.ok(`tools/list: ${tools.map((tool) => tool.name).join(', ')}`);
    out.ok(`echo("hello") = ${await callEcho(client, 'hello')}`);
    answered += 1;
    const sum = await client.callTool({ name: 'add', arguments: { a: 2, b: 3 } });
    answered += 1;
    out.ok(`add(2, 3) = ${textOf(sum)}`);

    const crash = await crashWithCallsInFlight(client, transport, out);
    answered += crash.answered;
    const { oldPid, killedAt } = crash;

    await waitFor(transport, (s) => s.state === 'open' && transport.pid !== oldPid, 15_000, 'the recovery');
    const newPid = requirePid(transport);
    const recoveredMs = out.elapsed() - killedAt;
    const again = await withTimeout(callEcho(client, 'back again'), 10_000, 'echo after the recovery');
    answered += 1;
    out.ok(
      `recovered in ${formatMs(recoveredMs)}: echo on the same client = ${again} (new pid ${newPid}, was ${oldPid})`,
    );

    if (options.keepRunning) {
      answered += await keepRunning(client, transport, out, stop.signal);
    }

    out.step('closing');
    await client.close();
    out.ok(`final state: ${transport.state}`);
    const stats = transport.stats;
    const summary = [
      `${stats.links} server processes`,
      `${crashes} crash${crashes === 1 ? '' : 'es'} survived (session re-established ${stats.reestablished}×)`,
      `${crash.lost}/${IN_FLIGHT} in-flight calls failed fast`,
      `${answered} calls answered`,
      `final state ${transport.state}`,
    ];
    out.ok(`demo done in ${formatMs(out.elapsed())}: ${summary.join(', ')}`);
    return transport.state === 'idle' ? EXIT_OK : EXIT_FAILURE;
  } catch (error) {
    if (stop.signal.aborted && !options.keepRunning) return EXIT_INTERRUPTED;
    process.stderr.write(`lifeline demo: failed: ${message(error)}\n`);
    await withTimeout(transport.close(), 5000, 'closing').catch(() => {});
    return EXIT_FAILURE;
  } finally {
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
  }
}

export const demoCommand: Command = {
  name: 'demo',
  summary: 'Watch a supervised connection survive a server crash (no setup needed)',
  usage: [
    'Usage: lifeline demo [--keep-running] [--json] [--verbose]',
    '',
    'Starts the bundled example MCP server under a supervised transport, connects an SDK Client,',
    'calls its tools, kills the server with calls in flight, and shows the calls failing fast and',
    'the connection recovering on its own. Needs @modelcontextprotocol/sdk (v1).',
    '',
    'Options:',
    '  --keep-running     Stay connected, calling echo every 2 s, until Ctrl-C',
    '  --json             Print each lifecycle transition as a JSON line (progress goes to stderr)',
    ...logUsage(),
    '  -h, --help         Show this help',
    '',
  ].join('\n'),
  run: async (argv) => {
    const args = parseCommandArgs(argv, {
      'keep-running': { type: 'boolean' },
      json: { type: 'boolean' },
      ...LOG_OPTIONS,
    });
    if (args.help) {
      process.stdout.write(demoCommand.usage);
      return EXIT_OK;
    }
    return runDemo({
      json: args.values.json === true,
      keepRunning: args.values['keep-running'] === true,
      level: logLevelOf(args.values, 'silent'),
    });
  },
};
