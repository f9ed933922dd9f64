/**
 * `lifeline bridge <target>`: a stdio MCP server for a desktop host (Claude Desktop, Cursor,
 * VS Code) that forwards everything to the target through one supervised transport. The host
 * reads NDJSON JSON-RPC on our stdout, so stdout carries nothing else: logs go to stderr.
 */

import { createNdjsonDecoder } from '../codec/ndjson.js';
import { ErrorCode } from '../errors.js';
import { CONTROL_ENV } from '../observe/control/options.js';
import { createRedactingLogger } from '../runtime/logger.js';
import { resolveConfig } from '../runtime/options/resolve.js';
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
import { reportSignIn, signInLog, withSignIn } from './sign-in.js';
import { SIGN_IN_OPTIONS, SIGN_IN_USAGE, type SignInFlags, signInFlags } from './sign-in-flags.js';
import { parseTargetCommand, type ResolvedTarget, TARGET_USAGE } from './target.js';

/** How long closing (a process group, a container) may take before the bridge exits anyway. */
const CLOSE_LIMIT_MS = 15_000;

/** Runs until the host goes away (stdin ends) or a signal; resolves to the exit code. */
async function runBridge(target: ResolvedTarget, level: LogLevel, signIn: SignInFlags): Promise<number> {
  const logger = stderrLogger(level, target.name);
  // stdin carries the host's protocol: a pasted redirect address can never come from it.
  const signed = withSignIn(target, signIn, { interactive: true, log: signInLog('bridge') });
  const config = signed.target.config;
  // Checks the configuration before anything starts, and gives the bridge's own logs the same redaction.
  const resolved = resolveConfig(config);
  const log = createRedactingLogger(logger, resolved.secrets, target.name);
  // Published on the control socket unless the config or LIFELINE_CONTROL=0 says otherwise:
  // `lifeline status` and `watch` show what the desktop host's bridge is doing.
  const control = config.control ?? (process.env[CONTROL_ENV] === '0' ? false : { name: target.name });
  // Named as the target is (a config file's server name): the journal and `lifeline status` show it.
  const transport = createTransport({ ...config, name: config.name ?? target.name, logger, control });
  const forget = onEarlyExit(() => Promise.all([transport.close(), signed.close()]));
  // The host's `initialize` waits inside the transport while the user signs in; stdout stays protocol only.
  reportSignIn(transport, target.name, signIn.signInTimeoutMs, (line) =>
    process.stderr.write(`lifeline bridge: ${line}\n`),
  );
  const relay = new Relay({ transport, log, name: target.name, write: (line) => process.stdout.write(line) });
  const decoder = createNdjsonDecoder({
    maxMessageBytes: resolved.limits.maxMessageBytes,
    onMessage: (inbound) => relay.fromHost(inbound),
    onProblem: (problem) => relay.problem(problem),
  });
  transport.subscribe((status) => {
    if (status.state !== 'failed') return;
    // Not signed in, or the sign-in failed (timed out, refused): the next message signs in again.
    if (status.authorization === 'required' || status.error?.code === ErrorCode.Authorization)
      log.warn(
        `sign-in required (${status.error?.message ?? 'not signed in'}); the next message from the host waits for a new sign-in`,
      );
    else
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
    await signed.close();
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
    'Its connection is published on a control socket (0600, in $XDG_RUNTIME_DIR/lifeline) for',
    "lifeline status and watch; LIFELINE_CONTROL=0 or the config's lifeline.control: false turn it off.",
    '',
    'For Claude Desktop: {"mcpServers": {"mine": {"command": "lifeline", "args": ["bridge", "remote"]}}}',
    'The reconnect policy comes from the config entry (its lifeline keys) or the flags below.',
    '',
    ...TARGET_USAGE,
    '',
    ...SIGN_IN_USAGE,
    "  While the user signs in, the host's initialize waits (up to --sign-in-timeout); the address",
    '  is printed on stderr (a desktop host keeps it in its MCP log) and opened in the browser.',
    '',
    'Options (logs go to stderr; stdout carries only JSON-RPC):',
    ...logUsage('info'),
    '  -h, --help         Show this help',
    '',
  ].join('\n'),
  run: async (argv) => {
    const args = parseTargetCommand(argv, { ...SIGN_IN_OPTIONS, ...LOG_OPTIONS });
    if (args.help) {
      process.stdout.write(bridgeCommand.usage);
      return EXIT_OK;
    }
    const level = logLevelOf(args.values, 'info');
    const signIn = signInFlags(args.values);
    return runBridge(args.target(), level, signIn);
  },
};
