/**
 * The import graph of a source tree, and the two checks docs/architecture.md ("Layers") states:
 * every import runs down the layers, and no files import each other in a circle. Parsing uses
 * the TypeScript compiler's own parser, so every form counts: `import`, `import type`,
 * `export … from`, dynamic `import()`, `import('…').T` in a type, and `require()`.
 */

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import ts from 'typescript';

/** One import: the file that imports, the line, and what it names. */
export interface ImportEdge {
  /** Path of the importing file, relative to the root, with `/` separators. */
  from: string;
  line: number;
  /** The specifier as written. */
  specifier: string;
  /** The imported file relative to the root, when the specifier is relative and resolves. */
  to: string | undefined;
}

/** A layer: the files whose root-relative path starts with one of `paths` (most specific wins). */
export interface Layer {
  name: string;
  paths: readonly string[];
  /** No `node:` built-ins here (pure code: no I/O, no timers of its own). */
  pure?: boolean;
}

/** The layers from the top down; the layers of one tier sit side by side and never import each other. */
export type Tiers = readonly (readonly Layer[])[];

/** An import against the rules, ready to print. */
export interface Violation {
  edge: ImportEdge;
  why: string;
}

const SOURCE = /\.(ts|mts|cts|tsx)$/;

function posix(path: string): string {
  return path.split(sep).join('/');
}

/** Every TypeScript source file under `dir`, relative to it, sorted. */
export function sourceFiles(dir: string): string[] {
  const walk = (at: string): string[] =>
    readdirSync(at, { withFileTypes: true }).flatMap((entry) => {
      const path = join(at, entry.name);
      if (entry.isDirectory()) return walk(path);
      return SOURCE.test(entry.name) && !entry.name.endsWith('.d.ts') ? [path] : [];
    });
  return walk(dir)
    .map((path) => posix(relative(dir, path)))
    .sort();
}

