/**
 * `lifeline connect <target>`: connects an SDK Client through a supervised transport, prints
 * what the server is and which tools it has, and optionally calls one tool. Progress goes to
 * stderr; stdout carries only the answer (text, or JSON with `--json`).
 */

import { CONNECTION_LOST_RPC_CODE, type LifelineError } from '../errors.js';
import { createTransport, type LifecycleStatus, type LifelineTransport } from '../runtime/transport.js';
import {
  type Command,
  EXIT_FAILURE,
  EXIT_INTERRUPTED,
  EXIT_OK,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  onEarlyExit,
  UsageError,
  wholeNumber,
} from './args.js';
import { commandLogger, formatMs, type LogLevel } from './output.js';
import { type DemoClient, loadClient, message, textOf, withTimeout } from './sdk.js';
import { reportSignIn, signInLog, withSignIn, withSignInDeadline } from './sign-in.js';
import { SIGN_IN_OPTIONS, SIGN_IN_USAGE, type SignInFlags, signInFlags } from './sign-in-flags.js';
import { parseTargetCommand, type ResolvedTarget, TARGET_USAGE } from './target.js';

/** Default deadline for connecting (all attempts together), in ms. */
const DEFAULT_TIMEOUT_MS = 30_000;
/** How long closing (a process group, a container) may take before the command gives up on it. */
const CLOSE_LIMIT_MS = 15_000;

interface ConnectOptions {
  target: ResolvedTarget;
  json: boolean;
  timeoutMs: number;
  call: { name: string; arguments: Record<string, unknown> } | undefined;
  level: LogLevel;
  signIn: SignInFlags;
}

type Tool = { name: string; description?: string | undefined };

function progress(text: string): void {
  process.stderr.write(`lifeline connect: ${text}\n`);
}

/** A retry, numbered as `status` and `watch` number them: why, which retry, and when. */
function retryLine(target: ResolvedTarget, status: LifecycleStatus): string {
  const why = status.error?.message ?? 'the link went down';
  return `${target.name}: ${why}; retry ${status.attempt} in ${formatMs(status.delayMs)}`;
}

/**
 * Why connecting failed, said once: a handshake answered "connection lost" failed for the
 * transport's own reason (a server that exited, with its last stderr lines); otherwise the
 * client's error, with the transport's last one when it adds something.
 */
function whyNot(error: unknown, last: LifelineError | undefined): string {
  const text = message(error);
  if (last === undefined) return text;
  if ((error as { code?: unknown } | null)?.code === CONNECTION_LOST_RPC_CODE) return last.message;
  return text.includes(last.message) ? text : `${text} (last error: ${last.message})`;
}

async function listAllTools(client: DemoClient, timeout: number): Promise<Tool[]> {
  const tools: Tool[] = [];
  let cursor: string | undefined;
  do {
    const page = await client.listTools(cursor === undefined ? {} : { cursor }, { timeout });
    tools.push(...page.tools);
    cursor = page.nextCursor;
  } while (cursor !== undefined);
  return tools;
}

function firstLine(text: string | undefined): string {
  return (text ?? '').trim().split('\n')[0] ?? '';
}

function describeServer(client: DemoClient, transport: LifelineTransport, target: ResolvedTarget) {
  const info = client.getServerVersion();
  return {
    name: info?.name ?? null,
    version: info?.version ?? null,
    protocolVersion: transport.status.protocolVersion ?? null,
    transport: target.type,
    era: transport.status.era ?? null,
    target: target.name,
  };
}

