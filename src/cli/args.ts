/**
 * The command table and argument parsing of the `lifeline` CLI. A command is a name, a
 * one-line summary, its usage text and a `run` that returns the exit code; `main.ts` only
 * dispatches, so later commands (connect, bridge, status, watch) slot into the table.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';
import { closest } from '../runtime/options/did-you-mean.js';
import { LEVELS, type LogLevel } from './output.js';

/** Exit codes: 0 success, 1 failure, 2 usage error, 130 interrupted (Ctrl-C). */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_INTERRUPTED = 130;

/** One `lifeline <name>` subcommand. */
export interface Command {
  name: string;
  /** One line for the command list of `lifeline --help`. */
  summary: string;
  /** The full text of `lifeline <name> --help`. */
  usage: string;
  /** Runs with the arguments after the command name; resolves to the exit code. */
  run(argv: readonly string[]): Promise<number>;
}

/** A mistake in how the command was called: one line and a pointer to the help, exit code 2. */
export class UsageError extends Error {
  override name = 'UsageError';
}

type Options = NonNullable<ParseArgsConfig['options']>;

/** What {@link parseCommandArgs} found: flag values, positionals, and whether help was asked. */
export interface ParsedArgs {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  help: boolean;
}

/** The flags every command takes for its logs (on stderr). */
export const LOG_OPTIONS = {
  verbose: { type: 'boolean' },
  'log-level': { type: 'string' },
} as const;

/** The help lines for {@link LOG_OPTIONS}, naming the command's default level. */
export function logUsage(fallback: LogLevel = 'silent'): string[] {
  return [
    `  --log-level LEVEL  Log on stderr: debug, info, warn, error or silent (default ${fallback})`,
    "  --verbose          Short for --log-level debug (every connection event, the server's stderr)",
  ];
}

/**
 * The log level of `--log-level` or `--verbose` (debug); `fallback` without either.
 *
 * @throws {UsageError} for an unknown level, or both flags.
 */
export function logLevelOf(values: ParsedArgs['values'], fallback: LogLevel): LogLevel {
  const level = values['log-level'];
  if (level === undefined) return values.verbose === true ? 'debug' : fallback;
  if (values.verbose === true) throw new UsageError('give --verbose or --log-level, not both');
  const levels: readonly string[] = [...LEVELS, 'silent'];
  if (typeof level !== 'string' || !levels.includes(level))
    throw new UsageError(`--log-level expects one of ${levels.join(', ')}, got "${String(level)}"`);
  return level as LogLevel;
}

/**
 * Parses a command's arguments strictly. `--help` and `-h` are always accepted. A mistake is
 * a {@link UsageError} of one line: an unknown flag names the closest known one (of `options`
 * and `alsoKnown`, flags the caller takes out before parsing).
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Options,
  allowPositionals = false,
  alsoKnown: readonly string[] = [],
): ParsedArgs {
  try {
    const parsed = parseArgs({
      args: [...argv],
      options: { ...options, help: { type: 'boolean', short: 'h' } },
      allowPositionals,
      strict: true,
    });
    const values: ParsedArgs['values'] = {};
    for (const [key, value] of Object.entries(parsed.values)) {
      if (typeof value === 'string' || typeof value === 'boolean') values[key] = value;
    }
    return { values, positionals: parsed.positionals, help: values.help === true };
  } catch (error) {
    throw parseError(error, [...Object.keys(options), ...alsoKnown, 'help']);
  }
}

/** Node's parser explains itself in terms of its own API; say it in the command's terms. */
function parseError(error: unknown, known: readonly string[]): UsageError {
  const text = error instanceof Error ? error.message : String(error);
  const code = (error as { code?: unknown } | null)?.code;
  const quoted = /'([^']*)'/.exec(text)?.[1] ?? '';
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const close = quoted.startsWith('--') ? closest(quoted.slice(2), known) : undefined;
    return new UsageError(
      `unknown option ${quoted}${close === undefined ? '' : ` (did you mean --${close}?)`}`,
    );
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const flag = quoted.split(' ')[0] ?? quoted;
    return new UsageError(/does not take/.test(text) ? `${flag} takes no value` : `${flag} needs a value`);
  }
  if (code === 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL')
    return new UsageError(`unexpected argument "${quoted}" (this command takes options only)`);
  return new UsageError(text);
}

/**
 * A whole number flag (`--timeout 5000`): `fallback` when absent, `Infinity` for `inf` or
 * `infinity` when allowed.
 *
 * @throws {UsageError} for anything else, or below `min`.
 */
export function wholeNumber(
  value: string | boolean | undefined,
  flag: string,
  fallback: number,
  { min = 1, allowInfinity = false }: { min?: number; allowInfinity?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  const text = typeof value === 'string' ? value.trim() : '';
  if (allowInfinity && /^inf(inity)?$/i.test(text)) return Number.POSITIVE_INFINITY;
  const number = Number(text);
  if (text === '' || !Number.isInteger(number) || number < min)
    throw new UsageError(`--${flag} expects a whole number >= ${min}, got "${String(value)}"`);
  return number;
}

/** The `lifeline --help` text, listing every command. */
export function globalUsage(commands: readonly Command[]): string {
  const width = Math.max(...commands.map((command) => command.name.length));
  const list = commands.map((command) => `  ${command.name.padEnd(width)}  ${command.summary}`);
  return [
    'Usage: lifeline <command> [options]',
    '',
    'Supervised, self-healing MCP connections on XState v5.',
    '',
    'Commands:',
    ...list,
    `  ${'help'.padEnd(width)}  Show this help, or a command's: lifeline help <command>`,
    '',
    'Options:',
    '  -h, --help     Show help',
    '  -v, --version  Show the version',
    '',
    'Start with: lifeline demo',
    '',
  ].join('\n');
}

const cleanups = new Set<() => Promise<unknown>>();

/**
 * Registers cleanup that must run even when the process stops early (its stdout closed:
 * `lifeline watch | head`, a desktop host gone): closing connections, so no server process or
 * container outlives the command. Returns the function that unregisters it.
 */
export function onEarlyExit(cleanup: () => Promise<unknown>): () => void {
  cleanups.add(cleanup);
  return () => cleanups.delete(cleanup);
}

/** Runs every registered cleanup in parallel, for at most `deadlineMs`. */
export async function runEarlyExitCleanups(deadlineMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<void>((resolve) => {
    timer = setTimeout(resolve, deadlineMs);
  });
  await Promise.race([Promise.allSettled([...cleanups].map((cleanup) => cleanup())), deadline]);
  clearTimeout(timer);
}
