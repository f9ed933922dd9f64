// One server entry: the transport type, given or inferred (as the hosts and FastMCP do), the keys taken
// from it, and how its problems are reported.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell variables as ${…} in plain strings.

import { describe, expect, it } from 'vitest';
import { parseConfig, type ServerEntry } from '../../src/config/index.js';
import { configFileError } from './files.js';

/** The one server of a file holding `entry` as server "s". */
function one(entry: unknown, env: Record<string, string> = {}): ServerEntry {
  const [server] = parseConfig({ mcpServers: { s: entry } }, { env, baseDir: '/srv/project' }).servers;
  if (server === undefined) throw new Error('no server');
  return server;
}

function problems(entry: unknown, env: Record<string, string> = {}): readonly string[] {
  return configFileError(() => parseConfig({ mcpServers: { s: entry } }, { env, baseDir: '/srv/project' }))
    .problems;
}

describe('readEntry: the transport type', () => {
  it('infers stdio from command, leaving type out so docker run -i can still be lifted', () => {
    expect(one({ command: 'node', args: ['server.js'] })).toEqual({
      name: 's',
      type: 'stdio',
      config: { command: 'node', args: ['server.js'] },
    });
  });

  it('infers http from an http(s) URL, leaving the choice of Streamable HTTP or HTTP+SSE to the runtime', () => {
    expect(one({ url: 'https://example.com/mcp' })).toEqual({
      name: 's',
      type: 'http',
      config: { url: 'https://example.com/mcp' },
    });
    expect(one({ url: 'http://localhost:3001/sse' }).config).not.toHaveProperty('type');
  });

  it('infers ws from a ws: or wss: URL, and docker from image', () => {
    expect(one({ url: 'wss://example.com/mcp' }).type).toBe('ws');
    expect(one({ url: 'ws://localhost:8080' }).type).toBe('ws');
    expect(one({ image: 'mcp/fetch' })).toEqual({
      name: 's',
      type: 'docker',
      config: { type: 'docker', image: 'mcp/fetch' },
    });
  });

  it('reports docker for a docker run -i entry the runtime lifts, and stdio for one it cannot', () => {
    const lifted = one({ command: 'docker', args: ['run', '-i', '--rm', 'mcp/fetch'] });
    expect(lifted.type).toBe('docker');
    expect(lifted.config).toEqual({ command: 'docker', args: ['run', '-i', '--rm', 'mcp/fetch'] });
    expect(one({ command: 'docker', args: ['run', '-it', '--rm', 'mcp/fetch'] }).type).toBe('stdio');
    expect(one({ type: 'stdio', command: 'docker', args: ['run', '-i', 'mcp/fetch'] }).type).toBe('stdio');
  });

  it('keeps a given type: sse forces HTTP+SSE, streamableHttp is http', () => {
    expect(one({ type: 'sse', url: 'https://example.com/sse' })).toEqual({
      name: 's',
      type: 'sse',
      config: { type: 'sse', url: 'https://example.com/sse' },
    });
    expect(one({ type: 'streamableHttp', url: 'https://example.com/mcp' }).config).toEqual({
      type: 'http',
      url: 'https://example.com/mcp',
    });
  });

  it('takes serverUrl (Windsurf) for url', () => {
    expect(one({ serverUrl: 'https://example.com/mcp' })).toEqual({
      name: 's',
      type: 'http',
      config: { url: 'https://example.com/mcp' },
    });
  });

  it('reports an entry with command and url, or with neither', () => {
    expect(problems({ command: 'node', url: 'https://example.com/mcp' })).toEqual([
      'server "s": type: give command (stdio) or url (http, sse, ws), not both, or name the transport with type',
    ]);
    expect(problems({ args: ['x'] })).toEqual([
      'server "s": type: cannot infer the transport; give command (stdio), url (http, sse, ws) or image (docker)',
    ]);
  });
});

describe('readEntry: keys', () => {
  it('leaves out keys other hosts use and keys of other transports', () => {
    const entry = one({
      command: 'node',
      args: ['s.js'],
      autoApprove: ['read'],
      timeout: 60,
      description: 'x',
      headers: { A: 'b' },
      stderr: 'ignore',
    });
    expect(entry.config).toEqual({ command: 'node', args: ['s.js'], stderr: 'ignore' });
  });

  it('resolves a relative cwd against the base directory', () => {
    expect(one({ command: 'node', cwd: 'tools' }).config).toMatchObject({ cwd: '/srv/project/tools' });
    expect(one({ command: 'node', cwd: '/opt/x' }).config).toMatchObject({ cwd: '/opt/x' });
  });

  it('prefixes the runtime’s own problems with the server', () => {
    expect(problems({ command: 'node', stderr: 'loud', env: { PORT: 8080 } })).toEqual([
      'server "s": env.PORT: expected a string, got "number"',
      'server "s": stderr: expected one of diagnostics, pipe, ignore, inherit, got "loud"',
    ]);
    expect(problems({ url: 'ftp://example.com' })).toEqual([
      'server "s": url: expected an http: or https: URL, got ftp:',
    ]);
  });

  it('reports an unset variable once, not again as the empty value it left', () => {
    expect(problems({ url: '${env:MCP_URL}' })).toEqual(['server "s": url: ${env:MCP_URL} is not set']);
    expect(problems({ command: '${env:SERVER_BIN}' })).toEqual([
      'server "s": command: ${env:SERVER_BIN} is not set',
    ]);
    expect(problems({ command: 'node', envFile: '${env:ENV_DIR}/.env' })).toEqual([
      'server "s": envFile: ${env:ENV_DIR} is not set',
    ]);
  });
});

describe('parseConfig: disabled entries', () => {
  it('leaves out an entry with disabled: true, without checking it', () => {
    const loaded = parseConfig(
      {
        mcpServers: {
          off: { command: '${env:NOPE}', disabled: true },
          on: { command: 'node', disabled: false },
        },
      },
      { env: {} },
    );
    expect(loaded.servers.map((server) => server.name)).toEqual(['on']);
    expect(loaded.servers[0]?.config).toEqual({ command: 'node' });
  });

  it('reports a disabled that is not a boolean', () => {
    expect(problems({ command: 'node', disabled: 'yes' })).toEqual([
      'server "s": disabled: expected true or false, got a string',
    ]);
  });
});
