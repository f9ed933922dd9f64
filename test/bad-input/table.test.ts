// The "Bad input" table of docs/security.md names a test for each row (`file::test name`): each
// named file exists and holds a test of that exact name, so a row cannot outlive its test.

import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { repoRoot } from '../helpers/cli.js';

const SECTION = '## Bad input';
/** The short forms the table uses for test folders. */
const FOLDERS: Record<string, string> = {
  'bad-input/': 'test/bad-input/',
  'transports/': 'test/transports/',
};

/** Every `file::name` reference of the section; `…::name` is another test of the previous file. */
function references(markdown: string): { file: string; name: string }[] {
  const start = markdown.indexOf(SECTION);
  const end = markdown.indexOf('\n## ', start + SECTION.length);
  const section = markdown.slice(start, end === -1 ? undefined : end);
  const found: { file: string; name: string }[] = [];
  let previous = '';
  for (const [, file, name] of section.matchAll(/`([^`:\n]+|…)::([^`\n]+)`/g)) {
    const short = file === '…' ? previous : (file as string);
    previous = short;
    const folder = Object.keys(FOLDERS).find((prefix) => short.startsWith(prefix));
    found.push({
      file: folder === undefined ? short : `${FOLDERS[folder]}${short.slice(folder.length)}`,
      name: name as string,
    });
  }
  return found;
}

describe('docs/security.md, Bad input', () => {
  const markdown = readFileSync(resolve(repoRoot, 'docs/security.md'), 'utf8');
  const refs = references(markdown);

  it('names a test for every row, and every named test exists under its exact name', () => {
    expect(markdown).toContain(SECTION);
    expect(refs.length).toBeGreaterThan(50);
    const missing = refs.filter(({ file, name }) => {
      const path = resolve(repoRoot, file);
      return !existsSync(path) || !readFileSync(path, 'utf8').includes(`'${name}'`);
    });
    expect(missing).toEqual([]);
  });

  it('names a test in every row of its tables', () => {
    const start = markdown.indexOf(SECTION);
    const rows = markdown
      .slice(start)
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| Input'));
    for (const row of rows) expect(row).toMatch(/`[^`]+::[^`]+`/);
  });
});
