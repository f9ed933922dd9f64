// The journal: a bounded ring per connection fed by a real transport's life (a stdio server
// killed and restarted, a legacy session re-established for an SDK Client), its JSON-lines file
// rotated at maxBytes, a failing disk reported once, and no secret in it (configured env values
// and header values, even when a server echoes them in its error output).

import { mkdirSync, readdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/index.js';
import { ConfigError } from '../../src/errors.js';
import { createSupervisor } from '../../src/index.js';
import type { JournalEntry } from '../../src/observe/journal/entry.js';
import { ConnectionJournal } from '../../src/observe/journal/journal.js';
import { DEFAULT_JOURNAL } from '../../src/observe/journal/options.js';
import { createTransport } from '../../src/runtime/transport.js';
import { useFixtureHarness } from '../helpers/fixture-harness.js';
import { tempFile, waitFor } from '../helpers/processes.js';

const { fixture, open } = useFixtureHarness('journal');
const servers: Server[] = [];
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((close) => close()));
  await Promise.all(servers.splice(0).map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A clock whose timers are real and whose time is ours: every entry's `t` comes from it. */
function steppedClock(start: number): {
  setTimeout: typeof setTimeout;
  clearTimeout: (id: unknown) => void;
  now: () => number;
} {
  let t = start;
  return {
    setTimeout: ((fn: () => void, ms: number) => setTimeout(fn, ms)) as typeof setTimeout,
    clearTimeout: (id) => clearTimeout(id as NodeJS.Timeout),
    now: () => {
      t += 1;
      return t;
    },
  };
}

function kinds(entries: readonly JournalEntry[]): string[] {
  return entries.map((entry) => (entry.kind === 'state' ? `${entry.from}->${entry.to}` : entry.kind));
}

describe('the journal ring', () => {
  it('keeps the newest entries, numbered, stamped by the clock it is given', () => {
    let now = 5000;
    const journal = new ConnectionJournal({
      name: 'x',
      config: { ...DEFAULT_JOURNAL, entries: 3 },
      now: () => now++,
      secrets: [],
    });
    for (let attempt = 1; attempt <= 5; attempt += 1) journal.record({ kind: 'attempt', attempt });
    expect(journal.entries()).toEqual([
      { t: 5002, seq: 3, kind: 'attempt', attempt: 3 },
      { t: 5003, seq: 4, kind: 'attempt', attempt: 4 },
      { t: 5004, seq: 5, kind: 'attempt', attempt: 5 },
    ]);
    expect(journal.entries(1).map((entry) => entry.seq)).toEqual([5]);
    expect(journal.size).toBe(3);
  });

  it('keeps heartbeats in a ring of their own, so they never push state changes out', () => {
    const journal = new ConnectionJournal({
      name: 'x',
      config: { ...DEFAULT_JOURNAL, entries: 4 },
      now: () => 1,
      secrets: [],
    });
    journal.record({ kind: 'state', from: 'idle', to: 'connecting', attempt: 0 });
    journal.record({ kind: 'state', from: 'connecting', to: 'open', attempt: 0 });
    for (let i = 0; i < 100; i += 1) journal.record({ kind: 'heartbeat', rttMs: i });
    journal.record({ kind: 'attempt', attempt: 1 });
    expect(kinds(journal.entries())).toEqual([
      'idle->connecting',
      'connecting->open',
      'heartbeat',
      'heartbeat',
      'heartbeat',
      'heartbeat',
      'attempt',
    ]);
    expect(journal.entries(2).map((entry) => entry.seq)).toEqual([102, 103]);
    expect(journal.capacity).toBe(8);
  });

  it('records a stdio connection killed and back: states, the error, the attempt, on the injected clock', async () => {
    const clock = steppedClock(1_000_000);
    const transport = open(fixture({}, { clock, reconnect: { initialDelayMs: 30, jitter: 0 } }));
    await transport.start();
    const pid = transport.pid as number;
    process.kill(pid, 'SIGKILL');
    await waitFor(() => transport.state === 'open' && transport.pid !== pid, { message: 'never came back' });
    const entries = transport.journal?.entries() ?? [];
    expect(kinds(entries)).toEqual([
      'idle->connecting',
      'connecting->open',
      'error',
      'open->reconnecting',
      'reconnecting->connecting',
      'attempt',
      'connecting->open',
    ]);
    const down = entries.find((entry) => entry.kind === 'state' && entry.to === 'reconnecting');
    expect(down).toMatchObject({ attempt: 1, delayMs: 30, error: { code: 'LIFELINE_ERR_PROCESS_EXIT' } });
    expect(entries.every((entry) => entry.t > 1_000_000 && entry.t < 1_001_000)).toBe(true);
    expect(entries.map((entry) => entry.seq)).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('records the legacy session re-established for an SDK Client', async () => {
    const transport = open(fixture());
    const client = new Client({ name: 'journal-test', version: '1.0.0' });
    await client.connect(transport);
    closers.push(() => client.close());
    process.kill(transport.pid as number, 'SIGKILL');
    await waitFor(() => transport.stats.reestablished === 1, { message: 'no re-established session' });
    const session = transport.journal?.entries().find((entry) => entry.kind === 'session');
    expect(session).toMatchObject({ kind: 'session', reestablished: 1, protocolVersion: expect.any(String) });
  });

  it("records the heartbeat's round trip to a quiet legacy server", async () => {
    const transport = open(fixture({}, { heartbeat: { intervalMs: 40, timeoutMs: 2000 } }));
    const client = new Client({ name: 'journal-test', version: '1.0.0' });
    await client.connect(transport);
    closers.push(() => client.close());
    await waitFor(() => transport.journal?.entries().some((entry) => entry.kind === 'heartbeat') ?? false, {
      message: 'no heartbeat recorded',
    });
    const beat = transport.journal?.entries().find((entry) => entry.kind === 'heartbeat');
    expect(beat).toMatchObject({ kind: 'heartbeat', rttMs: expect.any(Number) });
    expect((beat as { rttMs: number }).rttMs).toBeGreaterThanOrEqual(0);
    expect((beat as { rttMs: number }).rttMs).toBeLessThan(2000);
  });

  it('is off with journal: false', async () => {
    const transport = open(fixture({}, { journal: false }));
    await transport.start();
    expect(transport.journal).toBeUndefined();
  });
});

describe('secrets', () => {
  it('never holds a configured env value, even when the server prints it before it dies', async () => {
    const file = tempFile('journal-secrets');
    const env = {
      API_TOKEN: 'tok-3f9a1c77e2b04d5f',
      DATABASE_URL: 'postgres://app:hunter2-pw-77@db.internal/app',
    };
    const script =
      'console.error("token=" + process.env.API_TOKEN + " db=" + process.env.DATABASE_URL); process.exit(4)';
    const transport = open({
      command: process.execPath,
      args: ['-e', script],
      env,
      stderr: 'diagnostics',
      reconnect: { initialDelayMs: 10, jitter: 0, maxAttempts: 2 },
      journal: { file },
    });
    await transport.start().catch(() => {});
    await waitFor(() => transport.state === 'failed', { message: 'never failed' });
    await transport.close();
    const entries = JSON.stringify(transport.journal?.entries());
    const written = readFileSync(file, 'utf8');
    expect(written).toContain('[redacted]');
    for (const text of [entries, written]) {
      for (const value of Object.values(env)) expect(text).not.toContain(value);
      expect(text).toContain('LIFELINE_ERR_PROCESS_EXIT');
    }
  });

  it('never holds a configured header value, even when the server echoes it in its error', async () => {
    // A 503 takes the link down (a retryable failure), so its error reaches the journal.
    const server = createServer((request, response) => {
      response.writeHead(503, { 'content-type': 'application/json' });
      response.end(JSON.stringify({ error: `bad credentials: ${request.headers.authorization}` }));
    });
    servers.push(server);
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const { port } = server.address() as AddressInfo;
    const secret = 'Bearer hdr-9d2e7b1f44c0a8';
    const transport = createTransport({
      url: `http://127.0.0.1:${port}/mcp`,
      type: 'http',
      headers: { Authorization: secret },
      reconnect: { initialDelayMs: 10, jitter: 0, maxAttempts: 1 },
    });
    closers.push(() => transport.close());
    const client = new Client({ name: 'journal-test', version: '1.0.0' });
    await client.connect(transport).catch(() => {});
    await waitFor(() => transport.journal?.entries().some((entry) => entry.kind === 'error') ?? false, {
      message: 'no error recorded',
    });
    const text = JSON.stringify(transport.journal?.entries());
    expect(text).toContain('LIFELINE_ERR_HTTP');
    expect(text).toContain('[redacted]');
    expect(text).not.toContain('hdr-9d2e7b1f44c0a8');
  });
});

describe('the journal file', () => {
  it('rotates at maxBytes, keeping `keep` older files, every line whole JSON', async () => {
    const file = tempFile('journal-rotate');
    const journal = new ConnectionJournal({
      name: 'rotating',
      config: { ...DEFAULT_JOURNAL, file, maxBytes: 4096, keep: 2 },
      now: () => 1,
      secrets: [],
    });
    for (let i = 1; i <= 400; i += 1)
      journal.record({ kind: 'error', error: { code: 'LIFELINE_ERR_NETWORK', message: `refused #${i}` } });
    await journal.release();
    const dir = join(file, '..');
    const base = file.split('/').pop() as string;
    expect(readdirSync(dir).sort()).toEqual([base, `${base}.1`, `${base}.2`]);
    const lines: { seq: number; connection: string }[] = [];
    for (const name of [`${file}.2`, `${file}.1`, file]) {
      expect(statSync(name).size).toBeLessThanOrEqual(4096);
      expect(statSync(name).mode & 0o777).toBe(0o600);
      for (const line of readFileSync(name, 'utf8').trimEnd().split('\n')) lines.push(JSON.parse(line));
    }
    // The newest entries, in order, with no gap: older ones went with the rotated-out files.
    const seqs = lines.map((line) => line.seq);
    expect(seqs.at(-1)).toBe(400);
    expect(seqs).toEqual(seqs.map((_, index) => (seqs[0] as number) + index));
    expect(lines.every((line) => line.connection === 'rotating')).toBe(true);
  });

  it('keeps going in memory when the disk refuses, and says so once', async () => {
    const dir = tempFile('journal-refused');
    mkdirSync(dir);
    const blocker = join(dir, 'not-a-dir');
    writeFileSync(blocker, '');
    const failures: Error[] = [];
    const journal = new ConnectionJournal({
      name: 'x',
      config: { ...DEFAULT_JOURNAL, file: join(blocker, 'journal.log') },
      now: () => 1,
      secrets: [],
      onFileError: (error) => failures.push(error),
    });
    for (let attempt = 1; attempt <= 20; attempt += 1) {
      journal.record({ kind: 'attempt', attempt });
      await new Promise((resolve) => setImmediate(resolve));
    }
    await journal.release();
    expect(failures).toHaveLength(1);
    expect(journal.size).toBe(20);
  });

  it('is one file for a supervisor, each line naming its server', async () => {
    const file = tempFile('journal-fleet');
    const supervisor = createSupervisor({
      servers: { a: fixture(), b: fixture() },
      journal: { file },
    });
    closers.push(() => supervisor.close());
    await supervisor.start();
    await supervisor.close();
    await waitFor(() => readFileSync(file, 'utf8').includes('"to":"idle"'), { message: 'nothing written' });
    const names = new Set(
      readFileSync(file, 'utf8')
        .trimEnd()
        .split('\n')
        .map((line) => (JSON.parse(line) as { connection: string }).connection),
    );
    expect([...names].sort()).toEqual(['a', 'b']);
  });
});

describe('configuration', () => {
  it('names a misspelled journal key, a bad value, and a misspelled control key', () => {
    const bad = () =>
      createTransport({
        command: 'x',
        journal: { maxbytes: 10, keep: -1 } as never,
        control: { nmae: 'x' } as never,
      });
    expect(bad).toThrow(ConfigError);
    try {
      bad();
    } catch (error) {
      expect((error as ConfigError).problems).toEqual([
        'journal.maxbytes: unknown key; did you mean "maxBytes"?',
        'control.nmae: unknown key; did you mean "name"?',
        'journal.keep: expected a whole number >= 0, got -1',
      ]);
    }
  });

  it("reads lifeline.journal and lifeline.control from a config file, the file's path against its folder", () => {
    const loaded = parseConfig(
      {
        mcpServers: { one: { command: 'x' } },
        lifeline: { journal: { file: 'logs/journal.jsonl', keep: 1 }, control: { name: 'desk' } },
      },
      { path: '/work/project/mcp.json' },
    );
    expect(loaded.journal).toEqual({ file: '/work/project/logs/journal.jsonl', keep: 1 });
    expect(loaded.servers[0]?.config).toMatchObject({
      journal: { file: '/work/project/logs/journal.jsonl', keep: 1 },
      control: { name: 'desk' },
    });
    expect(() =>
      parseConfig(
        { mcpServers: { one: { command: 'x' } }, lifeline: { jurnal: {} } },
        { path: '/p/mcp.json' },
      ),
    ).toThrow(/lifeline\.jurnal: unknown key; did you mean "journal"\?/);
  });
});
