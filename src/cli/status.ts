/**
 * `lifeline status`: the connections of the running agents (processes that publish them on a
 * control socket; `--attach PID|NAME` picks some). With `--probe`, or when no agent runs, it
 * connects to every configured server itself under one supervisor, waits until
 * each has opened, failed, or failed its first attempt (or `--timeout`), pings the open ones,
 * prints one line per server, and closes them all. Exit code 0 when every server is open.
 */

import { ATTACH_USAGE, agentsToShow, showAgents } from './agents.js';
import {
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  parseCommandArgs,
  UsageError,
  wholeNumber,
} from './args.js';
import { Fleet, jsonRow, readConfig, renderTable, stateText } from './fleet.js';
import { commandLogger, paint, useColor } from './output.js';
import { loadClient, withTimeout } from './sdk.js';

const DEFAULT_TIMEOUT_MS = 15_000;

const usage = [
  'Usage: lifeline status [--attach PID|NAME] [--json]',
  '       lifeline status --probe [--config FILE] [--json] [--timeout MS] [--verbose]',
  '',
  'Shows the connections of the running agents: processes that publish them on a control socket',
  '(lifeline bridge does by default; an agent with control: true or LIFELINE_CONTROL=1), one table',
  'per agent. Nothing is connected: the agent says what its own connections are doing.',
  '',
  'With --probe, or when no agent runs, it connects to every server of the config file itself',
  'under one supervisor instead, waits until each one has',
  'opened, failed, or failed an attempt and is waiting to retry, and prints its state, retry',
  'count, next retry time, last error and round-trip time (of an MCP ping). Nothing keeps',
  'running: every connection is closed before it exits.',
  '',
  'Remote servers use the sign-ins stored by lifeline connect, bridge or auth login (refreshed as',
  'needed); nobody is asked to sign in here: a server that needs it shows "authorization required".',
  '',
  'Options:',
  ...ATTACH_USAGE,
  '  --config FILE      The mcpServers / servers file (default: ./mcp.json, ./.vscode/mcp.json,',
  '                     then the Claude Desktop file)',
  '  --json             Print a JSON array, one object per server, on stdout (with pid and agent',
  "                     for an agent's connections)",
  `  --timeout MS       Longest wait for the servers to settle (default ${DEFAULT_TIMEOUT_MS})`,
  ...logUsage(),
  '  -h, --help         Show this help',
  '',
  'Exit codes: 0 every server is open, 1 some server is not, 2 usage or configuration',
  'error (nothing was started), 130 interrupted.',
  '',
].join('\n');

export const statusCommand: Command = {
  name: 'status',
  summary: "Connect to every configured server once and print each one's state",
  usage,
  run: async (argv) => {
    const args = parseCommandArgs(argv, {
      config: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      attach: { type: 'string' },
      probe: { type: 'boolean' },
      ...LOG_OPTIONS,
    });
    if (args.help) {
      process.stdout.write(usage);
      return EXIT_OK;
    }
    const attach = args.values.attach as string | undefined;
    if (args.values.probe === true && attach !== undefined)
      throw new UsageError('--attach shows a running agent; --probe connects instead: give one of them');
    if (args.values.probe !== true) {
      const agents = agentsToShow(attach);
      if (agents !== undefined) return showAgents(agents, args.values.json === true);
      process.stderr.write('lifeline status: no agent is running; connecting to the configured servers\n');
    }
    const timeoutMs = wholeNumber(args.values.timeout, 'timeout', DEFAULT_TIMEOUT_MS);
    const logger = commandLogger(logLevelOf(args.values, 'silent'));
    const loaded = readConfig(args.values.config as string | undefined);
    const Client = await loadClient();
    if (Client === undefined) throw new Error('lifeline status needs @modelcontextprotocol/sdk installed');
    const fleet = new Fleet(loaded, Client, logger);
    const progress = (text: string): void => {
      process.stderr.write(`${text}\n`);
    };
    progress(
      `lifeline status: ${loaded.servers.length} server(s) from ${loaded.path ?? 'the configuration'}`,
    );
    fleet.supervisor.subscribe((status) => {
      if (status.state === 'open' || status.state === 'reconnecting' || status.state === 'failed')
        progress(`  ${status.name}: ${stateText(status)}${status.error ? ` (${status.error.code})` : ''}`);
    });

    let interrupted = false;
    const onSignal = (): void => {
      interrupted = true;
      void fleet.close();
    };
    process.once('SIGINT', onSignal);
    try {
      const settled = withTimeout(fleet.start(), timeoutMs, 'for the servers to settle').catch(() => {});
      await settled;
      const began = Date.now();
      await fleet.handshakes(Math.max(0, timeoutMs / 2));
      await fleet.ping(Math.max(1000, timeoutMs - (Date.now() - began)));
      if (interrupted) return EXIT_INTERRUPTED;
      const rows = fleet.rows();
      if (args.values.json === true) {
        process.stdout.write(`${JSON.stringify(rows.map(jsonRow), null, 2)}\n`);
      } else {
        const color = useColor(process.stdout);
        const lines = renderTable(rows, fleet.supervisor.now(), color ? { paint } : {});
        process.stdout.write(`${lines.join('\n')}\n`);
      }
      const config = args.values.config === undefined ? '' : ` --config ${String(args.values.config)}`;
      for (const name of fleet.needSignIn())
        progress(`lifeline status: ${name} requires sign-in: lifeline auth login ${name}${config}`);
      return rows.every((row) => row.state === 'open') ? EXIT_OK : EXIT_FAILURE;
    } finally {
      process.removeListener('SIGINT', onSignal);
      await fleet.close();
    }
  },
};
