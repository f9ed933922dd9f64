// Issue 16 review: the wait before a broken response stream is resumed (the server's `retry:`,
// unclamped) ended only when its timer fired, whatever became of the link. A server that named a
// long `retry:` and then broke the stream left a timer that held the process open long after
// `transport.close()`: a CLI or an agent that closes its transport and expects to exit did not, for
// as long as the server asked (here 10 minutes). The wait now ends with the link. Checked in a real
// child process (the built library, dist/), which must exit on its own once it closed everything.

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { killQuietly } from '../helpers/processes.js';

const DIST = new URL('../../dist/index.js', import.meta.url);
/** How long the child may take to exit after it closed everything. */
const EXIT_MS = 4000;

const script = (entry: string, what: 'resume' | 'token') => `
  import { createServer } from 'node:http';
  import { createTransport } from ${JSON.stringify(entry)};
  const server = createServer((request, response) => {
    if (request.method === 'DELETE') return response.writeHead(200).end();
    let body = '';
    request.on('data', (chunk) => (body += chunk));
    request.on('end', () => {
      const rpc = request.method === 'POST' ? JSON.parse(body) : undefined;
      if (request.method === 'POST' && rpc.id === undefined) return response.writeHead(202).end();
      if (request.method === 'GET' && request.headers['last-event-id'] === undefined)
        return response.writeHead(405).end();
      // A request's stream (or a resumed one): an event id, a retry of 10 minutes, then a cut.
      response.writeHead(200, { 'content-type': 'text/event-stream' });
      response.write('id: e1\\nretry: 600000\\ndata: \\n\\n');
      setTimeout(() => response.socket.destroy(), 20);
    });
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  const transport = createTransport({
    url: 'http://127.0.0.1:' + server.address().port + '/mcp',
    heartbeat: { intervalMs: 0 },
    timeouts: { closeMs: 200 },
  });
  transport.onerror = () => {};
  let answered;
  const answer = new Promise((resolve) => (answered = resolve));
  transport.onmessage = (message) => answered(message);
  await transport.start();
  const options = ${what === 'token' ? "{ resumptionToken: 'e0', onresumptiontoken: () => {} }" : '{}'};
  await transport.send({ jsonrpc: '2.0', id: 1, method: 'slow' }, options);
  // The stream is cut and the link waits the server's retry before resuming it.
  await new Promise((resolve) => setTimeout(resolve, 300));
  await transport.close();
  const message = await answer;
  server.closeAllConnections();
  server.close();
  process.stdout.write('closed ' + JSON.stringify(message.error?.data ?? message) + '\\n');
`;

const children: number[] = [];
afterEach(() => {
  for (const pid of children.splice(0)) killQuietly(pid);
});

/** Runs the script; resolves with what it printed and how long it lived after printing. */
function run(what: 'resume' | 'token'): Promise<{ stdout: string; stderr: string; exitedAfterMs: number }> {
  const child = spawn(process.execPath, ['--input-type=module', '-e', script(DIST.href, what)], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child.pid as number);
  let stdout = '';
  let stderr = '';
  let closedAt: number | undefined;
  child.stdout.on('data', (chunk: Buffer) => {
    stdout += chunk.toString();
    if (closedAt === undefined && stdout.includes('closed')) closedAt = Date.now();
  });
  child.stderr.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  return new Promise((resolve) => {
    const give = setTimeout(() => {
      child.kill('SIGKILL');
    }, 15_000);
    child.once('exit', () => {
      clearTimeout(give);
      resolve({ stdout, stderr, exitedAfterMs: closedAt === undefined ? Number.NaN : Date.now() - closedAt });
    });
  });
}

describe("a broken response stream's resume wait ends with its link", () => {
  it.each([
    ['a request whose own stream broke (legacy resume)', 'resume' as const],
    ['a request resumed from a resumptionToken', 'token' as const],
  ])(
    '%s: the process exits once the transport is closed',
    async (_name, what) => {
      expect(existsSync(fileURLToPath(DIST)), 'run npm run build first').toBe(true);
      const { stdout, stderr, exitedAfterMs } = await run(what);
      expect(stdout, stderr).toContain('closed');
      expect(exitedAfterMs, `${stdout}${stderr}`).toBeLessThan(EXIT_MS);
    },
    30_000,
  );
});
