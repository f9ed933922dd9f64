/**
 * JSON with comments, as VS Code writes `mcp.json`: `//` and block comments and trailing
 * commas are allowed. A parser of our own rather than `JSON.parse`, because V8's messages quote
 * the text around a mistake (which may hold a token) and often give no position: ours names
 * the line and column and never quotes the file.
 */

/** Where and why the text is not JSON. */
export class JsoncSyntaxError extends Error {
  override name = 'JsoncSyntaxError';
  constructor(
    readonly reason: string,
    readonly line: number,
    readonly column: number,
  ) {
    super(`not valid JSON at line ${line}, column ${column}: ${reason}`);
  }
}

const NUMBER = /-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][+-]?\d+)?/y;
// A string token: JSON.parse decodes it once we know where it ends.
// biome-ignore lint/suspicious/noControlCharactersInRegex: JSON strings may not hold raw control characters.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const LITERALS: ReadonlyArray<readonly [string, unknown]> = [
  ['true', true],
  ['false', false],
  ['null', null],
];

/**
 * Parses JSON that may hold comments and trailing commas.
 *
 * @throws {JsoncSyntaxError} naming the line and column of the first mistake.
 */
export function parseJsonc(text: string): unknown {
  const parser = new Parser(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  parser.skip();
  const value = parser.value();
  parser.skip();
  if (parser.at < parser.text.length) parser.fail('expected the end of the file after the value');
  return value;
}

class Parser {
  at = 0;
  constructor(readonly text: string) {}

  fail(reason: string, at = this.at): never {
    const before = this.text.slice(0, at).split('\n');
    const line = before.length;
    throw new JsoncSyntaxError(reason, line, (before[line - 1] as string).length + 1);
  }

  /** Skips whitespace and comments. */
  skip(): void {
    const { text } = this;
    while (this.at < text.length) {
      const char = text[this.at] as string;
      if (char === ' ' || char === '\t' || char === '\n' || char === '\r') this.at += 1;
      else if (text.startsWith('//', this.at)) {
        const end = text.indexOf('\n', this.at);
        this.at = end < 0 ? text.length : end;
      } else if (text.startsWith('/*', this.at)) {
        const end = text.indexOf('*/', this.at + 2);
        if (end < 0) this.fail('a comment is not closed (missing */)');
        this.at = end + 2;
      } else return;
    }
  }

  value(): unknown {
    const char = this.text[this.at];
    if (char === '{') return this.object();
    if (char === '[') return this.array();
    if (char === '"') return this.string();
    if (char === undefined) this.fail('unexpected end of the file, expected a value');
    for (const [word, value] of LITERALS) {
      if (this.text.startsWith(word, this.at)) {
        this.at += word.length;
        return value;
      }
    }
    NUMBER.lastIndex = this.at;
    const number = NUMBER.exec(this.text);
    if (number === null)
      this.fail('expected a value (an object, array, string, number, true, false or null)');
    this.at += number[0].length;
    return Number(number[0]);
  }

  string(): string {
    STRING.lastIndex = this.at;
    const token = STRING.exec(this.text);
    if (token === null) this.fail('a string is not closed, or holds a line break or a bad escape');
    this.at += token[0].length;
    return JSON.parse(token[0]) as string;
  }

  object(): Record<string, unknown> {
    // A null prototype: a key named __proto__ is an ordinary key, as with JSON.parse.
    const object: Record<string, unknown> = Object.create(null);
    this.items('}', () => {
      if (this.text[this.at] !== '"') this.fail('expected a property name in double quotes');
      const key = this.string();
      this.skip();
      if (this.text[this.at] !== ':') this.fail(`expected ':' after the property name "${key}"`);
      this.at += 1;
      this.skip();
      object[key] = this.value();
    });
    return object;
  }

  array(): unknown[] {
    const array: unknown[] = [];
    this.items(']', () => array.push(this.value()));
    return array;
  }

  /** The items of an object or array up to `close`, separated by commas; a trailing comma is fine. */
  items(close: '}' | ']', item: () => void): void {
    this.at += 1;
    this.skip();
    while (this.text[this.at] !== close) {
      item();
      this.skip();
      if (this.text[this.at] === ',') {
        this.at += 1;
        this.skip();
      } else if (this.text[this.at] !== close) {
        this.fail(`expected ',' or '${close}'`);
      }
    }
    this.at += 1;
  }
}
