// Reading whole config files as each host writes them (the examples in docs/configuration.md,
// from test/fixtures/config), and the file-level problems: every one reported at once, each
// naming the server and the key, none quoting a secret.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell variables as ${…} in plain strings.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadConfigFile, parseConfig } from '../../src/config/index.js';
import { ConfigError, ErrorCode, LifelineError } from '../../src/errors.js';
import { resolveConfig } from '../../src/runtime/options/resolve.js';
import { configFileError, fixture, useTempDirs } from './files.js';

const make = useTempDirs();

/** The problems a config value raises (none: the test fails). */
function problemsOf(value: unknown): readonly string[] {
  return configFileError(() => parseConfig(value, { env: {}, baseDir: '/srv' })).problems;
}

describe('loadConfigFile: the hosts’ example files', () => {
  it('reads a Claude Desktop file, lifting docker run -i and merging the lifeline policy', () => {
    const dir = make({ 'claude_desktop_config.json': fixture('claude_desktop_config.json') });
    const loaded = loadConfigFile(join(dir, 'claude_desktop_config.json'), { env: {} });
    expect(loaded.path).toBe(join(dir, 'claude_desktop_config.json'));
    expect(loaded.format).toBe('mcpServers');
    expect(loaded.servers.map((s) => [s.name, s.type])).toEqual([
      ['filesystem', 'stdio'],
      ['github', 'docker'],
      ['notes', 'http'],
    ]);
    expect(loaded.defaults).toEqual({
      reconnect: { maxAttempts: 10, maxDelayMs: 60000 },
      heartbeat: { intervalMs: 15000 },
    });
    const [filesystem, github, notes] = loaded.servers;
    expect(filesystem?.config).toEqual({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-filesystem', '/Users/me/Desktop'],
      reconnect: { maxAttempts: 10, maxDelayMs: 60000 },
      heartbeat: { intervalMs: 15000 },
    });
    expect(github?.config).toMatchObject({
      command: 'docker',
      reconnect: { maxAttempts: Number.POSITIVE_INFINITY, maxDelayMs: 60000 },
      timeouts: { connectMs: 120000 },
    });
    expect(notes?.config).toMatchObject({ url: 'https://notes.example.com/mcp' });
    expect(notes?.config).not.toHaveProperty('type');
    for (const server of loaded.servers) expect(() => resolveConfig(server.config)).not.toThrow();
  });

  it('reads a Cursor file: env interpolation, serverUrl, envFile, and disabled entries left out', () => {
    const dir = make({
      '.cursor/mcp.json': fixture('cursor-mcp.json'),
      '.cursor/.env.mcp': fixture('env.mcp'),
    });
    const loaded = loadConfigFile(join(dir, '.cursor', 'mcp.json'), {
      env: { CONTEXT7_API_KEY: 'c7-key', DATABASE_URL: 'postgres://db.internal/app' },
    });
    expect(loaded.servers.map((s) => [s.name, s.type])).toEqual([
      ['linear', 'http'],
      ['context7', 'http'],
      ['agents', 'ws'],
      ['postgres', 'stdio'],
    ]);
    const byName = Object.fromEntries(loaded.servers.map((s) => [s.name, s.config]));
    expect(byName.linear).toEqual({ url: 'https://mcp.linear.app/sse', timeouts: { connectMs: 30000 } });
    expect(byName.context7).toEqual({
      url: 'https://mcp.context7.com/mcp',
      headers: { CONTEXT7_API_KEY: 'c7-key' },
      timeouts: { connectMs: 30000 },
      queue: { maxMessages: 100 },
    });
    expect(byName.agents).toEqual({ url: 'wss://agents.example.com/mcp', timeouts: { connectMs: 30000 } });
    expect(byName.postgres).toMatchObject({
      args: ['-y', '@modelcontextprotocol/server-postgres', 'postgres://db.internal/app'],
      env: { LOG_LEVEL: 'info', MEMORY_FILE: '/tmp/memory.json', GREETING: 'hello # not a comment' },
    });
  });

  it('reads a VS Code file with comments: ${workspaceFolder} is the folder holding .vscode', () => {
    const dir = make({ '.vscode/mcp.json': fixture('vscode-mcp.jsonc'), '.env.mcp': fixture('env.mcp') });
    const loaded = loadConfigFile(join(dir, '.vscode', 'mcp.json'), { env: { GITHUB_TOKEN: 'gh-token' } });
    expect(loaded.format).toBe('servers');
    expect(loaded.servers.map((s) => [s.name, s.type])).toEqual([
      ['fetch', 'stdio'],
      ['memory', 'stdio'],
      ['github', 'http'],
      ['legacy', 'sse'],
      ['fetch-container', 'docker'],
    ]);
    const byName = Object.fromEntries(loaded.servers.map((s) => [s.name, s.config]));
    expect(byName.memory).toEqual({
      type: 'stdio',
      command: 'node',
      args: [join(dir, 'servers', 'memory.js')],
      env: { LOG_LEVEL: 'debug', MEMORY_FILE: '/tmp/memory.json', GREETING: 'hello # not a comment' },
      cwd: join(dir, 'servers'),
      reconnect: { initialDelayMs: 500, maxAttempts: 3 },
      limits: { maxMessageBytes: 33554432 },
    });
    expect(byName.github).toMatchObject({ type: 'http', headers: { Authorization: 'Bearer gh-token' } });
    expect(byName.legacy).toMatchObject({ type: 'sse', url: 'http://localhost:3001/sse' });
    expect(byName['fetch-container']).toMatchObject({
      type: 'docker',
      image: 'mcp/fetch',
      network: 'bridge',
    });
    for (const server of loaded.servers) expect(() => resolveConfig(server.config)).not.toThrow();
  });

  it('keeps docs/configuration.md showing the example files as they are', () => {
    const docs = readFileSync(new URL('../../docs/configuration.md', import.meta.url), 'utf8');
    for (const name of ['claude_desktop_config.json', 'cursor-mcp.json', 'vscode-mcp.jsonc', 'env.mcp'])
      expect(docs.includes(fixture(name).trim()), `${name} in docs/configuration.md`).toBe(true);
  });
});

