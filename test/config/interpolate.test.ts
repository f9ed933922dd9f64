// Variables in config strings: ${env:NAME} and ${NAME}, with :-default; ${workspaceFolder} and
// friends; ${input:id} refused with a clear problem; $${ for a literal. An unset variable is a
// problem naming the key, never an empty string.
// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config files spell variables as ${…} in plain strings.

import { homedir } from 'node:os';
import { sep } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigFileError, parseConfig } from '../../src/config/index.js';
import { interpolate, type Variables } from '../../src/config/interpolate.js';

const variables: Variables = {
  env: { TOKEN: 'abc', EMPTY: '', HOST: 'db.internal' },
  workspaceFolder: '/work/project',
  home: '/home/me',
};

function run(value: unknown): { value: unknown; problems: string[] } {
  const problems: string[] = [];
  return { value: interpolate(value, '', variables, problems), problems };
}

describe('interpolate', () => {
  it('replaces ${env:NAME} and the bare ${NAME} of Claude Code', () => {
    expect(run('Bearer ${env:TOKEN}')).toEqual({ value: 'Bearer abc', problems: [] });
    expect(run('postgres://${HOST}/app?t=${TOKEN}')).toEqual({
      value: 'postgres://db.internal/app?t=abc',
      problems: [],
    });
  });

  it('uses :-default when the variable is unset or empty, and keeps a set empty value otherwise', () => {
    expect(run(['${env:MISSING:-x}', '${EMPTY:-fallback}', '${env:EMPTY}', '${env:TOKEN:-x}']).value).toEqual(
      ['x', 'fallback', '', 'abc'],
    );
  });

  it('reports each unset variable with the key path, and never its default', () => {
    const { problems } = run({ args: ['a', '${env:ONE}-${env:TWO}'], env: { K: '${env:THREE}' } });
    expect(problems).toEqual([
      'args[1]: ${env:ONE} is not set',
      'args[1]: ${env:TWO} is not set',
      'env.K: ${env:THREE} is not set',
    ]);
    expect(run({ h: '${NOT VALID:-s3cret}' }).problems[0]).not.toContain('s3cret');
  });

  it('refuses ${input:id}, naming the input', () => {
    expect(run({ headers: { Authorization: 'Bearer ${input:api-key}' } }).problems).toEqual([
      'headers.Authorization: ${input:api-key} is a VS Code input, which only the editor can prompt for; set an environment variable and write ${env:NAME} instead',
    ]);
  });

  it('resolves the folder and path variables', () => {
    expect(
      run(['${workspaceFolder}/a', '${workspaceFolderBasename}', '${userHome}', 'a${pathSeparator}b${/}c'])
        .value,
    ).toEqual(['/work/project/a', 'project', '/home/me', `a${sep}b${sep}c`]);
  });

  it('keeps $${ as a literal ${, and reports any other ${…}', () => {
    expect(run('echo $${HOME}')).toEqual({ value: 'echo ${HOME}', problems: [] });
    expect(run('${config:editor.fontSize}').problems).toEqual([
      '${config:editor.fontSize} is not a variable this loader knows (${env:NAME}, ${env:NAME:-default}, ${workspaceFolder}, ${userHome}); write $${ for a literal ${',
    ]);
  });

  it('leaves keys, numbers, booleans and null alone', () => {
    expect(run({ '${TOKEN}': 1, b: true, c: null, d: [2] })).toEqual({
      value: { '${TOKEN}': 1, b: true, c: null, d: [2] },
      problems: [],
    });
  });
});

describe('parseConfig: interpolation', () => {
  it('interpolates every string of an entry, from options.env', () => {
    const loaded = parseConfig(
      {
        servers: {
          s: {
            type: 'stdio',
            command: '${env:BIN}',
            args: ['--db', 'postgres://${env:HOST}/app'],
            env: { API_KEY: '${env:KEY}' },
            cwd: '${workspaceFolder}/tools',
          },
        },
      },
      { env: { BIN: 'server', HOST: 'db', KEY: 'k' }, baseDir: '/work/project' },
    );
    expect(loaded.servers[0]?.config).toEqual({
      type: 'stdio',
      command: 'server',
      args: ['--db', 'postgres://db/app'],
      env: { API_KEY: 'k' },
      cwd: '/work/project/tools',
    });
  });

  it('reads process.env by default and resolves ${userHome}', () => {
    process.env.LIFELINE_CONFIG_TEST_VAR = 'from-process';
    try {
      const loaded = parseConfig({
        mcpServers: { s: { command: 'node', args: ['${env:LIFELINE_CONFIG_TEST_VAR}', '${userHome}'] } },
      });
      expect(loaded.servers[0]?.config).toMatchObject({ args: ['from-process', homedir()] });
    } finally {
      delete process.env.LIFELINE_CONFIG_TEST_VAR;
    }
  });

  it('names the server and the key of an unset variable', () => {
    expect(() =>
      parseConfig(
        { mcpServers: { api: { command: 'node', env: { API_KEY: '${env:TOKEN}' } } } },
        { env: {} },
      ),
    ).toThrowError(new ConfigFileError(['server "api": env.API_KEY: ${env:TOKEN} is not set'], undefined));
  });
});
