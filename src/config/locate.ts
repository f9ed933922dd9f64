/**
 * Where the config files users already have are: the project's `mcp.json`, VS Code's
 * `.vscode/mcp.json`, then Claude Desktop's file for the platform.
 */

import { statSync } from 'node:fs';
import { homedir } from 'node:os';
import { posix, win32 } from 'node:path';
import type { LocateOptions } from './types.js';

const CLAUDE_FILE = 'claude_desktop_config.json';

/**
 * The paths {@link findConfigFile} checks, in order: `<cwd>/mcp.json`,
 * `<cwd>/.vscode/mcp.json`, then Claude Desktop's file (macOS
 * `~/Library/Application Support/Claude/`, Windows `%APPDATA%\Claude\`, Linux
 * `~/.config/Claude/`, each `claude_desktop_config.json`). Paths are spelled for `platform`.
 */
export function configCandidates(options: LocateOptions = {}): string[] {
  const platform = options.platform ?? process.platform;
  const path = platform === 'win32' ? win32 : posix;
  const cwd = options.cwd ?? process.cwd();
  const home = options.home ?? homedir();
  let claude: string;
  if (platform === 'darwin')
    claude = path.join(home, 'Library', 'Application Support', 'Claude', CLAUDE_FILE);
  else if (platform === 'win32') {
    const appData = options.appData ?? process.env.APPDATA ?? path.join(home, 'AppData', 'Roaming');
    claude = path.join(appData, 'Claude', CLAUDE_FILE);
  } else claude = path.join(home, '.config', 'Claude', CLAUDE_FILE);
  return [path.resolve(cwd, 'mcp.json'), path.resolve(cwd, '.vscode', 'mcp.json'), claude];
}

/**
 * The first of {@link configCandidates} that is a file, or undefined.
 *
 * @example
 * ```ts
 * const file = findConfigFile();
 * if (file === undefined) throw new Error(`no config file; looked at ${configCandidates().join(', ')}`);
 * const config = loadConfigFile(file);
 * ```
 */
export function findConfigFile(options: LocateOptions = {}): string | undefined {
  return configCandidates(options).find(isFile);
}

function isFile(path: string): boolean {
  try {
    return statSync(path).isFile();
  } catch {
    return false;
  }
}
