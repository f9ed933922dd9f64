/**
 * The command table and argument parsing of the `lifeline` CLI. A command is a name, a
 * one-line summary, its usage text and a `run` that returns the exit code; `main.ts` only
 * dispatches, so later commands (connect, bridge, status, watch) slot into the table.
 */

import { type ParseArgsConfig, parseArgs } from 'node:util';

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

/** A mistake in how the command was called: printed with a usage hint, exit code 2. */
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

/**
 * Parses a command's arguments strictly (unknown flags are a {@link UsageError}). `--help` and
 * `-h` are always accepted.
 */
export function parseCommandArgs(
  argv: readonly string[],
  options: Options,
  allowPositionals = false,
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
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
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
