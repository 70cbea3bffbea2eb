import { hashArguments } from './argument-hash.js';
import { compileKeyTemplate, defaultKeyBuilder } from './key-template.js';

const site = { className: 'ProductsService', methodName: 'findOne', parameterCount: 2 };

describe('compileKeyTemplate', () => {
  it('interpolates arguments and property paths, keeping literal text', () => {
    const build = compileKeyTemplate('user:{1.user.email}:{0}!', site);
    expect(build(['13', { user: { email: 'a@b.c' } }])).toBe('user:a@b.c:13!');
    expect(compileKeyTemplate('{0}{1}', site)(['a', 'b'])).toBe('ab');
    expect(compileKeyTemplate('first:{0.items.0}', site)([{ items: ['x'] }])).toBe('first:x');
  });

  it('interpolates plain values as themselves', () => {
    const build = compileKeyTemplate('product:{0}', site);
    expect(build(['13'])).toBe('product:13');
    expect(build([13])).toBe('product:13');
    expect(build([13n])).toBe('product:13');
    expect(build([false])).toBe('product:false');
    expect(build([null])).toBe('product:null');
    expect(build([undefined])).toBe('product:undefined');
    expect(build([new Date(0)])).toBe('product:1970-01-01T00%3A00%3A00.000Z');
    expect(build([new Date(Number.NaN)])).toBe('product:Invalid Date');
  });

  it('escapes values so they cannot forge another key or a pattern', () => {
    const build = compileKeyTemplate('product:{0}', site);
    expect(build(['1:orders'])).toBe('product:1%3Aorders');
    expect(build(['1:orders'])).not.toBe(build(['1']) + ':orders');
    expect(build(['*'])).toBe('product:%2A');
    expect(build(['?'])).toBe('product:%3F');
    expect(build(['['])).toBe('product:%5B');
    expect(build(['{x}'])).toBe('product:%7Bx%7D');
    expect(build(['%3A'])).not.toBe(build([':']));
  });

  it('hashes objects and arrays, independently of key order', () => {
    const build = compileKeyTemplate('search:{0}', site);
    expect(build([{ a: 1, b: 2 }])).toBe(`search:%#${hashArguments([{ a: 1, b: 2 }])}`);
    expect(build([{ a: 1, b: 2 }])).toBe(build([{ b: 2, a: 1 }]));
    expect(build([[1, 2]])).not.toBe(build([[2, 1]]));
  });

  it('interpolates a missing property as undefined', () => {
    const build = compileKeyTemplate('p:{0.id.deep}', site);
    expect(build([{}])).toBe('p:undefined');
    expect(build([null])).toBe('p:undefined');
    expect(build([{ id: null }])).toBe('p:undefined');
    expect(build([])).toBe('p:undefined');
  });

  it('returns the constant for a template without placeholders', () => {
    expect(compileKeyTemplate('products:popular', site)(['ignored'])).toBe('products:popular');
  });

  it.each([
    ['product:{2}', /^Cache key template 'product:\{2\}' on ProductsService\.findOne refers to argument 2, but the method declares 2 parameters \(0\.\.1\)$/],
    ['x:{}', /'x:\{\}' on ProductsService\.findOne has '\{\}', which is not a placeholder/],
    ['x:{a}', /has '\{a\}', which is not a placeholder/],
    ['x:{0.}', /has '\{0\.\}', which is not a placeholder/],
    ['x:{-1}', /has '\{-1\}', which is not a placeholder/],
    ['x:{ 0 }', /has '\{ 0 \}', which is not a placeholder/],
    ['x:{0', /unbalanced '\{' at position 2/],
    ['x:{{0}}', /unbalanced '\{' at position 2/],
    ['x:0}', /unbalanced '\}' at position 3/],
    ['x:{0}}', /unbalanced '\}' at position 5/],
    ['', /'' on ProductsService\.findOne is empty/],
  ])('rejects %p at compile time', (template, message) => {
    expect(() => compileKeyTemplate(template, site)).toThrow(message);
  });

  it('words the argument check for one or no parameters', () => {
    expect(() => compileKeyTemplate('{1}', { ...site, parameterCount: 1 })).toThrow(/declares 1 parameter \(0\)$/);
    expect(() => compileKeyTemplate('{0}', { ...site, parameterCount: 0 })).toThrow(/declares no parameters$/);
  });

  it('skips the argument check when the parameter count is unknown', () => {
    expect(compileKeyTemplate('x:{5}', { ...site, parameterCount: undefined })(['a'])).toBe('x:undefined');
    expect(compileKeyTemplate('x:{1}', { className: 'A', methodName: 'b' })(['a', 'b'])).toBe('x:b');
  });

  it('names the site and placeholder when a value cannot be hashed', () => {
    const build = compileKeyTemplate('x:{0.filter}', site);
    expect(() => build([{ filter: { test: () => true } }])).toThrow(
      /^Cache key template 'x:\{0\.filter\}' on ProductsService\.findOne: \{0\.filter\} cannot be interpolated: Cannot hash a function/,
    );
    expect(() => build([{ filter: Symbol('s') }])).toThrow(TypeError);
  });

  it('calls a function template with the arguments and escapes nothing', () => {
    const build = compileKeyTemplate((id: string, page: number) => `fn:${id}:${page}`, site);
    expect(build(['a:b', 2])).toBe('fn:a:b:2');
  });

  it('rejects what a function template returns unless it is a non-empty string', () => {
    const returning = (value: unknown) => compileKeyTemplate(() => value as string, site);
    expect(() => returning('')([])).toThrow(/^Cache key function on ProductsService\.findOne: .*must be a non-empty string, got an empty string$/);
    expect(() => returning(undefined)([])).toThrow(/got undefined/);
    expect(() => returning(null)([])).toThrow(/got null/);
    expect(() => returning(7n)([])).toThrow(/got a bigint/);
    expect(() => returning({})([])).toThrow(/got an object/);
    expect(() => returning('u\uD800')([])).toThrow(/ProductsService\.findOne: .*well-formed UTF-16/);
  });
});

