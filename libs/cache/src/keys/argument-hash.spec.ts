import { HASH_LIMITS, hashArguments } from './argument-hash.js';

function distinct(...argumentLists: unknown[][]): void {
  const hashes = argumentLists.map(hashArguments);
  expect(new Set(hashes).size).toBe(argumentLists.length);
}

describe('hashArguments', () => {
  it('is a 22-character base64url digest, stable across calls and processes', () => {
    expect(hashArguments([])).toMatch(/^[A-Za-z0-9_-]{22}$/);
    expect(hashArguments(['13', { page: 1 }])).toBe(hashArguments(['13', { page: 1 }]));
    // NOTE: a literal digest pins the canonical form: changing it silently would orphan every cached entry.
    expect(hashArguments([])).toBe('T1PNoYwrqgwDVLtfmj7L5e');
  });

  it('ignores object key order at every depth, and keeps array order', () => {
    expect(hashArguments([{ a: 1, b: { c: 2, d: 3 } }])).toBe(hashArguments([{ b: { d: 3, c: 2 }, a: 1 }]));
    expect(hashArguments([[1, 2]])).not.toBe(hashArguments([[2, 1]]));
    expect(hashArguments(['a', 'b'])).not.toBe(hashArguments(['b', 'a']));
  });

  it('keeps types apart', () => {
    distinct(['1'], [1], [1n], [true], ['true'], [null], [undefined], ['null'], ['undefined'], [[]], [{}], [0], [-0], [NaN]);
    distinct([[]], [[undefined]], [{}], [{ a: undefined }], [new Map()], [new Set()]);
    distinct([new Date(0)], [0], ['1970-01-01T00:00:00.000Z']);
  });

  it('keeps argument boundaries apart', () => {
    distinct(['a', 'b'], ['a,b'], [['a', 'b']], ['a', 'b', undefined], ['ab']);
    distinct([{ a: 'b' }], [{ 'a:b': 'c' }], [{ a: 'b:c' }], [{ '"a"': 'b' }]);
  });

  it('hashes Map entries and Set items regardless of insertion order', () => {
    const forward = new Map<unknown, unknown>([['a', 1], [2, { b: 3 }]]);
    const backward = new Map<unknown, unknown>([[2, { b: 3 }], ['a', 1]]);
    expect(hashArguments([forward])).toBe(hashArguments([backward]));
    expect(hashArguments([new Set([1, 'x', null])])).toBe(hashArguments([new Set([null, 'x', 1])]));
    distinct([new Map([['a', 1]])], [new Map([['a', 2]])], [new Map([[1, 'a']])], [new Set(['a'])], [['a']]);
  });

  it('hashes Date, BigInt and binary values by value', () => {
    expect(hashArguments([new Date(5)])).toBe(hashArguments([new Date(5)]));
    distinct([new Date(5)], [new Date(6)], [2n ** 80n], [2n ** 80n + 1n]);
    expect(hashArguments([Buffer.from('hi')])).toBe(hashArguments([new Uint8Array([104, 105])]));
    expect(hashArguments([new Uint8Array([1, 2, 3]).subarray(1)])).toBe(hashArguments([Buffer.from([2, 3])]));
    distinct([Buffer.from('hi')], [Buffer.from('ho')], ['hi'], [new Uint16Array([104, 105])], [new ArrayBuffer(2)]);
  });

  it('hashes objects with toJSON() by what it returns', () => {
    class ObjectId {
      constructor(private readonly hex: string) {}
      toJSON(): string {
        return this.hex;
      }
    }
    expect(hashArguments([new ObjectId('aa')])).toBe(hashArguments([new ObjectId('aa')]));
    distinct([new ObjectId('aa')], [new ObjectId('bb')], ['aa']);
  });

  it('hashes class instances by their enumerable properties', () => {
    class Query {
      constructor(readonly q: string) {}
    }
    expect(hashArguments([new Query('x')])).toBe(hashArguments([{ q: 'x' }]));
    expect(hashArguments([Object.create(null)])).toBe(hashArguments([{}]));
  });

  it('accepts a shared (non-cyclic) reference', () => {
    const shared = { id: 1 };
    expect(hashArguments([[shared, shared]])).toBe(hashArguments([[{ id: 1 }, { id: 1 }]]));
  });

  it('names what it cannot hash, and where', () => {
    const cyclic: Record<string, unknown> = { a: [] };
    (cyclic.a as unknown[]).push(cyclic);
    expect(() => hashArguments([1, { fn: () => 1 }])).toThrow(/Cannot hash a function at args\[1\]\.fn/);
    expect(() => hashArguments([Symbol('s')])).toThrow(/Cannot hash a symbol at args\[0\]/);
    expect(() => hashArguments([cyclic])).toThrow(/Cannot hash a cycle at args\[0\]\.a\[0\]/);
    expect(() => hashArguments([new Map([['k', () => 1]])])).toThrow(/function at args\[0\]\.<map value>/);
    expect(() => hashArguments([Promise.resolve(1)])).toThrow(/Cannot hash a Promise .*at args\[0\]/);
    expect(() => hashArguments([new WeakMap()])).toThrow(TypeError);
  });
});

describe('hashArguments bounds its work (issue 7.27)', () => {
  it.each([
    ['a 10^7-element array', () => [new Array<number>(10_000_000).fill(1)], /more than 10000 values/],
    ['a wide object', () => [Object.fromEntries(Array.from({ length: 20_000 }, (_, index) => [`k${index}`, index]))], /more than 10000 values/],
    ['a big Map', () => [new Map(Array.from({ length: 6_000 }, (_, index) => [index, index]))], /more than 10000 values/],
    ['a big Set', () => [new Set(Array.from({ length: 20_000 }, (_, index) => index))], /more than 10000 values/],
    ['many small arrays', () => [Array.from({ length: 200 }, () => Array.from({ length: 60 }, () => 1))], /more than 10000 values/],
    ['a 2 MB string', () => ['x'.repeat(2_000_000)], /more than 1000000 characters/],
    ['a 2 MB Buffer', () => [Buffer.alloc(2_000_000)], /more than 1000000 characters or bytes/],
    ['deep nesting', () => [nested(10_000)], /more than 64 levels/],
  ])('fails fast on %s', (_, args, message) => {
    const input = args();
    const started = performance.now();
    expect(() => hashArguments(input)).toThrow(message);
    console.log(`hashArguments rejected ${_} in ${(performance.now() - started).toFixed(1)} ms`);
  });

  it('still hashes arguments within the limits', () => {
    expect(hashArguments([new Array<number>(HASH_LIMITS.values - 2).fill(1)])).toHaveLength(22);
    expect(hashArguments([nested(HASH_LIMITS.depth - 2)])).toHaveLength(22);
    expect(hashArguments(['x'.repeat(HASH_LIMITS.characters)])).toHaveLength(22);
  });
});

function nested(depth: number): unknown {
  let value: unknown = 'leaf';
  for (let level = 0; level < depth; level += 1) value = { child: value };
  return value;
}
