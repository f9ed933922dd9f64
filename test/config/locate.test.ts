// Where config files are looked for, in order, with home, platform and %APPDATA% injected.

import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { configCandidates, findConfigFile } from '../../src/config/index.js';
import { useTempDirs } from './files.js';

const make = useTempDirs();
const CLAUDE = 'claude_desktop_config.json';

describe('configCandidates', () => {
  it('lists mcp.json, .vscode/mcp.json, then Claude Desktop’s file for Linux', () => {
    expect(configCandidates({ cwd: '/p', home: '/home/me', platform: 'linux' })).toEqual([
      '/p/mcp.json',
      '/p/.vscode/mcp.json',
      `/home/me/.config/Claude/${CLAUDE}`,
    ]);
  });

  it('uses Application Support on macOS', () => {
    expect(configCandidates({ cwd: '/p', home: '/Users/me', platform: 'darwin' })[2]).toBe(
      `/Users/me/Library/Application Support/Claude/${CLAUDE}`,
    );
  });

  it('uses %APPDATA% on Windows, or AppData\\Roaming under the home', () => {
    expect(
      configCandidates({ cwd: 'C:\\p', home: 'C:\\Users\\me', platform: 'win32', appData: 'D:\\AppData' }),
    ).toEqual(['C:\\p\\mcp.json', 'C:\\p\\.vscode\\mcp.json', `D:\\AppData\\Claude\\${CLAUDE}`]);
    const saved = process.env.APPDATA;
    delete process.env.APPDATA;
    try {
      expect(configCandidates({ cwd: 'C:\\p', home: 'C:\\Users\\me', platform: 'win32' })[2]).toBe(
        `C:\\Users\\me\\AppData\\Roaming\\Claude\\${CLAUDE}`,
      );
    } finally {
      if (saved !== undefined) process.env.APPDATA = saved;
    }
  });
});

describe('findConfigFile', () => {
  it('returns the first candidate that exists', () => {
    const home = make({ [`.config/Claude/${CLAUDE}`]: '{}' });
    const cwd = make({ 'mcp.json': '{}', '.vscode/mcp.json': '{}' });
    const options = { cwd, home, platform: 'linux' } as const;
    expect(findConfigFile(options)).toBe(join(cwd, 'mcp.json'));
    expect(findConfigFile({ ...options, cwd: make({ '.vscode/mcp.json': '{}' }) })).toMatch(
      /\.vscode\/mcp\.json$/,
    );
    expect(findConfigFile({ ...options, cwd: make() })).toBe(join(home, '.config', 'Claude', CLAUDE));
  });

  it('skips a directory of the same name, and returns undefined when nothing exists', () => {
    const cwd = make();
    mkdirSync(join(cwd, 'mcp.json'));
    expect(findConfigFile({ cwd, home: make(), platform: 'linux' })).toBeUndefined();
    expect(findConfigFile({ cwd, home: make(), platform: 'darwin' })).toBeUndefined();
  });
});
