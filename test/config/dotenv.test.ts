// The .env format of envFile, and how envFile merges under env.

import { join } from 'node:path';
import { parseEnv } from 'node:util';
import { describe, expect, it } from 'vitest';
import { parseDotenv } from '../../src/config/dotenv.js';
import { loadConfigFile, parseConfig } from '../../src/config/index.js';
import { configFileError, useTempDirs } from './files.js';

const make = useTempDirs();

describe('parseDotenv', () => {
  it('reads NAME=value lines, comments, export, and the three kinds of value', () => {
    const text = [
      '# a comment',
      '',
      'PLAIN = value with spaces   # trailing comment',
      'export EXPORTED=1',
      "SINGLE='no \\n escapes # here'",
      'DOUBLE="line\\nbreak \\"quoted\\" # kept"  # comment',
      'HASH=a#b',
      'LEADING=#kept',
      'NOTE= # only a comment',
      'EMPTY=',
      'DOTTED.NAME=ok',
    ].join('\n');
    expect(parseDotenv(text)).toEqual({
      values: {
        PLAIN: 'value with spaces',
        EXPORTED: '1',
        SINGLE: 'no \\n escapes # here',
        DOUBLE: 'line\nbreak "quoted" # kept',
        HASH: 'a#b',
        LEADING: '#kept',
        NOTE: '',
        EMPTY: '',
        'DOTTED.NAME': 'ok',
      },
      problems: [],
    });
  });

  it('reads a quoted value over several lines, CRLF endings and a BOM; the last assignment wins', () => {
    const text = '\uFEFFKEY="-----BEGIN-----\r\nabc\r\n-----END-----"\r\nA=1\r\nA=2\r\n';
    expect(parseDotenv(text).values).toEqual({ KEY: '-----BEGIN-----\nabc\n-----END-----', A: '2' });
  });

  it('reads backtick quotes as literal text, as dotenv, VS Code and Node do', () => {
    const text = 'JSON=`{"a": "it\'s"}`\nRAW=`a\\nb # c`\nPEM=`-----BEGIN-----\nabc\n-----END-----`';
    expect(parseDotenv(text)).toEqual({
      values: { JSON: '{"a": "it\'s"}', RAW: 'a\\nb # c', PEM: '-----BEGIN-----\nabc\n-----END-----' },
      problems: [],
    });
    expect(parseDotenv('B=`open\nC=1').problems).toEqual(['line 1: the backtick is not closed']);
  });

  it('agrees with util.parseEnv on the lines both read alike', () => {
    const text = [
      '# a comment',
      'PLAIN=value',
      'SPACED = value with spaces   # trailing comment',
      'export EXPORTED=1',
      "SINGLE='no \\n escapes # here'",
      'DOUBLE="line\\nbreak # kept"',
      'BACKTICK=`it\'s "quoted"`',
      'MULTI="one',
      'two"',
      'EMPTY=',
      'DOTTED.NAME=ok',
      'A=1',
      'A=2',
    ].join('\n');
    const { values, problems } = parseDotenv(text);
    expect(problems).toEqual([]);
    expect(values).toEqual({ ...parseEnv(text) });
  });

  it('keeps what util.parseEnv would lose: a # inside a word, escaped quotes, the BOM', () => {
    // Measured on Node 20.20.2: parseEnv gives HASH "a", QUOTED `say \`, and a name "\uFEFFFIRST".
    const text = '\uFEFFFIRST=1\nHASH=a#b\nQUOTED="say \\"hi\\""\nTAB="a\\tb"';
    expect(parseDotenv(text).values).toEqual({ FIRST: '1', HASH: 'a#b', QUOTED: 'say "hi"', TAB: 'a\tb' });
  });

  it('names malformed lines by number, never by their text', () => {
    const { values, problems } = parseDotenv("GOOD=1\nsecret-token-value\nQ=\"unclosed\nR='x' junk");
    // util.parseEnv (Node 20) would make "secret-token-value\nQ" a variable's name.
    expect(values).toEqual({ GOOD: '1' });
    expect(problems).toEqual(['line 2: expected NAME=value', 'line 3: the double quote is not closed']);
    expect(parseDotenv("R='x' junk").problems).toEqual(['line 1: unexpected text after the closing quote']);
    expect(problems.join()).not.toContain('secret-token-value');
  });
});

describe('envFile', () => {
  it('merges the file under env (env wins), relative to the config file', () => {
    const dir = make({
      'mcp.json': JSON.stringify({
        servers: { s: { type: 'stdio', command: 'node', envFile: 'conf/.env', env: { A: 'from-env' } } },
      }),
      'conf/.env': 'A=from-file\nB=from-file\n',
    });
    expect(loadConfigFile(join(dir, 'mcp.json')).servers[0]?.config).toEqual({
      type: 'stdio',
      command: 'node',
      env: { A: 'from-env', B: 'from-file' },
    });
  });

  it('feeds a lifted docker run -e NAME', () => {
    const dir = make({ '.env': 'TOKEN=t0ken\n' });
    const entry = parseConfig(
      {
        mcpServers: {
          s: { command: 'docker', args: ['run', '-i', '-e', 'TOKEN', 'mcp/x'], envFile: '.env' },
        },
      },
      { baseDir: dir },
    ).servers[0];
    expect(entry?.type).toBe('docker');
    expect(entry?.config).toMatchObject({ env: { TOKEN: 't0ken' } });
  });

  it('reports a missing file, a bad line, and an envFile that is not a path', () => {
    const dir = make({ bad: 'OK=1\nnot an assignment\n' });
    const error = configFileError(() =>
      parseConfig(
        {
          mcpServers: {
            a: { command: 'node', envFile: 'nope.env' },
            b: { command: 'node', envFile: 'bad' },
            c: { command: 'node', envFile: 3 },
          },
        },
        { baseDir: dir },
      ),
    );
    expect(error.problems).toEqual([
      `server "a": envFile: cannot read ${join(dir, 'nope.env')}: no such file`,
      `server "b": envFile: ${join(dir, 'bad')} line 2: expected NAME=value`,
      'server "c": envFile: expected the path of a .env file, got a number',
    ]);
  });
});
