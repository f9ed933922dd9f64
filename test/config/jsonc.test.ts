// The JSON-with-comments parser: what it accepts beyond JSON, and where it says a file breaks.

import { describe, expect, it } from 'vitest';
import { JsoncSyntaxError, parseJsonc } from '../../src/config/jsonc.js';

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

  it.each([
    ['{\n  "a": 1\n  "b": 2\n}', "line 3, column 3: expected ',' or '}'"],
    [
      '{"a": tru}',
      'line 1, column 7: expected a value (an object, array, string, number, true, false or null)',
    ],
    ['{"k": "sk-123\n"}', 'line 1, column 7: a string is not closed, or holds a line break or a bad escape'],
    ["{'a': 1}", 'line 1, column 2: expected a property name in double quotes'],
    ['{"a" 1}', 'line 1, column 6: expected \':\' after the property name "a"'],
    ['{"a": 1 /* open', 'line 1, column 9: a comment is not closed (missing */)'],
    ['{"a": [', 'line 1, column 8: unexpected end of the file, expected a value'],
    ['', 'line 1, column 1: unexpected end of the file, expected a value'],
    ['{} {}', 'line 1, column 4: expected the end of the file after the value'],
  ])('names the line and column of a mistake in %j, never quoting the text', (text, where) => {
    expect(failure(text)).toBe(`not valid JSON at ${where}`);
  });
});
