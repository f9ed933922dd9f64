// The test image: there is no registry to pull from, so it is made with `docker import` from a root file
// system holding the node binary running the tests (/usr/bin/node), the shared libraries `ldd` lists for it
// (the dynamic loader included), /app with the fixture server and exactly the node_modules it imports, and
// /tmp. Its tag is a hash of all that content, so it is imported once and rebuilt only when something
// changes. Its CMD runs the fixture, so `docker run -i --rm --network none <image>` works bare.

import { execFileSync, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  chmodSync,
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  rmSync,
  statSync,
} from 'node:fs';
import { isBuiltin } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Readable } from 'node:stream';
import type Dockerode from 'dockerode';
import { fixturePath } from '../helpers/processes.js';
import { lockDir } from './engine.js';
import { withFileLock } from './lock.js';

export const TEST_IMAGE_REPO = 'lifeline-test-server';
/** Where the fixture lives in the image, and the image's CMD. */
export const IMAGE_NODE = '/usr/bin/node';
export const IMAGE_SERVER = '/app/stdio-server.mjs';
export const IMAGE_CMD: readonly string[] = [IMAGE_NODE, IMAGE_SERVER];
/** Bump when the layout changes in a way the content hash cannot see. */
const RECIPE = 'lifeline-test-image/1';
const BUILD_TIMEOUT_MS = 240_000;

/** One file of the root file system: where it goes in the image, and where its bytes come from. */
interface Entry {
  imagePath: string;
  hostPath: string;
  mode: number;
}

/** The shared libraries and the loader `ldd` lists for an executable (absolute host paths). */
export function sharedLibraries(executable: string): string[] {
  const out = execFileSync('ldd', [executable], { encoding: 'utf8' });
  const libs: string[] = [];
  for (const line of out.split('\n')) {
    // "libc.so.6 => /lib/x86_64-linux-gnu/libc.so.6 (0x...)" or "/lib64/ld-linux-x86-64.so.2 (0x...)";
    // linux-vdso has no file.
    const match = /=>\s*(\/\S+)\s*\(/.exec(line) ?? /^\s*(\/\S+)\s*\(/.exec(line);
    if (match?.[1] !== undefined) libs.push(match[1]);
    else if (/not found/.test(line)) throw new Error(`ldd ${executable}: ${line.trim()}`);
  }
  if (!libs.some((lib) => /\/ld-linux|\/ld-musl|\/ld64/.test(lib))) {
    throw new Error(`ldd ${executable}: no dynamic loader listed:\n${out}`);
  }
  return libs;
}

/** The specifiers a module imports (static, dynamic, require), builtins left out. */
function importSpecifiers(file: string): string[] {
  const source = readFileSync(file, 'utf8');
  const specifiers = new Set<string>();
  const patterns = [
    /\bfrom\s*['"]([^'"]+)['"]/g,
    /\bimport\s*['"]([^'"]+)['"]/g,
    /\bimport\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
    /\brequire\s*\(\s*['"]([^'"]+)['"]\s*\)/g,
  ];
  for (const pattern of patterns) {
    for (const match of source.matchAll(pattern)) {
      const specifier = match[1];
      if (specifier !== undefined && !isBuiltin(specifier)) specifiers.add(specifier);
    }
  }
  return [...specifiers];
}

/** The package name of a bare specifier: `zod/v4` -> `zod`, `@scope/pkg/sub` -> `@scope/pkg`. */
function packageName(specifier: string): string {
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] ?? specifier);
}

