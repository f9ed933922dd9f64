/**
 * JSON with comments, as VS Code writes `mcp.json`: `//` and block comments and trailing
 * commas are allowed. Read with `jsonc-parser`, the parser VS Code itself uses, rather than
 * `JSON.parse`, whose messages quote the text around a mistake (which may hold a token) and
 * often give no position: ours name the line and column, from the parser's offsets, and never
 * quote the file.
 */

import { type JSONVisitor, type ParseErrorCode, printParseErrorCode, visit } from 'jsonc-parser';

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

/**
 * Deeper nesting is refused with a syntax error rather than left to overflow the stack (the
 * parser recurses per level). A config file nests a handful of levels.
 */
export const MAX_JSONC_DEPTH = 1000;

const VALUE = 'expected a value (an object, array, string, number, true, false or null)';

type ErrorName = Exclude<ReturnType<typeof printParseErrorCode>, '<unknown ParseErrorCode>'>;

/**
 * A reason for each error the parser reports, in words, never with the text it saw. `}` or
 * `]`: the innermost container open at the error. `InvalidCommentToken` (comments are allowed)
 * and `InvalidNumberFormat` (the scanner only yields valid numbers) are unreachable here.
 */
const REASONS: Readonly<Record<ErrorName, (close: '}' | ']' | undefined) => string>> = {
  InvalidSymbol: () => 'unexpected characters, not part of JSON',
  InvalidNumberFormat: () => 'an invalid number',
  PropertyNameExpected: () => 'expected a property name in double quotes',
  ValueExpected: () => VALUE,
  ColonExpected: () => "expected ':' after the property name",
  CommaExpected: (close) => (close === undefined ? "expected ','" : `expected ',' or '${close}'`),
  CloseBraceExpected: () => "expected ',' or '}'",
  CloseBracketExpected: () => "expected ',' or ']'",
  EndOfFileExpected: () => 'expected the end of the file after the value',
  InvalidCommentToken: () => 'comments are not allowed',
  UnexpectedEndOfComment: () => 'a comment is not closed (missing */)',
  UnexpectedEndOfString: () => 'a string is not closed, or holds a line break',
  UnexpectedEndOfNumber: () => "a number ends too early (a digit must follow '.' or the exponent)",
  InvalidUnicode: () => 'a \\u escape in a string needs four hex digits',
  InvalidEscapeCharacter: () =>
    'a string holds an unknown escape (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)',
  InvalidCharacter: () => 'a string holds a control character (a tab, say); write it as an escape',
};

interface Mistake {
  code: ParseErrorCode;
  offset: number;
  /** The innermost container open when the parser reported it. */
  close: '}' | ']' | undefined;
}

/**
 * Parses JSON that may hold comments and trailing commas. Objects have no prototype, so a key
 * named `__proto__` is an ordinary key, as with `JSON.parse`.
 *
 * @throws {JsoncSyntaxError} naming the line and column of the first mistake.
 */
export function parseJsonc(text: string): unknown {
  const body = text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  let root: unknown;
  let key: string | undefined;
  const open: Array<Record<string, unknown> | unknown[]> = [];
  const mistakes: Mistake[] = [];

  const add = (value: unknown): void => {
    const parent = open.at(-1);
    if (parent === undefined) root = value;
    else if (Array.isArray(parent)) parent.push(value);
    else if (key !== undefined) parent[key] = value;
  };
  const enter = (container: Record<string, unknown> | unknown[], offset: number): void => {
    if (open.length >= MAX_JSONC_DEPTH) fail(body, offset, `nested deeper than ${MAX_JSONC_DEPTH} levels`);
    add(container);
    open.push(container);
  };
  const visitor: JSONVisitor = {
    onObjectBegin: (offset) => enter(Object.create(null) as Record<string, unknown>, offset),
    onArrayBegin: (offset) => enter([], offset),
    onObjectEnd: () => void open.pop(),
    onArrayEnd: () => void open.pop(),
    onObjectProperty: (name) => {
      key = name;
    },
    onLiteralValue: add,
    onError: (code, offset) => {
      const parent = open.at(-1);
      mistakes.push({
        code,
        offset,
        close: parent === undefined ? undefined : Array.isArray(parent) ? ']' : '}',
      });
    },
  };
  visit(body, visitor, { allowTrailingComma: true, disallowComments: false, allowEmptyContent: false });

  const [first, next] = mistakes;
  if (first !== undefined) fail(body, first.offset, reason(first, next, body.length));
  return root;
}

/** The reason for the first mistake; the parser's next one tells what an unknown token stood for. */
function reason(first: Mistake, next: Mistake | undefined, end: number): string {
  const name = printParseErrorCode(first.code);
  if (name === '<unknown ParseErrorCode>') return 'not valid JSON';
  if (name === 'InvalidSymbol' && next !== undefined) {
    const meant = printParseErrorCode(next.code);
    if (meant === 'PropertyNameExpected' || meant === 'ValueExpected') return REASONS[meant](undefined);
  }
  const text = REASONS[name](first.close);
  return first.offset >= end ? `unexpected end of the file, ${text}` : text;
}

/** Throws the error for `offset`: 1-based line and column, lines ending at `\r\n`, `\n` or `\r`. */
function fail(text: string, offset: number, why: string): never {
  let line = 1;
  let start = 0;
  for (let i = 0; i < offset && i < text.length; i += 1) {
    const char = text.charCodeAt(i);
    if (char === 0x0a || (char === 0x0d && text.charCodeAt(i + 1) !== 0x0a)) {
      line += 1;
      start = i + 1;
    }
  }
  throw new JsoncSyntaxError(why, line, offset - start + 1);
}
