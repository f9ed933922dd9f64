// The fenced code blocks of a Markdown file, so that tests can check that every snippet of the
// docs runs as written: TypeScript compiles, JSON parses as a config, shell lines name real commands.

import { readFileSync } from 'node:fs';
import { relative, resolve } from 'node:path';
import { repoRoot } from './cli.js';

/** One fenced block. */
export interface CodeBlock {
  /** The info string's first word (`ts`, `json`, `sh`), or `''`. */
  lang: string;
  /** The text between the fences, with a final newline. */
  code: string;
  /** The file, relative to the repository, and the line of the opening fence (1-based). */
  where: string;
  line: number;
}

const OPEN = /^(`{3,}|~{3,})\s*([^\s`]*)/;

/** Every fenced code block of a Markdown text, in order. An unclosed fence runs to the end. */
export function codeBlocks(markdown: string, file = ''): CodeBlock[] {
  const blocks: CodeBlock[] = [];
  const lines = markdown.split(/\r?\n/);
  let open: { fence: string; lang: string; line: number; body: string[] } | undefined;
  for (const [index, text] of lines.entries()) {
    if (open === undefined) {
      const match = OPEN.exec(text);
      if (match !== null)
        open = { fence: match[1] ?? '```', lang: (match[2] ?? '').toLowerCase(), line: index + 1, body: [] };
    } else if (closes(text, open.fence)) {
      blocks.push(block(open, file));
      open = undefined;
    } else open.body.push(text);
  }
  if (open !== undefined) blocks.push(block(open, file));
  return blocks;
}

/** A closing fence: the opening fence's character only, at least as many. */
function closes(text: string, fence: string): boolean {
  const trimmed = text.trim();
  return trimmed.length >= fence.length && trimmed === fence.charAt(0).repeat(trimmed.length);
}

function block(open: { lang: string; line: number; body: string[] }, file: string): CodeBlock {
  return {
    lang: open.lang,
    code: `${open.body.join('\n')}\n`,
    where: `${file}:${open.line}`,
    line: open.line,
  };
}

/** The code blocks of a file of the repository (a path relative to its root), optionally of one language. */
export function docBlocks(path: string, ...langs: string[]): CodeBlock[] {
  const file = resolve(repoRoot, path);
  const blocks = codeBlocks(readFileSync(file, 'utf8'), relative(repoRoot, file));
  return langs.length === 0 ? blocks : blocks.filter((item) => langs.includes(item.lang));
}

/**
 * The commands of a shell block: one per line (a trailing `\` joins lines), comments dropped,
 * split at `&&`, `||`, `;` and `|`, each as its words (quotes kept simple: `'…'` and `"…"`).
 */
export function shellCommands(code: string): { line: string; words: string[] }[] {
  const commands: { line: string; words: string[] }[] = [];
  for (const line of code.replace(/\\\n/g, ' ').split('\n')) {
    const words = splitWords(line);
    let current: string[] = [];
    for (const word of [...words, ';']) {
      if (['&&', '||', ';', '|'].includes(word)) {
        if (current.length > 0) commands.push({ line: line.trim(), words: current });
        current = [];
      } else current.push(word);
    }
  }
  return commands;
}

function splitWords(line: string): string[] {
  const words: string[] = [];
  const pattern =
    /'([^']*)'|"((?:[^"\\]|\\.)*)"|(&&|\|\||[;|])|(#.*$)|([^\s'";|&#]+(?:#[^\s'";|&]*)*)|(\s+)/g;
  let word: string | undefined;
  for (const match of line.matchAll(pattern)) {
    const [, single, double, operator, comment, plain] = match;
    if (comment !== undefined) break;
    if (operator !== undefined) {
      if (word !== undefined) words.push(word);
      word = undefined;
      words.push(operator);
    } else if (single !== undefined || double !== undefined || plain !== undefined)
      word = (word ?? '') + (single ?? double ?? plain ?? '');
    else if (word !== undefined) {
      words.push(word);
      word = undefined;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}
