// The fleet sections of `npm run bench`, many supervised WebSocket connections to one shared
// backend that restarts:
//   herd:  100 connections under one supervisor, four jitter policies side by side: when does
//          each connection retry after the backend is killed (herd.js);
//   scale: 1,000 connections in one process, bare sockets as the baseline: memory per
//          connection, the event loop, and the recovery of the supervised fleet (scale.js, its
//          children in scale-child.js).
// The settings are in setup.js, the tables and targets in report.js.
//
// Run alone: node --expose-gc bench/fleet/main.js herd|scale [--connections N] [--down-ms MS]
// (or `node --expose-gc bench/run.js herd scale`, after `npm run build`)

import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { printTargets } from '../lib/report.js';
import { runHerd } from './herd.js';
import { herdTables, herdTargets, scaleTables, scaleTargets } from './report.js';
import { runScale } from './scale.js';
import { scaleChild } from './scale-child.js';
import { HERD, SCALE } from './setup.js';

/** @import { Section } from '../lib/types.js' */
/** @import { HerdResult } from './herd.js' */
/** @import { ScaleResult } from './scale.js' */

/** @type {Section<HerdResult>} */
export const herdSection = {
  name: 'herd',
  intro: `Reconnect spread: ${HERD.servers} supervised WebSocket connections, their shared backend killed and restarted ...`,
  run: runHerd,
  tables: herdTables,
  targets: herdTargets,
};

/** @type {Section<ScaleResult>} */
export const scaleSection = {
  name: 'scale',
  intro: `Scale: ${SCALE.connections.toLocaleString('en-US')} connections in one process (bare sockets, then supervised through a backend restart) ...`,
  run: runScale,
  tables: scaleTables,
  targets: scaleTargets,
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      'scale-child': { type: 'string' },
      url: { type: 'string' },
      connections: { type: 'string' },
      'down-ms': { type: 'string' },
    },
  });
  const connections = values.connections === undefined ? undefined : Number(values.connections);
  if (values['scale-child'] !== undefined) {
    await scaleChild({
      kind: values['scale-child'],
      url: values.url ?? '',
      connections: connections ?? SCALE.connections,
    });
  } else {
    const log = (/** @type {string} */ line) => console.error(line);
    const downMs = values['down-ms'] === undefined ? undefined : Number(values['down-ms']);
    if (positionals.includes('herd')) {
      const herd = await runHerd({ log, servers: connections, downMs });
      console.log(herdTables(herd).join('\n'));
      printTargets(herdTargets(herd));
    }
    if (positionals.includes('scale') || positionals.length === 0) {
      const scale = await runScale({ log, connections, downMs });
      console.log(scaleTables(scale).join('\n'));
      printTargets(scaleTargets(scale));
    }
  }
}
