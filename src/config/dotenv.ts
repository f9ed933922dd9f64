/**
 * The `.env` format an `envFile` is written in: `NAME=value` lines, `#` comments, blank
 * lines, an optional `export ` prefix, and values in single quotes or backticks (literal),
 * double quotes (`\n`, `\r`, `\t`, `\"`, `\\` escapes) or none (trimmed; ` #` starts a
 * comment, a `#` inside a word does not). A quoted value may span lines. Values are taken as
 * they are: no `${…}` expansion inside the file.
 *
 * Not Node's `util.parseEnv`: measured on Node 20, it cuts an unquoted value at any `#` and a
 * double-quoted one at `\"`, reports no malformed line (its text joins the next variable's
 * name), and its answers differ between Node versions. docs/architecture.md has the table.
 */

/** The variables of a `.env` file, and the lines that are not `NAME=value`. */
export interface DotenvResult {
  values: Record<string, string>;
  /** One line per malformed line, naming its number; never its text (it may hold a secret). */
  problems: string[];
}

const ASSIGNMENT = /^\s*(?:export\s+)?([A-Za-z_][A-Za-z0-9_.-]*)\s*=\s*/;
const ESCAPES: Readonly<Record<string, string>> = { n: '\n', r: '\r', t: '\t', '"': '"', '\\': '\\' };
const QUOTE_NAMES = { '"': 'double quote', "'": 'single quote', '`': 'backtick' } as const;

/** Parses the text of a `.env` file. Later assignments of a name win, as with dotenv. */
export function parseDotenv(text: string): DotenvResult {
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  // No prototype: a line `__proto__=x` is an ordinary variable.
  const values: Record<string, string> = Object.create(null);
  const problems: string[] = [];
  for (let index = 0; index < lines.length; index += 1) {
    const line = lines[index] as string;
    const number = index + 1;
    if (/^\s*(#|$)/.test(line)) continue;
    const match = ASSIGNMENT.exec(line);
    if (match === null) {
      problems.push(`line ${number}: expected NAME=value`);
      continue;
    }
    const name = match[1] as string;
    let rest = line.slice(match[0].length);
    const quote = rest[0];
    let value: string | undefined;
    if (quote === "'" || quote === '"' || quote === '`') {
      // A quoted value may run over several lines, up to its closing quote.
      let end = closingQuote(rest, quote);
      while (end < 0 && index + 1 < lines.length) {
        index += 1;
        rest += `\n${lines[index]}`;
        end = closingQuote(rest, quote);
      }
      const after = end < 0 ? '' : rest.slice(end + 1).trim();
      if (end < 0) problems.push(`line ${number}: the ${QUOTE_NAMES[quote]} is not closed`);
      else if (after !== '' && !after.startsWith('#'))
        problems.push(`line ${number}: unexpected text after the closing quote`);
      else value = quote === '"' ? unescapeDouble(rest.slice(1, end)) : rest.slice(1, end);
    } else {
      // `NAME= # note` is empty: the spaces before the `#` were taken with the `=`.
      const comment = /\s$/.test(match[0]) && rest.startsWith('#') ? 0 : rest.search(/\s#/);
      value = (comment < 0 ? rest : rest.slice(0, comment)).trim();
    }
    if (value !== undefined) values[name] = value;
  }
  return { values, problems };
}

/** Index of the quote that closes a value opened at index 0, or -1. */
function closingQuote(text: string, quote: string): number {
  for (let i = 1; i < text.length; i += 1) {
    if (quote === '"' && text[i] === '\\') i += 1;
    else if (text[i] === quote) return i;
  }
  return -1;
}

function unescapeDouble(text: string): string {
  return text.replace(/\\(.)/g, (sequence, char: string) => ESCAPES[char] ?? sequence);
}