/** The folder of package `name` as Node would find it from `fromDir` (walking up node_modules folders). */
function packageDir(name: string, fromDir: string): string | undefined {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

/** What a set of fixture modules needs at run time. */
export interface ModuleClosure {
  /** The fixture modules and the local modules they import relatively (host paths). */
  files: string[];
  /** Every package folder needed (real host paths). */
  packages: string[];
}

/**
 * The fixtures, the local modules they import relatively, the packages they import and, recursively, those
 * packages' dependencies and installed optional dependencies, each resolved as Node would from where it
 * sits. Whole package folders are taken (a package's own files import each other freely).
 */
export function moduleClosure(entries: readonly string[]): ModuleClosure {
  const files = new Set<string>();
  const packages = new Set<string>();
  const visitPackage = (name: string, fromDir: string, optional: boolean): void => {
    const dir = packageDir(name, fromDir);
    if (dir === undefined) {
      if (optional) return;
      throw new Error(`test image: package ${name} (needed from ${fromDir}) is not installed`);
    }
    const real = realpathSync(dir);
    if (packages.has(real)) return;
    packages.add(real);
    const manifest = JSON.parse(readFileSync(join(real, 'package.json'), 'utf8')) as Record<string, unknown>;
    const deps = (key: string): string[] =>
      Object.keys((manifest[key] as Record<string, string> | undefined) ?? {});
    for (const dep of deps('dependencies')) visitPackage(dep, real, false);
    for (const dep of deps('optionalDependencies')) visitPackage(dep, real, true);
  };
  const visitFile = (file: string): void => {
    const real = realpathSync(file);
    if (files.has(real)) return;
    files.add(real);
    for (const specifier of importSpecifiers(real)) {
      if (specifier.startsWith('.')) visitFile(resolve(dirname(real), specifier));
      else if (specifier.startsWith('/'))
        throw new Error(`test image: ${real} imports an absolute path ${specifier}`);
      else visitPackage(packageName(specifier), dirname(real), false);
    }
  };
  for (const entry of entries) visitFile(entry);
  return { files: [...files], packages: [...packages] };
}

/**
 * Every regular file of a package folder (symlinks followed), as host paths; its nested node_modules are
 * left out (the packages needed from there are in the closure on their own).
 */
function filesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.name === 'node_modules') continue;
    const path = join(dir, entry.name);
    const stat = statSync(path);
    if (stat.isDirectory()) out.push(...filesUnder(path));
    else if (stat.isFile()) out.push(path);
  }
  return out;
}

export interface TestImageOptions {
  /**
   * Files of test/fixtures to put in /app, with whatever they import (default: stdio-server.mjs only,
   * which imports no package). The CMD always runs /app/stdio-server.mjs.
   */
  fixtures?: readonly string[];
  /**
   * More files, by their path in the image (absolute) and on the host, taken as they are (no imports
   * followed): the benchmark adds bench/echo-server.mjs, which imports nothing. Default none.
   */
  files?: Readonly<Record<string, string>>;
}

const DEFAULT_FIXTURES: readonly string[] = ['stdio-server.mjs'];

/** The root file system's files: node, its libraries, the fixtures and their modules and packages. */
export function imageEntries(options: TestImageOptions = {}): Entry[] {
  const fixtures = fixturePath('.');
  const entries: Entry[] = [];
  const add = (imagePath: string, hostPath: string): void => {
    const real = realpathSync(hostPath);
    entries.push({ imagePath, hostPath: real, mode: statSync(real).mode & 0o7777 });
  };
  add(IMAGE_NODE, process.execPath);
  for (const lib of sharedLibraries(process.execPath)) add(lib, lib);
  const names = options.fixtures ?? DEFAULT_FIXTURES;
  const closure = moduleClosure(
    [...new Set([...names, 'stdio-server.mjs'])].map((name) => fixturePath(name)),
  );
  for (const file of closure.files) {
    const inside = relative(fixtures, file);
    if (inside.startsWith('..')) throw new Error(`test image: ${file} is outside test/fixtures`);
    add(join('/app', inside), file);
  }
  for (const [imagePath, hostPath] of Object.entries(options.files ?? {})) {
    if (!imagePath.startsWith('/')) throw new Error(`test image: ${imagePath} is not an absolute path`);
    add(imagePath, hostPath);
  }
  // Packages keep their place relative to the node_modules folder they came from, so /app/node_modules
  // resolves exactly as the repo's node_modules does (nested copies stay nested).
  for (const dir of closure.packages) {
    const marker = `${sep}node_modules${sep}`;
    const at = dir.indexOf(marker);
    if (at === -1) throw new Error(`test image: package folder ${dir} is not inside a node_modules folder`);
    const inside = dir.slice(at + marker.length);
    for (const file of filesUnder(dir)) {
      add(join('/app/node_modules', inside, relative(dir, file)), file);
    }
  }
  entries.sort((a, b) => (a.imagePath < b.imagePath ? -1 : a.imagePath > b.imagePath ? 1 : 0));
  return entries;
}

