// Issue 14: every snippet of the README and of docs/cli.md runs as written. JSON blocks are config
// files our own parser accepts, whose commands exist; in shell blocks, every `lifeline`, `npm` and
// `npx` command names something that exists. (The README's TypeScript blocks are compiled against
// the packed package: test/package/pack.test.ts.)

import { existsSync, readFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { buildCli, lifeline, repoRoot } from '../helpers/cli.js';
import { type CodeBlock, docBlocks, shellCommands } from '../helpers/markdown.js';

const DOCS = ['README.md', 'docs/cli.md'];

const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  bin: Record<string, string>;
  scripts: Record<string, string>;
};

/** npm's own commands that the docs may use. */
const NPM_COMMANDS = new Set(['install', 'i', 'ci', 'link', 'pack', 'run', 'start', 'test', 'exec', 'root']);

const helpRuns = new Map<string, Promise<string | undefined>>();

/** `lifeline <subcommand> --help` exits 0, or the problem. */
function checkLifeline(args: readonly string[], where: string): Promise<string | undefined> {
  const sub = args[0] === undefined || args[0].startsWith('-') ? [] : [args[0]];
  const key = sub.join(' ');
  let run = helpRuns.get(key);
  if (run === undefined) {
    run = lifeline([...sub, '--help']).then((result) =>
      result.code === 0
        ? undefined
        : `\`lifeline ${[...sub, '--help'].join(' ')}\` exits ${result.code}: ${result.stderr.trim()}`,
    );
    helpRuns.set(key, run);
  }
  return run.then((problem) => (problem === undefined ? undefined : `${where}: ${problem}`));
}

function checkNpm(args: readonly string[], where: string): string | undefined {
  const [command = '', ...rest] = args;
  if (!NPM_COMMANDS.has(command)) return `${where}: \`npm ${command}\` is not a command the docs may use`;
  const script = command === 'run' ? rest.find((word) => !word.startsWith('-')) : command;
  if (
    ['run', 'start', 'test'].includes(command) &&
    (script === undefined || pkg.scripts[script] === undefined)
  )
    return `${where}: package.json has no script "${script ?? ''}"`;
  for (const word of rest) {
    const tarball = /(?:^|\/)([\w.-]+)-(\d[^/]*)\.tgz$/.exec(word);
    if (tarball !== null && tarball[1] === pkg.name && tarball[2] !== pkg.version)
      return `${where}: ${word} is not what \`npm pack\` writes (${pkg.name}-${pkg.version}.tgz)`;
  }
  return undefined;
}

async function checkNpx(args: readonly string[], where: string): Promise<string | undefined> {
  const at = args.findIndex((word) => !word.startsWith('-'));
  const spec = args[at] ?? '';
  const name = spec.replace(/(.)@.*$/, '$1');
  if (name === pkg.name)
    return `${where}: \`npx ${args.join(' ')}\`: ${pkg.name} is not on the npm registry, so npx cannot fetch it; run \`lifeline\` (npm install -g, see the README's Install)`;
  if (pkg.bin[name] !== undefined) return checkLifeline(args.slice(at + 1), where);
  if (!existsSync(resolve(repoRoot, 'node_modules', name, 'package.json')))
    return `${where}: \`npx ${spec}\` names a package this repository does not know (not in node_modules)`;
  return undefined;
}

/** The problem of one command (its words), or undefined. */
function checkCommand(
  words: readonly string[],
  where: string,
): Promise<string | undefined> | string | undefined {
  const [command = '', ...args] = words;
  const program = basename(command);
  if (program === 'lifeline') return checkLifeline(args, where);
  if (program === 'npm') return checkNpm(args, where);
  if (program === 'npx') return checkNpx(args, where);
  if (program === 'node' && args[0]?.endsWith('dist/cli/main.js')) return checkLifeline(args.slice(1), where);
  return undefined;
}

async function problemsOfJson(block: CodeBlock): Promise<string[]> {
  const value = JSON.parse(block.code) as Record<string, unknown>;
  // The snippets' `${env:NAME}` are the reader's to set.
  const env = Object.fromEntries([...block.code.matchAll(/\$\{env:(\w+)\}/g)].map(([, name]) => [name, 'x']));
  parseConfig(value, { env });
  const servers = (value.mcpServers ?? value.servers ?? {}) as Record<
    string,
    { command?: unknown; args?: unknown }
  >;
  const problems = await Promise.all(
    Object.entries(servers).map(([name, entry]) =>
      typeof entry.command === 'string'
        ? checkCommand(
            [entry.command, ...(Array.isArray(entry.args) ? (entry.args as string[]) : [])],
            `${block.where} server "${name}"`,
          )
        : undefined,
    ),
  );
  return problems.filter((problem) => problem !== undefined);
}

async function problemsOfShell(block: CodeBlock): Promise<string[]> {
  const problems = await Promise.all(
    shellCommands(block.code).map(({ line, words }) => checkCommand(words, `${block.where} \`${line}\``)),
  );
  return problems.filter((problem) => problem !== undefined);
}

describe.each(DOCS)('the snippets of %s', (path) => {
  beforeAll(() => buildCli(), 180_000);

  for (const block of docBlocks(path, 'json'))
    it(`${block.where}: the JSON block is a valid config file whose commands exist`, async () => {
      expect(await problemsOfJson(block)).toEqual([]);
    });

  for (const block of docBlocks(path, 'sh', 'bash', 'shell'))
    it(`${block.where}: every lifeline, npm and npx command of the shell block exists`, async () => {
      expect(await problemsOfShell(block)).toEqual([]);
    });
});

describe('the snippet checks', () => {
  beforeAll(() => buildCli(), 180_000);
  const sh = (code: string): CodeBlock => ({ lang: 'sh', code, where: 'x.md:1', line: 1 });

  it('splits shell lines into commands, dropping comments and quotes', () => {
    expect(
      shellCommands(
        "npm install && npm start   # builds\nlifeline connect x --args '{\"a\": 1}' | jq '.tools[].name'\n",
      ),
    ).toEqual([
      { line: 'npm install && npm start   # builds', words: ['npm', 'install'] },
      { line: 'npm install && npm start   # builds', words: ['npm', 'start'] },
      { line: expect.any(String), words: ['lifeline', 'connect', 'x', '--args', '{"a": 1}'] },
      { line: expect.any(String), words: ['jq', '.tools[].name'] },
    ]);
  });

  it('reports unknown subcommands, scripts, tarballs and unpublished packages', async () => {
    const problems = await problemsOfShell(
      sh(
        'lifeline nosuch\nnpm run nosuch\nnpm install ./mcp-lifeline-9.9.9.tgz\nnpx -y mcp-lifeline status\nnpx left-pad-nowhere\ngit status\n',
      ),
    );
    expect(problems).toHaveLength(5);
    expect(problems.join('\n')).toMatch(/lifeline nosuch --help` exits 2/);
  });
});
