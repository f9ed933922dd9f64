// Profiling helper (not part of `npm run bench`): drives one stdio variant with one scenario
// for a while, so a CPU profile shows where the client's time goes.
//
//   node --cpu-prof --cpu-prof-dir=.bench-out/profiles bench/profile/main.js ours small 200000
//   node bench/profile/summary.js .bench-out/profiles/<file>.cpuprofile
//
// Arguments: variant (ours | sdk | raw | raw-detached), scenario (small | large), request count.
// (The WebSocket variants: bench/websocket/main.js --drive <variant>.)

import { drive } from '../lib/driver.js';
import { FACTORIES } from '../stdio/clients.js';
import { SCENARIOS } from '../stdio/setup.js';

const [variant = 'ours', key = 'small', countArg] = process.argv.slice(2);
if (key !== 'small' && key !== 'large') throw new Error(`scenario small or large, not ${key}`);
const factory = FACTORIES[variant];
if (factory === undefined) throw new Error(`variant ${Object.keys(FACTORIES).join(' | ')}, not ${variant}`);
const scenario = SCENARIOS[key];
const count = Number(countArg ?? scenario.count * 10);
const client = factory();
await client.start();
try {
  const result = await drive(client, {
    count,
    window: scenario.window ?? 64,
    params: scenario.params,
    firstId: 1,
    timeoutMs: 600_000,
  });
  console.log(
    `${variant} ${key}: ${count} requests, ${result.callsPerSec.toFixed(1)} calls/s, ` +
      `p50 ${result.p50Ms.toFixed(2)} ms, p99 ${result.p99Ms.toFixed(2)} ms`,
  );
} finally {
  await client.close();
}
