// `lifeline` itself: help for every command (`help help` too), and mistakes in how it is called
// answered in one line with the closest known name and where to read more, exit code 2
// (issue 14, point 8). Run as users run it: dist/cli/main.js in a child process.

import { beforeAll, describe, expect, it } from 'vitest';
import { buildCli, lifeline } from '../helpers/cli.js';

beforeAll(() => buildCli(), 180_000);

const COMMANDS = ['connect', 'bridge', 'status', 'watch', 'demo', 'statechart'];

describe('lifeline usage', () => {
  it('shows help for every command, help included', async () => {
    for (const command of [...COMMANDS, 'help']) {
      const run = await lifeline(['help', command]);
      expect(run.code, `help ${command}: ${run.stderr}`).toBe(0);
      expect(run.stdout).toMatch(new RegExp(`^Usage: lifeline ${command}`));
    }
    const help = await lifeline(['help', '--help']);
    expect(help.stdout).toMatch(/^Usage: lifeline help/);
  });

  it('takes --verbose and --log-level on every command', async () => {
    for (const command of COMMANDS) {
      const run = await lifeline([command, '--help']);
      expect(run.stdout, command).toContain('--verbose');
      expect(run.stdout, command).toContain('--log-level LEVEL');
    }
    const statechart = await lifeline(['statechart', '--verbose']);
    expect(statechart.code).toBe(0);
    const bad = await lifeline(['status', '--log-level', 'loud']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--log-level expects one of debug, info, warn, error, silent, got "loud"');
  });

  it('answers a typo in one line with the closest option, then where the help is; exit 2', async () => {
    const cases: [string[], string][] = [
      [['connect', '--heder', 'x'], 'lifeline connect: unknown option --heder (did you mean --header?)'],
      [
        ['connect', '--timout', '5', '--', 'node'],
        'lifeline connect: unknown option --timout (did you mean --timeout?)',
      ],
      [['bridge', '--verbsoe'], 'lifeline bridge: unknown option --verbsoe (did you mean --verbose?)'],
      [['status', '--jsn'], 'lifeline status: unknown option --jsn (did you mean --json?)'],
      [['watch', '--frobnicate'], 'lifeline watch: unknown option --frobnicate'],
      [['connect', '--timeout'], 'lifeline connect: --timeout needs a value'],
      [['demo', '--json=yes'], 'lifeline demo: --json takes no value'],
      [
        ['statechart', 'extra'],
        'lifeline statechart: unexpected argument "extra" (this command takes options only)',
      ],
    ];
    for (const [args, line] of cases) {
      const run = await lifeline(args);
      const command = args[0] as string;
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stdout).toBe('');
      expect(run.stderr).toBe(`${line}\nRun 'lifeline help ${command}' for usage.\n`);
    }
  });

  it('answers an unknown command the same way, in `lifeline help` too', async () => {
    const cases: [string[], string][] = [
      [['conect'], 'lifeline: unknown command conect (did you mean connect?)'],
      [['stauts'], 'lifeline: unknown command stauts (did you mean status?)'],
      [['help', 'brige'], 'lifeline: unknown command brige (did you mean bridge?)'],
      [['deploy'], 'lifeline: unknown command deploy'],
      [['--verbose'], 'lifeline: unknown option --verbose'],
    ];
    for (const [args, line] of cases) {
      const run = await lifeline(args);
      expect(run.code, args.join(' ')).toBe(2);
      expect(run.stderr).toBe(`${line}\nRun 'lifeline --help' for usage.\n`);
    }
  });
});
