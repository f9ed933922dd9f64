#!/usr/bin/env node
/**
 * The `lifeline` command: `lifeline <command> [options]`. Dispatches to the command table;
 * add a command by adding a {@link Command} to `COMMANDS`.
 */

import { readFileSync } from 'node:fs';
import { ConfigError } from '../errors.js';
import { connectionMachine } from '../machines/connection.js';
import { toMarkdownBlock, toMermaid } from '../machines/diagram.js';
import { closest } from '../runtime/options/did-you-mean.js';
import {
  type Command,
  EXIT_FAILURE,
  EXIT_OK,
  EXIT_USAGE,
  globalUsage,
  LOG_OPTIONS,
  logLevelOf,
  logUsage,
  parseCommandArgs,
  runEarlyExitCleanups,
  UsageError,
} from './args.js';
import { authCommand } from './auth.js';
import { bridgeCommand } from './bridge.js';
import { connectCommand } from './connect.js';
import { demoCommand } from './demo.js';
import { inspectCommand } from './inspect.js';
import { statusCommand } from './status.js';
import { watchCommand } from './watch.js';

const statechartCommand: Command = {
  name: 'statechart',
  summary: 'Print the connection statechart as a Mermaid diagram',
  usage: [
    'Usage: lifeline statechart [--markdown]',
    '',
    'Prints the connection lifecycle statechart as Mermaid stateDiagram-v2 text, drawn from the',
    'machine definition. Nothing connects, so nothing is logged.',
    '',
    'Options:',
    '  --markdown         Print the README block: a ```mermaid fence between the statechart markers',
    ...logUsage(),
    '  -h, --help         Show this help',
    '',
  ].join('\n'),
  run: async (argv) => {
    const args = parseCommandArgs(argv, { markdown: { type: 'boolean' }, ...LOG_OPTIONS });
    if (args.help) {
      process.stdout.write(statechartCommand.usage);
      return EXIT_OK;
    }
    logLevelOf(args.values, 'silent');
    const render = args.values.markdown === true ? toMarkdownBlock : toMermaid;
    process.stdout.write(render(connectionMachine));
    return EXIT_OK;
  },
};

/** How long closing connections may take when stdout closes under a command. */
const EARLY_EXIT_DEADLINE_MS = 10_000;

const COMMANDS: readonly Command[] = [
  connectCommand,
  bridgeCommand,
  statusCommand,
  watchCommand,
  inspectCommand,
  authCommand,
  demoCommand,
  statechartCommand,
];

function version(): string {
  try {
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8')) as {
      version?: unknown;
    };
    return String(pkg.version);
  } catch {
    return 'unknown';
  }
}

const helpCommand: Command = {
  name: 'help',
  summary: "Show this help, or a command's: lifeline help <command>",
  usage: [
    'Usage: lifeline help [<command>]',
    '',
    'Lists the commands, or shows the help of one (the same as lifeline <command> --help).',
    '',
  ].join('\n'),
  run: async () => EXIT_OK,
};

/** A mistake in how `lifeline` or one of its commands was called: one line, where to read more, exit 2. */
function usageError(message: string, command?: Command): number {
  const who = command === undefined ? 'lifeline' : `lifeline ${command.name}`;
  const help = command === undefined ? 'lifeline --help' : `lifeline help ${command.name}`;
  process.stderr.write(`${who}: ${message}\nRun '${help}' for usage.\n`);
  return EXIT_USAGE;
}

function unknownCommand(name: string): number {
  if (name.startsWith('-')) return usageError(`unknown option ${name}`);
  const names = [...COMMANDS, helpCommand].map((command) => command.name);
  const close = closest(name, names);
  return usageError(`unknown command ${name}${close === undefined ? '' : ` (did you mean ${close}?)`}`);
}

/** An invalid configuration (a config file, or flags that make one): every problem, one a line; nothing started. */
function configError(command: string, error: ConfigError): number {
  const path = (error as { path?: unknown }).path;
  const where = typeof path === 'string' ? ` in ${path}` : '';
  const problems = error.problems.map((problem) => `  - ${problem}\n`).join('');
  process.stderr.write(`lifeline ${command}: invalid configuration${where}:\n${problems}`);
  return EXIT_USAGE;
}

/** Runs the CLI with the given arguments (without `node` and the script); resolves to the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  const [first, ...rest] = argv;
  const usage = globalUsage(COMMANDS);
  if (first === undefined) {
    process.stderr.write(`lifeline: missing command\n\n${usage}`);
    return EXIT_USAGE;
  }
  if (first === '-h' || first === '--help') {
    process.stdout.write(usage);
    return EXIT_OK;
  }
  if (first === '-v' || first === '--version') {
    process.stdout.write(`${version()}\n`);
    return EXIT_OK;
  }
  if (first === 'help') {
    const topic = rest[0] === '-h' || rest[0] === '--help' ? 'help' : rest[0];
    if (rest.length > 1) return usageError(`help takes one command, got ${rest.join(' ')}`, helpCommand);
    const command = [...COMMANDS, helpCommand].find((candidate) => candidate.name === topic);
    if (topic !== undefined && command === undefined) return unknownCommand(topic);
    process.stdout.write(command?.usage ?? usage);
    return EXIT_OK;
  }
  const command = COMMANDS.find((candidate) => candidate.name === first);
  if (command === undefined) return unknownCommand(first);
  try {
    return await command.run(rest);
  } catch (error) {
    if (error instanceof UsageError) return usageError(error.message, command);
    if (error instanceof ConfigError) return configError(command.name, error);
    process.stderr.write(
      `lifeline ${command.name}: ${error instanceof Error ? error.message : String(error)}\n`,
    );
    return EXIT_FAILURE;
  }
}

// A closed pipe (`lifeline demo | head`, a host gone) is not an error: close what is open, stop quietly.
let stopping = false;
for (const stream of [process.stdout, process.stderr]) {
  stream.on('error', (error: NodeJS.ErrnoException) => {
    if (error.code !== 'EPIPE') throw error;
    if (stopping) return;
    stopping = true;
    void runEarlyExitCleanups(EARLY_EXIT_DEADLINE_MS).finally(() =>
      process.exit(process.exitCode ?? EXIT_OK),
    );
  });
}

const exitCode = await main(process.argv.slice(2));
process.exitCode = exitCode;
// Exit on our own once the work is done; if a stray handle keeps the loop alive, don't hang.
setTimeout(() => process.exit(exitCode), 3000).unref();