function printInfo(server: ReturnType<typeof describeServer>, tools: Tool[] | undefined): void {
  const lines = [
    `server     ${server.name ?? '?'} ${server.version ?? ''}`.trimEnd(),
    `protocol   ${server.protocolVersion ?? '?'} (${server.era ?? '?'} era)`,
    `transport  ${server.transport} (${server.target})`,
  ];
  if (tools === undefined) lines.push('tools      none (the server offers no tools)');
  else {
    lines.push(`tools      ${tools.length}`);
    const width = Math.min(32, Math.max(0, ...tools.map((tool) => tool.name.length)));
    for (const tool of tools)
      lines.push(`  ${tool.name.padEnd(width)}  ${firstLine(tool.description)}`.trimEnd());
  }
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Connects, then lists or calls; resolves to the exit code. */
async function session(
  client: DemoClient,
  transport: LifelineTransport,
  options: ConnectOptions,
  signsIn: boolean,
): Promise<number> {
  const { target, timeoutMs } = options;
  progress(`connecting to ${target.name} (${target.type})…`);
  // The deadline stops while a person signs in (bounded by the sign-in timeout instead).
  const what = `connecting to ${target.name}`;
  const requestMs = signsIn ? timeoutMs + options.signIn.signInTimeoutMs : timeoutMs;
  const connecting = client.connect(transport, { timeout: requestMs });
  try {
    await (signsIn
      ? withSignInDeadline(connecting, transport, timeoutMs, what)
      : withTimeout(connecting, timeoutMs, what));
  } catch (error) {
    progress(`could not connect to ${target.name}: ${whyNot(error, transport.status.error)}`);
    return EXIT_FAILURE;
  }
  const server = describeServer(client, transport, target);
  progress(
    `connected to ${server.name} ${server.version} (protocol ${server.protocolVersion}, ${server.era} era)`,
  );

  if (options.call !== undefined) {
    const result = await client.callTool(options.call, undefined, { timeout: timeoutMs });
    const failed = result.isError === true;
    if (options.json) process.stdout.write(`${JSON.stringify(result)}\n`);
    else (failed ? process.stderr : process.stdout).write(`${textOf(result)}\n`);
    if (failed) progress(`tool ${options.call.name} returned an error`);
    return failed ? EXIT_FAILURE : EXIT_OK;
  }
  const tools =
    client.getServerCapabilities()?.tools === undefined ? undefined : await listAllTools(client, timeoutMs);
  if (options.json) process.stdout.write(`${JSON.stringify({ server, tools: tools ?? [] })}\n`);
  else printInfo(server, tools);
  return EXIT_OK;
}

async function runConnect(options: ConnectOptions): Promise<number> {
  const Client = await loadClient();
  if (Client === undefined) {
    progress('needs the MCP TypeScript SDK (v1): npm install @modelcontextprotocol/sdk');
    return EXIT_FAILURE;
  }
  const logger = commandLogger(options.level, options.target.name);
  const signed = withSignIn(options.target, options.signIn, {
    interactive: true,
    log: signInLog('connect'),
    pasteInput: process.stdin.isTTY === true ? process.stdin : undefined,
  });
  const config = signed.target.config;
  const transport = createTransport(logger === undefined ? config : { ...config, logger });
  const forget = onEarlyExit(() => Promise.all([transport.close(), signed.close()]));
  reportSignIn(transport, options.target.name, options.signIn.signInTimeoutMs, progress);
  let concluded = false;
  transport.subscribe((status) => {
    if (status.state !== 'reconnecting') return;
    // A server that dies during the handshake fails it within this tick (its request is answered
    // "connection lost"): then the end says why, and no retry is promised that will not come.
    setImmediate(() => {
      if (!concluded && transport.state === 'reconnecting') progress(retryLine(options.target, status));
    });
  });
  const client = new Client({ name: 'lifeline-connect', version: '1.0.0' });

  // Ctrl-C (or SIGTERM) closes the connection and exits 130; a second one exits at once.
  let signalled = false;
  let interrupt!: () => void;
  const interrupted = new Promise<number>((resolve) => {
    interrupt = () => resolve(EXIT_INTERRUPTED);
  });
  const onSignal = (): void => {
    if (signalled) process.exit(EXIT_INTERRUPTED);
    signalled = true;
    progress('interrupted: closing');
    interrupt();
  };
  process.on('SIGINT', onSignal).on('SIGTERM', onSignal);
  try {
    const signsIn = signed.provider !== undefined;
    return await Promise.race([session(client, transport, options, signsIn), interrupted]);
  } catch (error) {
    progress(`failed: ${message(error)}`);
    return EXIT_FAILURE;
  } finally {
    concluded = true;
    // Always released: a process group killed, a container removed.
    await withTimeout(transport.close(), CLOSE_LIMIT_MS, `closing ${options.target.name}`).catch((error) =>
      progress(message(error)),
    );
    await signed.close();
    process.off('SIGINT', onSignal).off('SIGTERM', onSignal);
    forget();
  }
}

function parseCall(
  name: string | boolean | undefined,
  json: string | boolean | undefined,
): ConnectOptions['call'] {
  if (typeof name !== 'string') {
    if (json !== undefined) throw new UsageError('--args goes with --call TOOL');
    return undefined;
  }
  let parsed: unknown = {};
  if (typeof json === 'string') {
    try {
      parsed = JSON.parse(json);
    } catch (error) {
      throw new UsageError(`--args is not valid JSON: ${message(error)}`);
    }
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
    throw new UsageError('--args must be a JSON object, as in --args \'{"message":"hi"}\'');
  return { name, arguments: parsed as Record<string, unknown> };
}

export const connectCommand: Command = {
  name: 'connect',
  summary: 'Connect to a server; print its info and tools, or call one (--call)',
  usage: [
    'Usage: lifeline connect [options] <target>',
    '       lifeline connect [options] -- command args…',
    '',
    'Connects an MCP client to the target through a supervised transport (retrying with backoff',
    'while it is unreachable), prints the server (name, version, protocol, transport, era) and its',
    'tools, or calls one tool and prints the result. Progress goes to stderr. Needs',
    '@modelcontextprotocol/sdk (v1).',
    '',
    ...TARGET_USAGE,
    '',
    ...SIGN_IN_USAGE,
    '',
    'Options:',
    '  --call TOOL        Call this tool and print its result instead of the tool list',
    "  --args JSON        The tool's arguments, a JSON object (with --call)",
    '  --json             Print JSON on stdout: {server, tools}, or the raw tool result',
    `  --timeout MS       Give up connecting after MS, and on each request (default ${DEFAULT_TIMEOUT_MS})`,
    ...logUsage(),
    '  -h, --help         Show this help',
    '',
    'Exit codes: 0 ok, 1 could not connect or the tool failed, 2 usage or config error, 130 interrupted.',
    '',
  ].join('\n'),
  run: async (argv) => {
    const args = parseTargetCommand(argv, {
      call: { type: 'string' },
      args: { type: 'string' },
      json: { type: 'boolean' },
      timeout: { type: 'string' },
      ...SIGN_IN_OPTIONS,
      ...LOG_OPTIONS,
    });
    if (args.help) {
      process.stdout.write(connectCommand.usage);
      return EXIT_OK;
    }
    const timeoutMs = wholeNumber(args.values.timeout, 'timeout', DEFAULT_TIMEOUT_MS);
    const call = parseCall(args.values.call, args.values.args);
    const level = logLevelOf(args.values, 'silent');
    const signIn = signInFlags(args.values);
    const target = args.target();
    return runConnect({ target, json: args.values.json === true, timeoutMs, call, level, signIn });
  },
};
