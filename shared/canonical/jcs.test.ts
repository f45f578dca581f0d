import { describe, expect, it } from 'vitest';
import { CanonicalizationError, canonicalize } from './jcs';

describe('canonicalize (RFC 8785)', () => {
  it('sorts keys by UTF-16 code units, recursively, with no whitespace', () => {
    expect(canonicalize({ b: 1, a: { d: [3, { z: null, y: true }], c: 'x' } })).toBe(
      '{"a":{"c":"x","d":[3,{"y":true,"z":null}]},"b":1}',
    );
    // RFC 8785 §3.2.3: "\u20ac" (€) sorts after "\r" and before "\ud83d\ude00" (😀) by UTF-16.
    expect(canonicalize({ '\u20ac': 1, '\r': 2, '\ud83d\ude00': 3, '1': 4 })).toBe(
      '{"\\r":2,"1":4,"€":1,"😀":3}',
    );
  });

  it('escapes strings as ECMAScript JSON does', () => {
    expect(canonicalize('a"b\\c\n\u0001\u2028é')).toBe('"a\\"b\\\\c\\n\\u0001\u2028é"');
  });

  it('prints integers plainly and refuses what a ledger body must never hold', () => {
    expect(canonicalize([0, -0, 9007199254740991, -5])).toBe('[0,0,9007199254740991,-5]');
    expect(() => canonicalize(1.5)).toThrow(CanonicalizationError);
    expect(() => canonicalize(2 ** 53)).toThrow(/safe integers/);
    expect(() => canonicalize(Number.NaN)).toThrow(CanonicalizationError);
    expect(() => canonicalize(new Date(0))).toThrow(/plain objects/);
    expect(() => canonicalize(() => 1)).toThrow(CanonicalizationError);
  });

  it('drops undefined members like JSON.stringify and round-trips through JSON.parse', () => {
    const value = { z: 'last', a: [1, 'two', { k: false }], m: undefined };
    const text = canonicalize(value);
    expect(text).toBe('{"a":[1,"two",{"k":false}],"z":"last"}');
    expect(canonicalize(JSON.parse(text))).toBe(text);
  });
});
