// Real child processes running the token store's own code: the TypeScript sources a script needs are
// transpiled (TypeScript's transpileModule, no type check) into a temporary folder whose node_modules is a
// link to the repository's, so `node script.mjs` runs them as they are, without building dist/.

import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

const repoRoot = resolve(fileURLToPath(import.meta.url), '..', '..', '..');

/** A folder with transpiled sources; `import('./src/auth/file-store.js')` works from a script in it. */
export interface ChildSources {
  dir: string;
  /** Writes a script (ESM) into the folder and returns its path. */
  script(name: string, source: string): string;
  close(): void;
}

/** Transpiles `entries` (paths under src/, `.ts`) and every relative module they import. */
export function childSources(entries: readonly string[]): ChildSources {
  const dir = mkdtempSync(join(tmpdir(), 'lifeline-auth-child-'));
  writeFileSync(join(dir, 'package.json'), '{"type":"module"}\n');
  symlinkSync(join(repoRoot, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const pending = entries.map((entry) => resolve(repoRoot, entry));
  const done = new Set<string>();
  while (pending.length > 0) {
    const file = pending.pop() as string;
    if (done.has(file)) continue;
    done.add(file);
    const source = readFileSync(file, 'utf8');
    for (const match of source.matchAll(/from '(\.{1,2}\/[^']+)\.js'|import\('(\.{1,2}\/[^']+)\.js'\)/g)) {
      const spec = match[1] ?? match[2];
      if (spec !== undefined) pending.push(resolve(dirname(file), `${spec}.ts`));
    }
    const output = ts.transpileModule(source, {
      compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
      fileName: file,
    }).outputText;
    const target = join(dir, relative(repoRoot, file)).replace(/\.ts$/, '.js');
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, output);
  }
  return {
    dir,
    script(name, source) {
      const path = join(dir, name);
      writeFileSync(path, source);
      return path;
    },
    close() {
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** A running script: its output so far, line waits, and its end. */
export interface Child {
  process: ChildProcessWithoutNullStreams;
  stdout(): string;
  stderr(): string;
  /** Resolves with the first stdout line matching `pattern` (waits for it). */
  line(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  close(): void;
}

/** Runs `node script` with `env` added. */
export function runChild(script: string, args: readonly string[] = [], env: NodeJS.ProcessEnv = {}): Child {
  const child = spawn(process.execPath, [script, ...args], {
    env: { ...process.env, ...env },
    stdio: 'pipe',
  });
  let out = '';
  let err = '';
  const watchers = new Set<() => void>();
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const watcher of watchers) watcher();
  });
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolveExit) => {
    child.on('close', (code, signal) => {
      for (const watcher of watchers) watcher();
      resolveExit({ code, signal });
    });
  });
  return {
    process: child,
    stdout: () => out,
    stderr: () => err,
    exited,
    line(pattern, timeoutMs = 10_000) {
      return new Promise((resolveLine, reject) => {
        const check = (): void => {
          const found = out.split('\n').find((l) => pattern.test(l));
          if (found !== undefined) {
            cleanup();
            resolveLine(found);
          } else if (child.exitCode !== null || child.signalCode !== null) {
            cleanup();
            reject(new Error(`child exited before printing ${pattern}:\n${out}\n${err}`));
          }
        };
        const timer = setTimeout(() => {
          cleanup();
          reject(new Error(`child did not print ${pattern} within ${timeoutMs} ms:\n${out}\n${err}`));
        }, timeoutMs);
        const cleanup = (): void => {
          clearTimeout(timer);
          watchers.delete(check);
        };
        watchers.add(check);
        check();
      });
    },
    close() {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}
