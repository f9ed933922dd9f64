/**
 * `lifeline watch`: the running agents' connections, live (one line or JSON object per state
 * change, through their control sockets); with `--probe`, or when no agent runs, every
 * configured server under one supervisor, live. On a terminal the
 * status table is redrawn in place (the next-retry countdown ticks); in a pipe, one line per
 * state change; with `--json`, one JSON object per change. Runs until Ctrl-C, SIGTERM or
 * `--duration`, then closes every connection.
 */

import { ATTACH_USAGE, agentsToShow, watchAgents } from './agents.js';
import {
  type Command,
  EXIT_OK,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  parseCommandArgs,
  UsageError,
  wholeNumber,
} from './args.js';
import { Fleet, type FleetRow, jsonRow, readConfig, renderTable, stateText } from './fleet.js';
import { commandLogger, formatMs, paint, useColor } from './output.js';
import { loadClient } from './sdk.js';

const DEFAULT_PING_MS = 5000;
const REDRAW_MS = 250;

const usage = [
  'Usage: lifeline watch [--attach PID|NAME] [--json] [--duration MS]',
  '       lifeline watch --probe [--config FILE] [--json] [--interval MS] [--duration MS] [--verbose]',
  '',
  "Follows the running agents' connections (processes that publish them on a control socket, as",
  'lifeline bridge does): their states now, then one line per state change, with the error that',
  'caused it. Stops when every watched agent has ended.',
  '',
  'With --probe, or when no agent runs, it connects to every server of the config file under one',
  'supervisor instead and shows their states',
  'live: state, retry count, next retry time, last error and round-trip time. On a terminal the',
  'table is redrawn in place; otherwise one line is printed per state change.',
  'Remote servers use the stored sign-ins (lifeline auth login); a server that needs one shows',
  '"authorization required".',
  '',
  'Options:',
  ...ATTACH_USAGE,
  '  --config FILE      The mcpServers / servers file (default: ./mcp.json, ./.vscode/mcp.json,',
  '                     then the Claude Desktop file)',
  '  --json             One JSON object per state change on stdout (NDJSON)',
  `  --interval MS      How often open servers are pinged for the round-trip time (default ${DEFAULT_PING_MS})`,
  '  --duration MS      Stop by itself after this long (default: run until interrupted)',
  ...logUsage(),
  '  -h, --help         Show this help',
  '',
  'Stops on Ctrl-C or SIGTERM: every connection is closed, then it exits.',
  'Exit codes: 0 stopped, 1 failure, 2 usage or configuration error (nothing was started).',
  '',
].join('\n');

export const watchCommand: Command = {
  name: 'watch',
  summary: 'Show every configured server live, redrawn in place',
  usage,
  run: async (argv) => {
    const args = parseCommandArgs(argv, {
      config: { type: 'string' },
      json: { type: 'boolean' },
      interval: { type: 'string' },
      duration: { type: 'string' },
      attach: { type: 'string' },
      probe: { type: 'boolean' },
      ...LOG_OPTIONS,
    });
    if (args.help) {
      process.stdout.write(usage);
      return EXIT_OK;
    }
    const pingMs = wholeNumber(args.values.interval, 'interval', DEFAULT_PING_MS);
    const durationMs = wholeNumber(args.values.duration, 'duration', Number.POSITIVE_INFINITY);
    const attach = args.values.attach as string | undefined;
    if (args.values.probe === true && attach !== undefined)
      throw new UsageError('--attach follows a running agent; --probe connects instead: give one of them');
    if (args.values.probe !== true) {
      const agents = agentsToShow(attach);
      if (agents !== undefined) return watchAgents(agents, args.values.json === true, stopSignal(durationMs));
      process.stderr.write('lifeline watch: no agent is running; connecting to the configured servers\n');
    }
    const logger = commandLogger(logLevelOf(args.values, 'silent'));
    const loaded = readConfig(args.values.config as string | undefined);
    const Client = await loadClient();
    if (Client === undefined) throw new Error('lifeline watch needs @modelcontextprotocol/sdk installed');
    // A server whose first handshake failed is tried again by its policy, as a dropped link is.
    const fleet = new Fleet(loaded, Client, logger, { retry: true });
    const source = loaded.path ?? 'the configuration';
    const view =
      args.values.json === true
        ? jsonView(fleet)
        : process.stdout.isTTY === true
          ? liveView(fleet, source)
          : lineView(fleet, source);

    const stopped = new Promise<void>((resolve) => {
      process.once('SIGINT', resolve);
      process.once('SIGTERM', resolve);
      if (Number.isFinite(durationMs)) setTimeout(resolve, durationMs).unref();
    });
    const pinger = setInterval(() => void fleet.ping(pingMs).then(view.refresh), pingMs);
    try {
      await Promise.race([fleet.start(), stopped]);
      await Promise.race([fleet.handshakes(pingMs), stopped]);
      await fleet.ping(pingMs);
      view.refresh();
      await stopped;
    } finally {
      clearInterval(pinger);
      view.stop();
      process.stderr.write('lifeline watch: closing every connection…\n');
      await fleet.close();
    }
    return EXIT_OK;
  },
};

