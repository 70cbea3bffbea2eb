import { hashArguments } from './argument-hash.js';
import { escapeKeySegment } from './key-escaping.js';
import { compileKeyTemplate, defaultKeyBuilder } from './key-template.js';

const site = { className: 'ProductsService', methodName: 'findOne', parameterCount: 2 };

describe('escapeKeySegment', () => {
  it('returns safe input unchanged', () => {
    const safe = 'plain-value_1.2';
    expect(escapeKeySegment(safe)).toBe(safe);
  });

  it('escapes separators and pattern characters injectively', () => {
    const escaped = ['1:orders', '*', '?', '[a]', '{x}', 'a\\b', '%3A'].map(escapeKeySegment);
    for (const value of escaped) expect(value).not.toMatch(/[:*?[\]{}\\]/);
    expect(new Set(escaped).size).toBe(escaped.length);
    expect(escapeKeySegment('%3A')).not.toBe(escapeKeySegment(':'));
  });
});

describe('compileKeyTemplate', () => {
  it('interpolates arguments and property paths', () => {
    const build = compileKeyTemplate('user:{1.user.email}:{0}', site);
    expect(build(['13', { user: { email: 'a@b.c' } }])).toBe('user:a@b.c:13');
  });

  it('interpolates plain values as themselves', () => {
    const build = compileKeyTemplate('product:{0}', site);
    expect(build(['13'])).toBe('product:13');
    expect(build([13])).toBe('product:13');
    expect(build([null])).toBe('product:null');
    expect(build([undefined])).toBe('product:undefined');
    expect(build([new Date(0)])).toBe(`product:${escapeKeySegment(new Date(0).toISOString())}`);
  });

  it('escapes values so they cannot forge another key', () => {
    const build = compileKeyTemplate('product:{0}', site);
    expect(build(['1:orders'])).not.toBe('product:1:orders');
    expect(build(['*'])).toBe('product:%2A');
  });

  it('hashes objects without a property path', () => {
    const build = compileKeyTemplate('search:{0}', site);
    expect(build([{ a: 1, b: 2 }])).toBe(build([{ b: 2, a: 1 }]));
  });

  it('treats a missing property as undefined', () => {
    expect(compileKeyTemplate('p:{0.id.deep}', site)([{}])).toBe('p:undefined');
  });

  it('returns a constant for a template without placeholders', () => {
    expect(compileKeyTemplate('products:popular', site)([])).toBe('products:popular');
  });

  it.each([
    ['x:{2}', /ProductsService\.findOne.*argument 2.*2 parameter/],
    ['x:{}', /'\{\}' is not a placeholder/],
    ['x:{a}', /'\{a\}' is not a placeholder/],
    ['x:{0.}', /'\{0\.\}' is not a placeholder/],
    ['x:{0', /unbalanced '\{'/],
    ['x:0}', /unbalanced '\}'/],
  ])('rejects %p at compile time', (template, message) => {
    expect(() => compileKeyTemplate(template, site)).toThrow(message);
  });

  it('skips the argument check when the parameter count is unknown', () => {
    expect(compileKeyTemplate('x:{5}', { ...site, parameterCount: undefined })(['a'])).toBe('x:undefined');
  });

  it('calls a function template and checks what it returns', () => {
    expect(compileKeyTemplate((id: unknown) => `fn:${String(id)}`, site)(['7'])).toBe('fn:7');
    expect(() => compileKeyTemplate(() => '', site)([])).toThrow(/ProductsService\.findOne.*non-empty string/);
  });
});

describe('defaultKeyBuilder', () => {
  it('prefixes the class and method to a stable argument hash', () => {
    const build = defaultKeyBuilder('ProductsService', 'search');
    expect(build([{ page: 1, q: 'x' }])).toBe(`ProductsService.search:${hashArguments([{ q: 'x', page: 1 }])}`);
  });
});

describe('hashArguments', () => {
  it('is stable and independent of object key order', () => {
    expect(hashArguments([{ a: 1, b: [1, 2] }])).toBe(hashArguments([{ b: [1, 2], a: 1 }]));
    expect(hashArguments([])).toHaveLength(22);
  });

  it('keeps types apart', () => {
    const hashes = [['1'], [1], [null], [undefined], ['null'], [[]], [{}], [1n], [true], ['true']].map(hashArguments);
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it('treats Map and Set entries as unordered and keeps array order', () => {
    expect(hashArguments([new Map([['a', 1], ['b', 2]])])).toBe(hashArguments([new Map([['b', 2], ['a', 1]])]));
    expect(hashArguments([new Set([1, 2])])).toBe(hashArguments([new Set([2, 1])]));
    expect(hashArguments([[1, 2]])).not.toBe(hashArguments([[2, 1]]));
  });

  it('rejects functions and cycles', () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    expect(() => hashArguments([() => 1])).toThrow(TypeError);
    expect(() => hashArguments([cyclic])).toThrow(/cyclic/);
  });
});
