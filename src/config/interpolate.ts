/**
 * Variables in config file strings, as the hosts write them: `${env:NAME}` (VS Code, Cursor),
 * `${NAME}` (Claude Code), either with `:-default`, `${workspaceFolder}`,
 * `${workspaceFolderBasename}`, `${userHome}`, `${pathSeparator}` and `${/}`. VS Code's
 * `${input:id}` asks the user in the editor; nothing can ask here, so it is a problem. `$${`
 * is a literal `${`. A variable that is not set is a problem, never an empty string.
 */

import { basename, sep } from 'node:path';

/** What the variables stand for. */
export interface Variables {
  env: Readonly<Record<string, string | undefined>>;
  /** The base directory: `${workspaceFolder}`. */
  workspaceFolder: string;
  /** `${userHome}`. */
  home: string;
}

const PLACEHOLDER = /\$\$\{|\$\{([^{}]*)\}/g;
const NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;
// `env:NAME`, `env:NAME:-default`, `NAME`, `NAME:-default`.
const ENV = /^(?:env:)?([^:]+)(?::-([\s\S]*))?$/;

/**
 * Replaces the variables in every string of a JSON value, objects and arrays included (their
 * keys are left alone). Pushes one problem per variable it cannot resolve, naming the key path
 * (`env.API_KEY`, `args[2]`) and the placeholder, never a value.
 *
 * @param key the key path of `value`, '' at the top.
 */
export function interpolate(value: unknown, key: string, variables: Variables, problems: string[]): unknown {
  if (typeof value === 'string') return interpolateString(value, key, variables, problems);
  if (Array.isArray(value))
    return value.map((item, i) => interpolate(item, `${key}[${i}]`, variables, problems));
  if (typeof value === 'object' && value !== null) {
    // fromEntries defines own properties, so a key named __proto__ stays an ordinary key.
    return Object.fromEntries(
      Object.entries(value).map(([name, item]) => [
        name,
        interpolate(item, key === '' ? name : `${key}.${name}`, variables, problems),
      ]),
    );
  }
  return value;
}

function interpolateString(text: string, key: string, variables: Variables, problems: string[]): string {
  return text.replace(PLACEHOLDER, (placeholder, inner: string | undefined) => {
    if (inner === undefined) return '${';
    const resolved = resolve(inner, variables);
    if (typeof resolved === 'string') return resolved;
    problems.push(`${key === '' ? '' : `${key}: `}${shorten(placeholder)} ${resolved.problem}`);
    return '';
  });
}

function resolve(inner: string, variables: Variables): string | { problem: string } {
  switch (inner) {
    case 'workspaceFolder':
      return variables.workspaceFolder;
    case 'workspaceFolderBasename':
      return basename(variables.workspaceFolder);
    case 'userHome':
      return variables.home;
    case 'pathSeparator':
    case '/':
      return sep;
  }
  if (inner.startsWith('input:')) {
    return {
      problem: `is a VS Code input, which only the editor can prompt for; set an environment variable and write \${env:NAME} instead`,
    };
  }
  const env = ENV.exec(inner);
  const name = env?.[1];
  if (env === null || name === undefined || !NAME.test(name)) {
    return {
      problem: `is not a variable this loader knows (\${env:NAME}, \${env:NAME:-default}, \${workspaceFolder}, \${userHome}); write $\${ for a literal \${`,
    };
  }
  const value = variables.env[name];
  const fallback = env[2];
  if (fallback !== undefined) return value === undefined || value === '' ? fallback : value;
  return value ?? { problem: 'is not set' };
}

/** A placeholder as it may appear in a problem: without its default (it may be a secret), cut short. */
function shorten(placeholder: string): string {
  const bare = placeholder.replace(/:-[\s\S]*\}$/, ':-…}');
  return bare.length > 48 ? `${bare.slice(0, 46)}…}` : bare;
}
