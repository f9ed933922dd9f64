// The JSON-with-comments parser: what it accepts beyond JSON, and where it says a file breaks.

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { JsoncSyntaxError, MAX_JSONC_DEPTH, parseJsonc } from '../../src/config/jsonc.js';

function failure(text: string): string {
  try {
    parseJsonc(text);
  } catch (error) {
    if (error instanceof JsoncSyntaxError) return error.message;
    throw error;
  }
  throw new Error('expected a syntax error');
}

describe('parseJsonc', () => {
  it('reads what JSON.parse reads, the same way', () => {
    const text = JSON.stringify({
      a: [1, -2.5e3, 0, true, false, null],
      s: 'quote " backslash \\ tab \t unicode \u00e9 \ud83d\ude00',
      nested: { empty: {}, list: [] },
    });
    expect(parseJsonc(text)).toEqual(JSON.parse(text));
  });

  it('accepts comments, trailing commas and a byte order mark', () => {
    const text =
      '\uFEFF{\n  // line\n  "a": [1, 2,], /* block\n over lines */\n  "b": { "c": "//not a comment", },\n}\n';
    expect(parseJsonc(text)).toEqual({ a: [1, 2], b: { c: '//not a comment' } });
  });

  it('keeps a __proto__ key as an ordinary key', () => {
    const value = parseJsonc('{"__proto__": {"polluted": true}}') as Record<string, unknown>;
    expect(Object.keys(value)).toEqual(['__proto__']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('reads numbers, escapes, duplicate keys and bare values as JSON.parse does', () => {
    expect(parseJsonc('[1e400, -0, 1E+2, "\\u00e9\\n", {"a": 1, "a": 2}]')).toEqual(
      JSON.parse('[1e400, -0, 1E+2, "\\u00e9\\n", {"a": 1, "a": 2}]'),
    );
    expect(parseJsonc(' // only a comment before\n"text"')).toBe('text');
    expect(parseJsonc('null')).toBeNull();
  });

  it.each([
    // Every error the reader reports, by jsonc-parser's name for it.
    ['CommaExpected', '{\n  "a": 1\n  "b": 2\n}', "line 3, column 3: expected ',' or '}'"],
    ['CommaExpected', '[1 2]', "line 1, column 4: expected ',' or ']'"],
    [
      'ValueExpected',
      '{"a": }',
      'line 1, column 7: expected a value (an object, array, string, number, true, false or null)',
    ],
    [
      'ValueExpected',
      '[1,,]',
      'line 1, column 4: expected a value (an object, array, string, number, true, false or null)',
    ],
    [
      'ValueExpected',
      '',
      'line 1, column 1: unexpected end of the file, expected a value (an object, array, string, number, true, false or null)',
    ],
    [
      'ValueExpected',
      '/* nothing */',
      'line 1, column 14: unexpected end of the file, expected a value (an object, array, string, number, true, false or null)',
    ],
    [
      'InvalidSymbol',
      '{"a": tru}',
      'line 1, column 7: expected a value (an object, array, string, number, true, false or null)',
    ],
    ['InvalidSymbol', "{'a': 1}", 'line 1, column 2: expected a property name in double quotes'],
    ['InvalidSymbol', '[NaN]', 'line 1, column 2: unexpected characters, not part of JSON'],
    ['InvalidSymbol', '{"a": 1 / }', 'line 1, column 9: unexpected characters, not part of JSON'],
    ['PropertyNameExpected', '{1: 2}', 'line 1, column 2: expected a property name in double quotes'],
    ['ColonExpected', '{"secret-key" 1}', "line 1, column 15: expected ':' after the property name"],
    ['CloseBraceExpected', '{"a": 1', "line 1, column 8: unexpected end of the file, expected ',' or '}'"],
    ['CloseBracketExpected', '{"a": [', "line 1, column 8: unexpected end of the file, expected ',' or ']'"],
    ['EndOfFileExpected', '{} {}', 'line 1, column 4: expected the end of the file after the value'],
    ['UnexpectedEndOfComment', '{"a": 1 /* open', 'line 1, column 9: a comment is not closed (missing */)'],
    [
      'UnexpectedEndOfString',
      '{"k": "sk-123\n"}',
      'line 1, column 7: a string is not closed, or holds a line break',
    ],
    [
      'UnexpectedEndOfNumber',
      '[1.]',
      "line 1, column 2: a number ends too early (a digit must follow '.' or the exponent)",
    ],
    ['InvalidUnicode', '["sk-\\u12"]', 'line 1, column 2: a \\u escape in a string needs four hex digits'],
    [
      'InvalidEscapeCharacter',
      '["sk-\\x"]',
      'line 1, column 2: a string holds an unknown escape (valid: \\" \\\\ \\/ \\b \\f \\n \\r \\t \\u)',
    ],
    [
      'InvalidCharacter',
      '{\n\t"k": "sk\t123"}',
      'line 2, column 7: a string holds a control character (a tab, say); write it as an escape',
    ],
  ])('reports %s in %j by line and column, never quoting the text', (_kind, text, where) => {
    const message = failure(text);
    expect(message).toBe(`not valid JSON at ${where}`);
    expect(message).not.toMatch(/sk-|secret-key|tru\b|NaN/);
  });

  it('counts lines ended by CRLF, LF or CR, and columns after a byte order mark', () => {
    expect(failure('{\r\n"a": 1,\r\n"b" 2}')).toBe(
      "not valid JSON at line 3, column 5: expected ':' after the property name",
    );
    expect(failure('{\r"a": 1,\r"b" 2}')).toBe(
      "not valid JSON at line 3, column 5: expected ':' after the property name",
    );
    expect(failure('\uFEFF{"a" 1}')).toBe(
      "not valid JSON at line 1, column 6: expected ':' after the property name",
    );
  });

  it(`refuses nesting deeper than ${MAX_JSONC_DEPTH} levels with a syntax error, not a stack overflow`, () => {
    expect(parseJsonc('['.repeat(MAX_JSONC_DEPTH) + ']'.repeat(MAX_JSONC_DEPTH))).toBeInstanceOf(Array);
    expect(failure(`{"a":${'['.repeat(200_000)}`)).toBe(
      `not valid JSON at line 1, column ${6 + MAX_JSONC_DEPTH - 1}: nested deeper than ${MAX_JSONC_DEPTH} levels`,
    );
  });

  it('reads any JSON text as JSON.parse does (generated)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        const text = JSON.stringify(value, null, 1);
        expect(parseJsonc(text)).toEqual(JSON.parse(text));
      }),
    );
  });

  it('answers any text with a value or a JsoncSyntaxError inside the text, never echoing it (generated)', () => {
    const unit = fc.constantFrom(
      ...'{}[],:"\\/*tfnul0123456789.eE-+ \n\r\t\u0001',
      '"SECRET',
      'SECRET',
      'true',
    );
    fc.assert(
      fc.property(fc.string({ unit, maxLength: 40 }), (text) => {
        try {
          parseJsonc(text);
        } catch (error) {
          expect(error).toBeInstanceOf(JsoncSyntaxError);
          const { line, column, reason } = error as JsoncSyntaxError;
          const lines = text.split(/\r\n|\n|\r/);
          expect(line).toBeLessThanOrEqual(lines.length);
          expect(column).toBeLessThanOrEqual((lines[line - 1]?.length ?? 0) + 1);
          expect(reason).not.toContain('SECRET');
        }
      }),
    );
  });
});