describe('compileKeyTemplate against collisions (issue 7.21)', () => {
  it('marks hashed objects so no string argument can spell their hash', () => {
    const build = compileKeyTemplate('repo:{0}', site);
    const object = { owner: 'alice', private: true };
    const hash = hashArguments([object]);
    expect(build([hash])).not.toBe(build([object]));
    expect(build([`%#${hash}`])).not.toBe(build([object]));
  });

  it('escapes lone surrogates injectively', () => {
    const build = compileKeyTemplate('u:{0}', site);
    const keys = ['u\uD800', 'u\uDC00', 'u\uFFFD', 'u%uD800', '\uD83D\uDE00', '\uDE00\uD83D'].map((value) => build([value]));
    expect(new Set(keys).size).toBe(keys.length);
    for (const key of keys) expect(Buffer.from(key, 'utf8').toString('utf8')).toBe(key);
    expect(build(['😀'])).toBe('u:😀');
  });

  it('rejects paths through __proto__, constructor or prototype at compile time', () => {
    for (const path of ['{0.__proto__}', '{0.constructor.name}', '{0.prototype}', '{1.a.__proto__.polluted}']) {
      expect(() => compileKeyTemplate(`x:${path}`, { ...site, parameterCount: 2 })).toThrow(/own properties/);
    }
  });

  it('reads own properties only; an inherited one throws instead of giving every call one key', () => {
    const build = compileKeyTemplate('x:{0.role}', site);
    expect(() => build([Object.create({ role: 'admin' })])).toThrow(/\{0\.role\}: 'role' is inherited/);
    class User {
      get role(): string {
        return 'computed';
      }
    }
    expect(() => build([new User()])).toThrow(/inherited/);
    expect(build([{ role: 'user' }])).toBe('x:user');
    expect(build([{}])).toBe('x:undefined');
    expect(compileKeyTemplate('x:{0.length}', site)(['abc'])).toBe('x:3');
    expect(() => compileKeyTemplate('x:{0.toString}', site)([{}])).toThrow(/inherited/);
  });

  it('rejects a literal with a lone surrogate at compile time', () => {
    expect(() => compileKeyTemplate('x\uD800:{0}', site)).toThrow(/lone surrogate/);
  });
});

describe('defaultKeyBuilder', () => {
  it('prefixes the class and method to a stable argument hash', () => {
    const build = defaultKeyBuilder('ProductsService', 'search');
    expect(build([{ page: 1, q: 'x' }])).toBe(`ProductsService.search:${hashArguments([{ q: 'x', page: 1 }])}`);
    expect(build([])).toBe(`ProductsService.search:${hashArguments([])}`);
    expect(build(['1'])).not.toBe(build([1]));
  });
});
