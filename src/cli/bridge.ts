/**
 * `lifeline bridge <target>`: a stdio MCP server for a desktop host (Claude Desktop, Cursor,
 * VS Code) that forwards everything to the target through one supervised transport. The host
 * reads NDJSON JSON-RPC on our stdout, so stdout carries nothing else: logs go to stderr.
 */

import { createNdjsonDecoder } from '../codec/ndjson.js';
import { createRedactingLogger } from '../runtime/logger.js';
import { resolveConfig } from '../runtime/options.js';
import { createTransport } from '../runtime/transport.js';
import {
  type Command,
  EXIT_INTERRUPTED,
  EXIT_OK,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  onEarlyExit,
} from './args.js';
import { Relay } from './bridge-relay.js';
import { type LogLevel, stderrLogger } from './output.js';
import { message, withTimeout } from './sdk.js';
import { parseTargetCommand, type ResolvedTarget, TARGET_USAGE } from './target.js';

/** How long closing (a process group, a container) may take before the bridge exits anyway. */
const CLOSE_LIMIT_MS = 15_000;

/** Runs until the host goes away (stdin ends) or a signal; resolves to the exit code. */
async function runBridge(target: ResolvedTarget, level: LogLevel): Promise<number> {
  const logger = stderrLogger(level, target.name);
  // Checks the configuration before anything starts, and gives the bridge's own logs the same redaction.
  const resolved = resolveConfig(target.config);
  const log = createRedactingLogger(logger, resolved.secrets, target.name);
  const transport = createTransport({ ...target.config, logger });
  const forget = onEarlyExit(() => transport.close());
  const relay = new Relay({ transport, log, name: target.name, write: (line) => process.stdout.write(line) });
  const decoder = createNdjsonDecoder({
    maxMessageBytes: resolved.limits.maxMessageBytes,
    onMessage: (inbound) => relay.fromHost(inbound),
    onProblem: (problem) => relay.problem(problem),
  });
  transport.subscribe((status) => {
    if (status.state === 'failed')
      log.warn(
        'gave up; requests are answered with an error, and the next message from the host starts again',
      );
  });

  log.info(`bridging stdio to ${target.name} (${target.type})`);
  transport.start().catch(() => {});

  let stop!: (code: number, why: string) => void;
  const stopped = new Promise<{ code: number; why: string }>((resolve) => {
    stop = (code, why) => resolve({ code, why });
  });
  const onTerm = (): void => stop(EXIT_OK, 'SIGTERM');
  const onInt = (): void => stop(EXIT_INTERRUPTED, 'SIGINT');
  process.on('SIGTERM', onTerm).on('SIGINT', onInt);
  const stdin = process.stdin;
  stdin.on('data', (chunk: Buffer) => decoder.feed(chunk));
  stdin.once('end', () => stop(EXIT_OK, 'the host closed stdin'));
  stdin.once('error', (error) => stop(EXIT_OK, `stdin failed: ${error.message}`));

  const { code, why } = await stopped;
  log.info(`stopping (${why}): closing the connection`);
  stdin.pause();
  stdin.removeAllListeners('data');
  try {
    await withTimeout(transport.close(), CLOSE_LIMIT_MS, `closing ${target.name}`);
  } catch (error) {
    log.error(message(error));
  } finally {
    process.off('SIGTERM', onTerm).off('SIGINT', onInt);
    forget();
  }
  stdin.destroy();
  return code;
}

export const bridgeCommand: Command = {
  name: 'bridge',
  summary: 'Serve a target over stdio for a desktop MCP host, supervised (reconnects, replays the session)',
  usage: [
    'Usage: lifeline bridge [options] <target>',
    '       lifeline bridge [options] -- command args…',
    '',
    'Runs as a stdio MCP server: reads JSON-RPC lines on stdin, forwards them to the target through',
    'one supervised connection, and writes what the target sends on stdout. While the target is',
    "down the host's messages wait and the session is replayed on the new connection, so the host",
    'sees a delay, not an error. Once the reconnect policy gives up, requests are answered with a',
    'JSON-RPC error (code -32090) and the next message starts connecting again. Logs go to stderr.',
    'Exits 0 when the host closes stdin or on SIGTERM (130 on SIGINT), after closing the target.',
    '',
    'For Claude Desktop: {"mcpServers": {"mine": {"command": "lifeline", "args": ["bridge", "remote"]}}}',
    'The reconnect policy comes from the config entry (its lifeline keys) or the flags below.',
    '',
    ...TARGET_USAGE,
    '',
    'Options (logs go to stderr; stdout carries only JSON-RPC):',
    ...logUsage('info'),
    '  -h, --help         Show this help',
    '',
  ].join('\n'),
  run: async (argv) => {
    const args = parseTargetCommand(argv, LOG_OPTIONS);
    if (args.help) {
      process.stdout.write(bridgeCommand.usage);
      return EXIT_OK;
    }
    const level = logLevelOf(args.values, 'info');
    return runBridge(args.target(), level);
  },
};
