// The direction of imports in src/ (docs/architecture.md, "Layers"): every import runs down the
// layers below, never up or sideways, and no files import each other in a circle. A failure
// prints each offending import as `src/file.ts:line -> src/other.ts` with the rule it breaks.

import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  circles,
  describeEdge,
  directionViolations,
  type ImportEdge,
  importGraph,
  importsOf,
  layerOf,
  sourceFiles,
  type Tiers,
} from '../helpers/import-graph.js';

const SRC = resolve(fileURLToPath(import.meta.url), '..', '..', '..', 'src');

/**
 * The layers of src/, from the top down. A file may import its own layer and any layer in a
 * lower row; never a row above, never a layer beside it in its own row. Paths are relative to
 * src/; the longest matching path names a file's layer. Pure layers import no `node:` built-ins.
 */
const LAYERS: Tiers = [
  [{ name: 'index.ts (the public entry)', paths: ['index.ts'] }],
  [{ name: 'cli', paths: ['cli/'] }],
  [{ name: 'config', paths: ['config/'] }],
  [{ name: 'supervisor', paths: ['supervisor/'] }],
  [{ name: 'runtime (createTransport)', paths: ['runtime/'] }],
  [
    { name: 'runtime/lifecycle', paths: ['runtime/lifecycle/'] },
    { name: 'runtime/data-path', paths: ['runtime/data-path/'] },
  ],
  // Stats and ActorHost: types the transport shows its host, used by the rooms above too.
  [{ name: 'runtime/transport-types', paths: ['runtime/transport-types.ts'] }],
  // OpenTelemetry metrics: the transport and its data path record into them.
  [{ name: 'runtime/metrics', paths: ['runtime/metrics/'] }],
  [{ name: 'runtime/session', paths: ['runtime/session/'] }],
  [{ name: 'runtime/options', paths: ['runtime/options/'] }],
  // The journal and the control socket: the runtime feeds them, its options name their settings.
  [{ name: 'observe', paths: ['observe/'] }],
  [
    { name: 'auth', paths: ['auth/'] },
    { name: 'runtime/logger', paths: ['runtime/logger.ts'] },
  ],
  [
    { name: 'machines', paths: ['machines/'], pure: true },
    { name: 'transports', paths: ['transports/'] },
  ],
  [{ name: 'link contract', paths: ['link/'], pure: true }],
  [{ name: 'codec', paths: ['codec/'], pure: true }],
  // The error family: the barrel errors.ts (everyone's one import path) and the files it re-exports.
  // One layer, so the barrel may import errors/; a file in errors/ importing the barrel back would
  // close a circle, which the circle check refuses.
  [{ name: 'errors', paths: ['errors.ts', 'errors/'] }],
];

describe('imports in src/', () => {
  const edges = importGraph(SRC);

  it('reads every file of src/, each in a layer', () => {
    const files = sourceFiles(SRC);
    expect(files.length).toBeGreaterThan(50);
    const homeless = files.filter((file) => layerOf(LAYERS, file) === undefined);
    expect(
      homeless,
      'files in no layer: add their folder to LAYERS here and to docs/architecture.md',
    ).toEqual([]);
  });

  it('run down the layers: none imports a layer above it or beside it', () => {
    const against = directionViolations(LAYERS, edges).map(
      ({ edge, why }) => `${describeEdge(edge, 'src/')} (${why})`,
    );
    expect(against, 'imports against the direction of the layers').toEqual([]);
  });

  it('form no circle between files', () => {
    const found = circles(edges).map((cycle) => cycle.map((file) => `src/${file}`).join(' -> '));
    expect(found, 'files that import each other in a circle').toEqual([]);
  });

  it('resolve: every relative import names a file that exists', () => {
    const dangling = edges
      .filter((edge) => edge.specifier.startsWith('.') && edge.to === undefined)
      .map((edge) => describeEdge(edge, 'src/'));
    expect(dangling).toEqual([]);
  });
});

describe('the import checker', () => {
  it('reads static, type-only, re-exported, dynamic, type-position and require imports', () => {
    const text = [
      "import { a } from './a.js';",
      "import type { B } from './b.js';",
      "export * from './c.js';",
      "export { d } from './d.js';",
      "const e = await import('./e.js');",
      "type F = import('./f.js').F;",
      "const g = require('./g.js');",
      "import './h.js';",
      "const notAnImport = 'from ./i.js';",
    ].join('\n');
    expect(importsOf(text).map(({ specifier, line }) => `${line} ${specifier}`)).toEqual([
      '1 ./a.js',
      '2 ./b.js',
      '3 ./c.js',
      '4 ./d.js',
      '5 ./e.js',
      '6 ./f.js',
      '7 ./g.js',
      '8 ./h.js',
    ]);
  });

  const edge = (from: string, to: string | undefined, specifier = to ?? ''): ImportEdge => ({
    from,
    to,
    line: 1,
    specifier,
  });

  it('flags an import up, an import beside, and a built-in in a pure layer; allows one down', () => {
    const found = directionViolations(LAYERS, [
      edge('machines/connection.ts', 'runtime/transport.ts'),
      edge('machines/connection.ts', 'transports/stdio/link.ts'),
      edge('machines/connection.ts', undefined, 'node:fs'),
      edge('runtime/data-path/outbound.ts', 'runtime/lifecycle/links.ts'),
      edge('runtime/transport.ts', 'machines/connection.ts'),
      edge('transports/pipe.ts', undefined, 'node:stream'),
    ]).map(({ edge, why }) => `${describeEdge(edge)} (${why})`);
    expect(found).toEqual([
      'machines/connection.ts:1 -> runtime/transport.ts (machines imports runtime (createTransport), a layer above it)',
      'machines/connection.ts:1 -> transports/stdio/link.ts (machines imports transports, a layer beside it)',
      'machines/connection.ts:1 -> node:fs (machines is pure: no node: built-ins)',
      'runtime/data-path/outbound.ts:1 -> runtime/lifecycle/links.ts (runtime/data-path imports runtime/lifecycle, a layer beside it)',
    ]);
  });

  it('keeps the error family at the bottom: the barrel may import errors/, errors/ nothing above', () => {
    const found = directionViolations(LAYERS, [
      edge('errors.ts', 'errors/base.ts'),
      edge('errors/http.ts', 'errors/link.ts'),
      edge('errors/codec.ts', 'codec/ndjson.ts'),
      edge('codec/ndjson.ts', 'errors.ts'),
    ]).map(({ edge, why }) => `${describeEdge(edge)} (${why})`);
    expect(found).toEqual(['errors/codec.ts:1 -> codec/ndjson.ts (errors imports codec, a layer above it)']);
  });

  it('finds a circle and prints it as a path', () => {
    const found = circles([
      edge('a.ts', 'b.ts'),
      edge('b.ts', 'c.ts'),
      edge('c.ts', 'a.ts'),
      edge('c.ts', 'd.ts'),
      edge('d.ts', 'e.ts'),
    ]);
    expect(found).toEqual([['a.ts', 'b.ts', 'c.ts', 'a.ts']]);
  });
});
