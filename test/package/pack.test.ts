// Issue 14: the package as a user gets it. `npm pack` of a fresh build, installed by npm in a
// temporary project with the SDK, TypeScript and @types/node but without dockerode: the README's
// TypeScript snippets compile against it with `strict` and `skipLibCheck: false` (our
// declarations once named dockerode, a dev dependency: TS7016), its `lifeline` bin runs, and a
// Docker transport fails with the error that says what to install.

import { execFile } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';
import { docBlocks } from '../helpers/markdown.js';

const run = promisify(execFile);

const pkg = JSON.parse(readFileSync(resolve(repoRoot, 'package.json'), 'utf8')) as {
  name: string;
  version: string;
  files: string[];
};

/** The version of a package in this repository's node_modules: npm finds it in its cache. */
function localVersion(name: string): string {
  const manifest = resolve(repoRoot, 'node_modules', name, 'package.json');
  return (JSON.parse(readFileSync(manifest, 'utf8')) as { version: string }).version;
}

/**
 * The environment of a nested npm: the caller's npm settings (cache, registry, certificates)
 * but none of what `npm test` exports about this package and this command.
 */
function npmEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env, NO_COLOR: '1' };
  for (const key of Object.keys(env))
    if (
      /^npm_/i.test(key) &&
      !/^npm_config_(cache|userconfig|globalconfig|cafile|registry|proxy|https_proxy|noproxy|strict_ssl)$/i.test(
        key,
      )
    )
      delete env[key];
  return env;
}

async function npm(args: readonly string[], cwd: string): Promise<string> {
  const { stdout } = await run('npm', [...args], { cwd, env: npmEnv(), maxBuffer: 16 * 1024 * 1024 });
  return stdout;
}

/** Runs a program; its exit code and output, without throwing. */
async function exec(
  file: string,
  args: readonly string[],
  cwd: string,
): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(file, [...args], { cwd, env: npmEnv(), timeout: 110_000 });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: unknown; stdout?: string; stderr?: string };
    return {
      code: typeof failed.code === 'number' ? failed.code : -1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error),
    };
  }
}

describe('the packed package, installed in a project', () => {
  let root: string;
  let project: string;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'lifeline-pack-'));
    // Packed from a staging copy with its own build, so the test never writes this checkout's dist/.
    const stage = join(root, 'stage');
    mkdirSync(stage);
    cpSync(resolve(repoRoot, 'package.json'), join(stage, 'package.json'));
    for (const entry of pkg.files)
      if (entry !== 'dist' && existsSync(resolve(repoRoot, entry)))
        cpSync(resolve(repoRoot, entry), join(stage, entry), { recursive: true });
    const tsc = resolve(repoRoot, 'node_modules', 'typescript', 'bin', 'tsc');
    await run(process.execPath, [tsc, '-p', 'tsconfig.build.json', '--outDir', join(stage, 'dist')], {
      cwd: repoRoot,
    });
    const tarball = (
      await npm(['pack', '--ignore-scripts', '--silent', '--pack-destination', root], stage)
    ).trim();
    expect(tarball).toBe(`${pkg.name}-${pkg.version}.tgz`);

    project = join(root, 'project');
    mkdirSync(project);
    writeFileSync(
      join(project, 'package.json'),
      JSON.stringify({
        name: 'lifeline-consumer',
        version: '1.0.0',
        private: true,
        type: 'module',
        dependencies: {
          [pkg.name]: `file:../${tarball}`,
          '@modelcontextprotocol/sdk': localVersion('@modelcontextprotocol/sdk'),
          // The README's inspector example: the WebSocket inspector lifeline inspect receives.
          '@statelyai/inspect': localVersion('@statelyai/inspect'),
          typescript: localVersion('typescript'),
          '@types/node': localVersion('@types/node'),
        },
      }),
    );
    await npm(['install', '--prefer-offline', '--ignore-scripts', '--no-audit', '--no-fund'], project);
  }, 300_000);

  afterAll(() => {
    if (root !== undefined) rmSync(root, { recursive: true, force: true });
  });

  it("compiles the README's TypeScript snippets with strict and skipLibCheck: false", async () => {
    const blocks = docBlocks('README.md', 'ts', 'typescript');
    expect(blocks.length).toBeGreaterThan(0);
    mkdirSync(join(project, 'snippets'));
    // Each block is a module of its own (top-level await), named after its line in the README.
    for (const [index, block] of blocks.entries())
      writeFileSync(
        join(project, 'snippets', `readme-${block.line}-${index}.ts`),
        `${block.code}export {};\n`,
      );
    writeFileSync(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          skipLibCheck: false,
          noEmit: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2022',
          types: ['node'],
        },
        include: ['snippets'],
      }),
    );
    const tsc = join(project, 'node_modules', 'typescript', 'bin', 'tsc');
    const compiled = await exec(process.execPath, [tsc, '-p', '.', '--pretty', 'false'], project);
    expect(compiled.stdout + compiled.stderr).toBe('');
    expect(compiled.code).toBe(0);
  }, 120_000);

  it('runs the lifeline bin', async () => {
    const help = await exec(join(project, 'node_modules', '.bin', 'lifeline'), ['--help'], project);
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/^Usage: lifeline/m);
  });

  it('loads without dockerode, whose absence a Docker transport reports by name', async () => {
    expect(existsSync(join(project, 'node_modules', 'dockerode'))).toBe(false);
    writeFileSync(
      join(project, 'docker.mjs'),
      `import { createTransport, ErrorCode, LifelineError } from '${pkg.name}';
import { createNdjsonDecoder } from '${pkg.name}/codec';
// Without dockerode a \`docker run -i\` entry stays what other hosts make of it: the docker CLI over stdio.
const cli = createTransport({ command: 'docker', args: ['run', '-i', '--rm', 'mcp/fetch'] });
const transport = createTransport({ image: 'mcp/fetch:latest' });
const error = await transport.start().then(() => undefined, (failure) => failure);
const state = transport.status.state;
await transport.close();
console.log(JSON.stringify({
  codec: typeof createNdjsonDecoder,
  dockerRunLink: cli.linkType,
  lifeline: error instanceof LifelineError,
  missing: error?.code === ErrorCode.DockerMissing,
  code: error?.code,
  retryable: error?.retryable,
  message: error?.message,
  state,
}));
`,
    );
    const result = await exec(process.execPath, ['docker.mjs'], project);
    expect(result.stderr).toBe('');
    expect(JSON.parse(result.stdout)).toEqual({
      codec: 'function',
      dockerRunLink: 'stdio',
      lifeline: true,
      missing: true,
      code: 'LIFELINE_ERR_DOCKER_MISSING',
      retryable: false,
      message: expect.stringContaining('npm install dockerode'),
      state: 'failed',
    });
  });
});