/** Resolves on Ctrl-C, SIGTERM or after `durationMs`. */
function stopSignal(durationMs: number): Promise<void> {
  return new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
    if (Number.isFinite(durationMs)) setTimeout(resolve, durationMs).unref();
  });
}

interface View {
  /** Something changed that is not a state change (a round-trip time). */
  refresh(): void;
  stop(): void;
}

/** On a terminal: the whole table, redrawn in place. */
function liveView(fleet: Fleet, source: string): View {
  const out = process.stdout;
  const color = useColor(out);
  let drawn = 0;
  const draw = (): void => {
    const now = fleet.supervisor.now();
    const header = `lifeline watch · ${fleet.supervisor.names.length} server(s) from ${source} · ${new Date(now).toLocaleTimeString()} · Ctrl-C to stop`;
    const table = renderTable(
      fleet.rows(),
      now,
      color ? { paint, width: out.columns } : { width: out.columns },
    );
    const lines = [color ? paint(header, 'gray') : header, '', ...table];
    // Back to the top of the previous drawing, clear it, draw again.
    const up = drawn > 0 ? `\u001b[${drawn}F` : '';
    out.write(`${up}\u001b[0J${lines.join('\n')}\n`);
    drawn = lines.length;
  };
  out.write('\u001b[?25l'); // hide the cursor while redrawing
  const unsubscribe = fleet.subscribe(draw);
  const timer = setInterval(draw, REDRAW_MS);
  draw();
  return {
    refresh: draw,
    stop: () => {
      clearInterval(timer);
      unsubscribe();
      draw();
      out.write('\u001b[?25h');
    },
  };
}

/** In a pipe: one line per state change. */
function lineView(fleet: Fleet, source: string): View {
  const began = Date.now();
  const previous = new Map<string, string>();
  process.stdout.write(`lifeline watch: ${fleet.supervisor.names.length} server(s) from ${source}\n`);
  const unsubscribe = fleet.subscribe((status) => {
    const from = previous.get(status.name);
    const now = stateText(status);
    previous.set(status.name, now);
    if (from === now) return;
    const stamp = `+${((Date.now() - began) / 1000).toFixed(3)}s`;
    process.stdout.write(`${stamp}  ${status.name}: ${from ?? 'idle'} → ${now}${detail(status)}\n`);
  });
  return { refresh: () => {}, stop: unsubscribe };
}

function detail(status: FleetRow): string {
  const error = status.error === undefined ? '' : ` (${status.error.code}: ${status.error.message})`;
  if (status.state === 'reconnecting' && status.nextRetryAt !== undefined)
    return `${error}; retry ${status.attempt} in ${formatMs(status.nextRetryAt - status.since)}`;
  return status.state === 'failed' ? error : '';
}

/** `--json`: one object per state change (and per round-trip refresh), one per line. */
function jsonView(fleet: Fleet): View {
  const began = Date.now();
  const write = (row: FleetRow): void => {
    process.stdout.write(`${JSON.stringify({ elapsedMs: Date.now() - began, ...jsonRow(row) })}\n`);
  };
  const unsubscribe = fleet.subscribe(write);
  return {
    refresh: () => {
      for (const row of fleet.rows()) if (row.state === 'open') write(row);
    },
    stop: unsubscribe,
  };
}