describe('loadConfigFile: files that cannot be used', () => {
  it('reports a missing file as a ConfigFileError naming it', () => {
    const dir = make();
    const error = configFileError(() => loadConfigFile(join(dir, 'mcp.json')));
    expect(error.path).toBe(join(dir, 'mcp.json'));
    expect(error.problems).toEqual(['cannot read the file: no such file']);
    expect(error.message).toContain(join(dir, 'mcp.json'));
  });

  it('reports invalid JSON with its line and column, without quoting the file', () => {
    const text =
      '{\n  "mcpServers": {\n    "a": { "command": "x", "env": { "K": "sk-live-123" } }\n    "b": {}\n  }\n}\n';
    const dir = make({ 'mcp.json': text });
    const error = configFileError(() => loadConfigFile(join(dir, 'mcp.json')));
    expect(error.problems).toEqual(["not valid JSON at line 4, column 5: expected ',' or '}'"]);
    expect(error.message).not.toContain('sk-live-123');
  });

  it('is a ConfigError with the invalid-config code', () => {
    const error = configFileError(() => parseConfig([]));
    expect(error).toBeInstanceOf(ConfigError);
    expect(error).toBeInstanceOf(LifelineError);
    expect(error.code).toBe(ErrorCode.InvalidConfig);
    expect(error.name).toBe('ConfigFileError');
    expect(error.path).toBeUndefined();
    expect(error.message).toBe(
      'Invalid MCP configuration (1 problem):\n  - expected a JSON object with mcpServers or servers, got an array',
    );
  });
});

describe('parseConfig: problems', () => {
  it('reports five different mistakes as exactly five problems, each naming the server and the key', () => {
    const text = JSON.stringify({
      mcpServers: {
        a: { command: 'node', args: 'server.js' },
        b: { url: 'https://b.example.com/mcp', headers: { Authorization: 'Bearer ${env:B_TOKEN}' } },
        c: { type: 'websocket', url: 'wss://c.example.com' },
        d: { command: 'node', envFile: 'missing.env' },
        e: { command: 'node' },
      },
      lifeline: { servers: { e: { reconnect: { maxAttempt: 3 } } } },
    });
    const dir = make({ 'mcp.json': text });
    const error = configFileError(() => loadConfigFile(join(dir, 'mcp.json'), { env: {} }));
    expect(error.problems).toEqual([
      'lifeline.servers["e"].reconnect.maxAttempt: unknown key; did you mean "maxAttempts"?',
      'server "a": args: expected an array of strings',
      'server "b": headers.Authorization: ${env:B_TOKEN} is not set',
      'server "c": type: expected one of stdio, http, sse, ws, docker, got "websocket"',
      `server "d": envFile: cannot read ${join(dir, 'missing.env')}: no such file`,
    ]);
    expect(error.message).toContain(`file ${join(dir, 'mcp.json')} (5 problems):\n  - lifeline.servers`);
  });

  it('reports a file without a server list, or with both lists', () => {
    expect(problemsOf({ globalShortcut: 'x' })).toEqual([
      'expected a top-level mcpServers (Claude Desktop, Cursor) or servers (VS Code) object',
    ]);
    expect(problemsOf({ mcpServers: {}, servers: {} })).toEqual([
      'mcpServers, servers: expected one list of servers, mcpServers (Claude Desktop, Cursor) or servers (VS Code), not both',
    ]);
    expect(problemsOf({ servers: [] })).toEqual([
      'servers: expected an object of servers by name, got an array',
    ]);
  });

  it('reports an entry that is not an object, and policy keys inside an entry', () => {
    expect(
      problemsOf({ mcpServers: { a: 'node server.js', b: { command: 'node', reconnect: {} } } }),
    ).toEqual([
      'server "a": expected an object with command, url or image, got a string',
      'server "b": reconnect: policy keys go in lifeline.servers["b"], where other MCP hosts do not see them',
    ]);
  });

  it('never quotes an env or header value in a problem', () => {
    const secrets = ['supersecret-1', 'supersecret-2', 'supersecret-3', 'supersecret-4'];
    const error = configFileError(() =>
      parseConfig(
        {
          mcpServers: {
            a: { url: 'https://a.example.com/mcp', headers: { Authorization: `Bearer ${secrets[0]}\r\n` } },
            b: { command: 'node', env: { API_KEY: secrets[1], PORT: 8080 } },
            c: {
              url: `http://remote.example.com/mcp?token=${secrets[2]}`,
              headers: { 'X-Api-Key': 'k-123' },
            },
            d: { command: 'node', env: { TOKEN: `\${NOT A NAME:-${secrets[3]}}` } },
          },
        },
        { env: {} },
      ),
    );
    expect(error.problems).toHaveLength(4);
    for (const secret of secrets) expect(error.message).not.toContain(secret);
    expect(error.message).not.toContain('k-123');
  });
});
