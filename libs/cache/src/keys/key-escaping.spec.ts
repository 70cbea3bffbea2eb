import { escapeHashTag, escapeKeySegment } from './key-escaping.js';

const FORBIDDEN = /[:*?[\]{}\\]/;

describe('escapeKeySegment', () => {
  it('returns safe input itself', () => {
    for (const safe of ['', 'plain-value_1.2', 'a@b.c', 'café 😀', '/path/to#x']) expect(escapeKeySegment(safe)).toBe(safe);
  });

  it('percent-encodes every separator and pattern character, and % itself', () => {
    expect(escapeKeySegment(':*?[]{}\\%')).toBe('%3A%2A%3F%5B%5D%7B%7D%5C%25');
    expect(escapeKeySegment('1:orders')).toBe('1%3Aorders');
  });

  it('leaves none of the forbidden characters in its output', () => {
    for (const value of ['1:orders', '*', 'user:*', 'a?b', '[a-z]', '{tag}', 'a\\b', '::**??']) {
      expect(escapeKeySegment(value)).not.toMatch(FORBIDDEN);
    }
  });

  it('is injective, including inputs that look escaped already', () => {
    const inputs = [':', '%3A', '%253A', '%', '%25', '*', '%2A', 'a:b', 'a%3Ab', 'a%b', '%%', '\\', '%5C'];
    const outputs = inputs.map(escapeKeySegment);
    expect(new Set(outputs).size).toBe(inputs.length);
  });

  it('round-trips through decodeURIComponent', () => {
    for (const value of ['1:orders', '%3A', 'a%b{c}[d]*?\\', 'x % y']) {
      expect(decodeURIComponent(escapeKeySegment(value))).toBe(value);
    }
  });
});

describe('escapeHashTag', () => {
  it('escapes only %, braces and lone surrogates, injectively', () => {
    expect(escapeHashTag('product:13')).toBe('product:13');
    expect(escapeHashTag('}a{b%')).toBe('%7Da%7Bb%25');
    const inputs = ['}', '%7D', '{', '%7B', 'u\uD800', 'u\uDC00', 'u\uFFFD', 'u%uD800', 'u%uDC00', '😀', '\uDE00\uD83D'];
    const outputs = inputs.map(escapeHashTag);
    expect(new Set(outputs).size).toBe(inputs.length);
    expect(new Set(outputs.map((output) => Buffer.from(output, 'utf8').toString('hex'))).size).toBe(inputs.length);
    for (const output of outputs) expect(output).not.toMatch(/[{}]/);
  });
});