/** The specifiers a source text imports, with their lines (every form; see the file's header). */
export function importsOf(text: string, fileName = 'file.ts'): { specifier: string; line: number }[] {
  const file = ts.createSourceFile(fileName, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const found: { specifier: string; line: number }[] = [];
  const add = (literal: ts.Node | undefined): void => {
    if (literal === undefined || !ts.isStringLiteralLike(literal)) return;
    const line = file.getLineAndCharacterOfPosition(literal.getStart(file)).line + 1;
    found.push({ specifier: literal.text, line });
  };
  const visit = (node: ts.Node): void => {
    if (ts.isImportDeclaration(node) || ts.isExportDeclaration(node)) add(node.moduleSpecifier);
    else if (ts.isImportEqualsDeclaration(node) && ts.isExternalModuleReference(node.moduleReference))
      add(node.moduleReference.expression);
    else if (ts.isImportTypeNode(node) && ts.isLiteralTypeNode(node.argument)) add(node.argument.literal);
    else if (ts.isCallExpression(node)) {
      const callee = node.expression;
      const dynamic = callee.kind === ts.SyntaxKind.ImportKeyword;
      const required = ts.isIdentifier(callee) && callee.text === 'require';
      if (dynamic || required) add(node.arguments[0]);
    }
    ts.forEachChild(node, visit);
  };
  visit(file);
  return found;
}

/** The file a relative specifier names (`./x.js` is `x.ts` in the sources), relative to `root`. */
function resolveSpecifier(root: string, from: string, specifier: string): string | undefined {
  if (!specifier.startsWith('.')) return undefined;
  const base = resolve(root, dirname(from), specifier);
  const candidates = [
    base.replace(/\.js$/, '.ts'),
    base.replace(/\.mjs$/, '.mts'),
    base.replace(/\.cjs$/, '.cts'),
    base,
    `${base}.ts`,
    join(base, 'index.ts'),
  ];
  const hit = candidates.find((path) => existsSync(path) && statSync(path).isFile());
  return hit === undefined ? undefined : posix(relative(root, hit));
}

/** Every import of every source file under `root`. */
export function importGraph(root: string): ImportEdge[] {
  return sourceFiles(root).flatMap((from) =>
    importsOf(readFileSync(join(root, from), 'utf8'), from).map(({ specifier, line }) => ({
      from,
      line,
      specifier,
      to: resolveSpecifier(root, from, specifier),
    })),
  );
}

/** The layer a file belongs to (the longest matching path wins), with its tier (0 is the top). */
export function layerOf(tiers: Tiers, file: string): { layer: Layer; tier: number } | undefined {
  let best: { layer: Layer; tier: number; length: number } | undefined;
  tiers.forEach((layers, tier) => {
    for (const layer of layers)
      for (const path of layer.paths)
        if (file.startsWith(path) && path.length > (best?.length ?? -1))
          best = { layer, tier, length: path.length };
  });
  return best === undefined ? undefined : { layer: best.layer, tier: best.tier };
}

/** Where an edge points, for messages: `src/a.ts:12 -> src/b.ts`. */
export function describeEdge(edge: ImportEdge, prefix = ''): string {
  return `${prefix}${edge.from}:${edge.line} -> ${edge.to === undefined ? edge.specifier : `${prefix}${edge.to}`}`;
}

/**
 * The imports that run against the layers: to a layer above, to a layer beside (same tier),
 * or, from a pure layer, to a `node:` built-in.
 */
export function directionViolations(tiers: Tiers, edges: readonly ImportEdge[]): Violation[] {
  const violations: Violation[] = [];
  for (const edge of edges) {
    const from = layerOf(tiers, edge.from);
    if (from === undefined) continue;
    if (edge.to === undefined) {
      const builtin = edge.specifier.startsWith('node:');
      if (builtin && from.layer.pure === true)
        violations.push({ edge, why: `${from.layer.name} is pure: no node: built-ins` });
      continue;
    }
    const to = layerOf(tiers, edge.to);
    if (to === undefined || to.layer === from.layer) continue;
    if (to.tier < from.tier)
      violations.push({ edge, why: `${from.layer.name} imports ${to.layer.name}, a layer above it` });
    else if (to.tier === from.tier)
      violations.push({ edge, why: `${from.layer.name} imports ${to.layer.name}, a layer beside it` });
  }
  return violations;
}

/**
 * The circles between files: one shortest cycle per strongly connected group (Tarjan), each as
 * the list of files around it, the first repeated at the end.
 */
export function circles(edges: readonly ImportEdge[]): string[][] {
  const next = new Map<string, Set<string>>();
  for (const { from, to } of edges) {
    if (to === undefined || to === from) continue;
    if (!next.has(from)) next.set(from, new Set());
    next.get(from)?.add(to);
    if (!next.has(to)) next.set(to, new Set());
  }
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const groups: string[][] = [];
  let counter = 0;
  const connect = (node: string): void => {
    index.set(node, counter);
    low.set(node, counter);
    counter += 1;
    stack.push(node);
    onStack.add(node);
    for (const target of next.get(node) ?? []) {
      if (!index.has(target)) {
        connect(target);
        low.set(node, Math.min(low.get(node) as number, low.get(target) as number));
      } else if (onStack.has(target)) {
        low.set(node, Math.min(low.get(node) as number, index.get(target) as number));
      }
    }
    if (low.get(node) === index.get(node)) {
      const group: string[] = [];
      let member: string;
      do {
        member = stack.pop() as string;
        onStack.delete(member);
        group.push(member);
      } while (member !== node);
      if (group.length > 1) groups.push(group);
    }
  };
  for (const node of [...next.keys()].sort()) if (!index.has(node)) connect(node);
  return groups.map((group) => shortestCycle(next, new Set(group)));
}

/** A shortest cycle through the group's first file (sorted), found breadth-first inside the group. */
function shortestCycle(next: Map<string, Set<string>>, group: Set<string>): string[] {
  const start = [...group].sort()[0] as string;
  const parent = new Map<string, string>();
  const queue = [start];
  while (queue.length > 0) {
    const node = queue.shift() as string;
    for (const target of next.get(node) ?? []) {
      if (!group.has(target)) continue;
      if (target === start) {
        const path = [node];
        while (path[0] !== start) path.unshift(parent.get(path[0] as string) as string);
        return [...path, start];
      }
      if (!parent.has(target)) {
        parent.set(target, node);
        queue.push(target);
      }
    }
  }
  return [...group];
}
