// Minimal NDJSON echo server for benchmarks (zero dependencies).
// For every request (a message with both `id` and `method`) it immediately writes
//   {"jsonrpc":"2.0","id":<id>,"result":{"echo":<params>}}
// Notifications and anything else are ignored. Exits when stdin ends.
//
// Input is buffered as a list of chunks and joined only when a newline arrives, so a 9 MB message
// costs O(size), not O(size * chunks). Replies produced from one input chunk go out in one write.

import process from 'node:process';

let pending = [];

function reply(line, out) {
  if (line.length === 0) return;
  let msg;
  try {
    msg = JSON.parse(line);
  } catch {
    return;
  }
  if (msg === null || typeof msg !== 'object' || msg.id === undefined || typeof msg.method !== 'string')
    return;
  out.push(
    `{"jsonrpc":"2.0","id":${JSON.stringify(msg.id)},"result":{"echo":${JSON.stringify(msg.params ?? null)}}}\n`,
  );
}

process.stdin.on('data', (chunk) => {
  const out = [];
  let start = 0;
  let nl = chunk.indexOf(10, start);
  while (nl !== -1) {
    const piece = chunk.subarray(start, nl);
    const line = pending.length === 0 ? piece : Buffer.concat([...pending, piece]);
    pending = [];
    reply(line.toString('utf8'), out);
    start = nl + 1;
    nl = chunk.indexOf(10, start);
  }
  if (start < chunk.length) pending.push(chunk.subarray(start));
  if (out.length > 0) process.stdout.write(out.length === 1 ? out[0] : out.join(''));
});

process.stdin.on('end', () => {
  if (pending.length > 0) {
    const out = [];
    reply(Buffer.concat(pending).toString('utf8'), out);
    pending = [];
    if (out.length > 0) process.stdout.write(out.join(''));
  }
  // Nothing else keeps the event loop alive: the process exits once stdout has flushed.
});

process.stdout.on('error', () => process.exit(0));