/** The tag for these entries: a hash of every path, mode and byte, the recipe and the CMD. */
export function imageTag(entries: readonly Entry[]): string {
  const hash = createHash('sha256');
  hash.update(`${RECIPE}\n${JSON.stringify(IMAGE_CMD)}\n`);
  for (const entry of entries) {
    hash.update(`${entry.imagePath}\0${entry.mode.toString(8)}\0`);
    hash.update(readFileSync(entry.hostPath));
    hash.update('\0');
  }
  return `${TEST_IMAGE_REPO}:${hash.digest('hex').slice(0, 16)}`;
}

async function imageExists(docker: Dockerode, tag: string): Promise<boolean> {
  try {
    await docker.getImage(tag).inspect();
    return true;
  } catch (err) {
    if ((err as { statusCode?: number }).statusCode === 404) return false;
    throw err;
  }
}

/** Reads the JSON progress stream of an import; rejects on an error message in it. */
async function drainImport(stream: NodeJS.ReadableStream): Promise<void> {
  let text = '';
  for await (const chunk of stream as Readable) text += String(chunk);
  for (const line of text.split(/\r?\n/)) {
    if (line.trim() === '') continue;
    const message = JSON.parse(line) as { error?: string; errorDetail?: { message?: string } };
    if (message.error !== undefined)
      throw new Error(`docker import: ${message.errorDetail?.message ?? message.error}`);
  }
}

async function buildImage(docker: Dockerode, entries: readonly Entry[], tag: string): Promise<void> {
  const stage = mkdtempSync(join(tmpdir(), 'lifeline-rootfs-'));
  try {
    for (const entry of entries) {
      const target = join(stage, entry.imagePath);
      mkdirSync(dirname(target), { recursive: true });
      copyFileSync(entry.hostPath, target);
      chmodSync(target, entry.mode);
    }
    mkdirSync(join(stage, 'tmp'));
    chmodSync(join(stage, 'tmp'), 0o1777);
    // GNU tar (Debian's essential `tar`): owned by root, no host names or times leaking in.
    const tar = spawn(
      'tar',
      [
        '--create',
        '--numeric-owner',
        '--owner=0',
        '--group=0',
        '--mtime=@0',
        '--sort=name',
        '-C',
        stage,
        '.',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let tarErr = '';
    tar.stderr.on('data', (chunk: Buffer) => {
      tarErr += chunk.toString('utf8');
    });
    const tarDone = new Promise<void>((resolveTar, reject) => {
      tar.once('error', reject);
      tar.once('close', (code) =>
        code === 0 ? resolveTar() : reject(new Error(`tar exited with code ${code}: ${tarErr}`)),
      );
    });
    const [repo, version] = tag.split(':');
    const progress = await docker.importImage(tar.stdout, {
      repo,
      tag: version,
      changes: [`CMD ${JSON.stringify(IMAGE_CMD)}`, 'WORKDIR /app'],
    });
    await Promise.all([drainImport(progress), tarDone]);
  } finally {
    rmSync(stage, { recursive: true, force: true });
  }
}

/**
 * The tag of the test image in this engine (`lifeline-test-server:<hash>`), importing it first if the
 * engine does not have it. Workers importing at once wait for each other (one import per engine).
 */
export async function ensureTestImage(docker: Dockerode, options: TestImageOptions = {}): Promise<string> {
  const entries = imageEntries(options);
  const tag = imageTag(entries);
  if (await imageExists(docker, tag)) return tag;
  await withFileLock(join(lockDir(), 'image.lock'), BUILD_TIMEOUT_MS, async () => {
    if (await imageExists(docker, tag)) return;
    await buildImage(docker, entries, tag);
  });
  return tag;
}

/** For messages: the size of the root file system in bytes. */
export function imageBytes(entries: readonly Entry[]): number {
  return entries.reduce((sum, entry) => sum + statSync(entry.hostPath).size, 0);
}
