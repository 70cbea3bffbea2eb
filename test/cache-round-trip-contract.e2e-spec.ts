import { CacheSerializationError } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { RedisKeyLayout } from '../libs/cache/src/stores/redis-key.layout.js';
import { startCacheApp, type CacheApp } from './support/cache-app.factory.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

// Pins every line of the README's round-trip contract (guarantee 1): written by one instance, read
// back through Redis by another.
describe('round-trip contract (README guarantee 1)', () => {
  let writer: CacheApp;
  let reader: CacheApp;
  let redis: Redis;
  let namespace: string;
  let counter = 0;

  async function roundTrip<T>(value: T): Promise<T> {
    const key = `value:${(counter += 1)}`;
    await writer.cache.set(key, value);
    const found = await reader.cache.getMany<T>([key]);
    if (!(await reader.cache.has(key))) throw new Error(`${key} was not stored`);
    return found[0] as T;
  }

  beforeAll(async () => {
    namespace = uniqueNamespace('contract');
    const options = { namespace, l2: { redis: redisUrl() } };
    writer = await startCacheApp(options);
    reader = await startCacheApp(options);
    redis = new Redis(redisUrl());
  });

  afterAll(async () => {
    await Promise.all([writer.close(), reader.close()]);
    redis.disconnect();
  });

  describe('comes back identical', () => {
    it('null, booleans, strings (emoji included), NaN, Infinity, -Infinity', async () => {
      const value = { nothing: null, yes: true, no: false, text: 'héllo 😀', nan: Number.NaN, inf: Infinity, ninf: -Infinity, pi: 3.14 };
      expect(await roundTrip(value)).toEqual(value);
    });

    it('BigInt of any size, as bigint', async () => {
      const value = [5n, -5n, 2n ** 63n, -(2n ** 200n) + 7n];
      expect(await roundTrip(value)).toEqual(value);
    });

    it('numbers stay numbers, including integers past 2^53', async () => {
      const value = [2 ** 40, -(2 ** 40), 2 ** 53 - 1, 2 ** 60, 2 ** 64, 0.1];
      const read = await roundTrip(value);
      expect(read).toEqual(value);
      for (const item of read) expect(typeof item).toBe('number');
    });

    it('Date to the millisecond, an invalid Date included', async () => {
      const read = await roundTrip({ at: new Date('2024-02-03T04:05:06.789Z'), invalid: new Date(Number.NaN) });
      expect(read.at).toBeInstanceOf(Date);
      expect(read.at.getTime()).toBe(Date.parse('2024-02-03T04:05:06.789Z'));
      expect(read.invalid).toBeInstanceOf(Date);
      expect(Number.isNaN(read.invalid.getTime())).toBe(true);
    });

    it('Map (with any keys, objects included) and Set', async () => {
      const value = { byObject: new Map<unknown, unknown>([[{ id: 1 }, 'one'], [2, 'two'], ['__proto__', 'a key like any other']]), set: new Set([1, 'x', { a: 1 }]) };
      const read = await roundTrip(value);
      expect(read).toEqual(value);
      expect([...read.byObject.keys()]).toEqual([{ id: 1 }, 2, '__proto__']);
    });

    // NOTE: only Buffer, Uint8Array and ArrayBuffer here: under Jest's VM realm msgpackr does not
    // recognise the other typed arrays (in plain Node they round-trip as their own type).
    it('Buffer as Buffer (only its own bytes, not its pool), Uint8Array, ArrayBuffer', async () => {
      const pooled = Buffer.from('hello world').subarray(6);
      const value = { buffer: pooled, bytes: new Uint8Array([1, 2]), raw: new Uint8Array([9]).buffer };
      const read = await roundTrip(value);
      expect(Buffer.isBuffer(read.buffer)).toBe(true);
      expect(read.buffer.toString()).toBe('world');
      expect(read.buffer.buffer.byteLength).toBe(5);
      expect(read.bytes).toBeInstanceOf(Uint8Array);
      expect(read.raw).toBeInstanceOf(ArrayBuffer);
      expect(read).toEqual(value);
    });

    it('RegExp with its flags', async () => {
      const read = await roundTrip(/ab+c/giu);
      expect(read).toBeInstanceOf(RegExp);
      expect(read.source).toBe('ab+c');
      expect(read.flags).toBe('giu');
    });

    it('undefined as a property (the key is kept) and as an array element', async () => {
      const read = await roundTrip({ missing: undefined, list: [1, undefined, 3] });
      expect('missing' in read).toBe(true);
      expect(read.list).toHaveLength(3);
      expect(1 in read.list).toBe(true);
      expect(read.list[1]).toBeUndefined();
    });

    it(`nesting up to ${512} levels`, async () => {
      const read = await roundTrip(nested(511));
      expect(depth(read)).toBe(512);
    });
  });

  describe('comes back changed', () => {
    it('-0 becomes 0', async () => {
      const read = await roundTrip({ zero: -0 });
      expect(Object.is(read.zero, 0)).toBe(true);
    });

    it('a sparse array: holes become undefined elements, the length is kept', async () => {
      // eslint-disable-next-line no-sparse-arrays
      const read = await roundTrip([1, , 3]);
      expect(read).toHaveLength(3);
      expect(1 in read).toBe(true);
      expect(read[1]).toBeUndefined();
    });

    it('class instances, null-prototype objects and boxed primitives become plain objects of their own enumerable properties', async () => {
      class Money {
        constructor(readonly cents: number) {}

        get euros(): number {
          return this.cents / 100;
        }
      }
      const read = await roundTrip({ money: new Money(250), bare: Object.assign(Object.create(null) as object, { a: 1 }), boxed: new Number(3) });
      expect(Object.getPrototypeOf(read.money)).toBe(Object.prototype);
      expect(read.money).toEqual({ cents: 250 });
      expect((read.money as Partial<Money>).euros).toBeUndefined();
      expect(Object.getPrototypeOf(read.bare)).toBe(Object.prototype);
      expect(read.bare).toEqual({ a: 1 });
      expect(read.boxed).toEqual({});
    });

    it('an ES5-style instance keeps its own properties; its enumerable prototype methods are not stored', async () => {
      function Point(this: { x: number }, x: number): void {
        this.x = x;
      }
      (Point.prototype as { norm: () => number }).norm = function norm(this: { x: number }): number {
        return Math.abs(this.x);
      };
      const point = new (Point as unknown as new (x: number) => { x: number })(-3);
      expect(await roundTrip({ point })).toEqual({ point: { x: -3 } });
    });

    it('a class instance with toJSON() is stored as what toJSON() returns', async () => {
      class Price {
        constructor(readonly cents: number) {}

        toJSON(): string {
          return `${(this.cents / 100).toFixed(2)} EUR`;
        }
      }
      const read = await roundTrip({ price: new Price(100) });
      expect(read.price).toBe('1.00 EUR');
    });

    it('Error keeps its built-in class, message and cause; not its stack or other properties', async () => {
      const error = Object.assign(new TypeError('bad input', { cause: 'why' }), { code: 'E_BAD' });
      const read = await roundTrip(error);
      expect(read).toBeInstanceOf(TypeError);
      expect(read.message).toBe('bad input');
      expect(read.cause).toBe('why');
      expect((read as Partial<typeof error>).code).toBeUndefined();
      expect(read.stack).not.toBe(error.stack);
    });

    it('symbol-keyed properties and non-index array properties are dropped', async () => {
      const read = await roundTrip({ [Symbol('hidden')]: 1, list: Object.assign([1, 2], { extra: true }), visible: 2 });
      expect(Object.getOwnPropertySymbols(read)).toEqual([]);
      expect(Object.keys(read.list)).toEqual(['0', '1']);
      expect(read.visible).toBe(2);
    });

    it('shared references become independent copies', async () => {
      const shared = { id: 1 };
      const read = await roundTrip({ a: shared, b: shared });
      expect(read.a).toEqual(read.b);
      expect(read.a).not.toBe(read.b);
    });
  });

  describe('is refused with CacheSerializationError naming the key and where, and nothing is written', () => {
    const refused: [string, () => unknown, RegExp][] = [
      ['a function', () => ({ user: { compute: () => 1 } }), /a function cannot be cached \(at \$\.user\.compute\)/],
      ['a symbol value', () => ({ kind: Symbol('x') }), /a symbol cannot be cached \(at \$\.kind\)/],
      ['a string with a lone surrogate', () => ({ names: ['ok', 'bad\uD800'] }), /lone surrogate.*\(at \$\.names\[1\]\)/],
      ['a property name with a lone surrogate', () => ({ inner: { ['\uDC00']: 1 } }), /property name holds a lone surrogate.*\(at \$\.inner\)/],
      ["an own '__proto__' key (JSON.parse makes them)", () => JSON.parse('{"body":{"__proto__":{"admin":true}}}') as unknown, /own property named '__proto__'.*\(at \$\.body\)/],
      ['a Promise (a forgotten await)', () => ({ user: Promise.resolve(1) }), /a Promise \(await it first\) cannot be cached \(at \$\.user\)/],
      ['a WeakMap', () => [new WeakMap()], /a WeakMap cannot be cached \(at \$\[0\]\)/],
      ['a cycle', () => cyclic(), /it contains a cycle \(at \$\.child\.parent\)/],
      ['a cycle through a Map', () => cyclicMap(), /it contains a cycle \(at \$\.get\(self\)\)/],
      ['nesting deeper than 512 levels (acyclic)', () => nested(10_000), /it is nested too deeply \(max depth 512\)/],
    ];

    it.each(refused)('%s', async (_name, make, reason) => {
      const key = `refused:${(counter += 1)}`;
      const call = writer.cache.set(key, make());
      await expect(call).rejects.toBeInstanceOf(CacheSerializationError);
      await expect(writer.cache.set(key, make())).rejects.toThrow(new RegExp(`'${key}'.*${reason.source}`));
      await expect(writer.cache.getOrSet(key, async () => make())).rejects.toThrow(reason);
      expect(await redis.exists(new RedisKeyLayout(namespace).entry(key))).toBe(0);
      expect(await reader.cache.get(key)).toBeUndefined();
    });

    it('does not mistake a deep acyclic value for a cycle', async () => {
      await expect(writer.cache.set('deep', nested(10_000))).rejects.toThrow(/nested too deeply/);
      await expect(writer.cache.set('deep', nested(10_000))).rejects.not.toThrow(/cycle/);
    });
  });
});

function nested(levels: number): Record<string, unknown> {
  const root: Record<string, unknown> = {};
  let current = root;
  for (let level = 0; level < levels; level += 1) {
    const child: Record<string, unknown> = {};
    current.child = child;
    current = child;
  }
  return root;
}

function depth(value: unknown): number {
  let levels = 0;
  for (let current = value as Record<string, unknown> | undefined; current !== undefined; current = current.child as Record<string, unknown> | undefined) {
    levels += 1;
  }
  return levels;
}

function cyclic(): unknown {
  const root: Record<string, unknown> = { child: {} };
  (root.child as Record<string, unknown>).parent = root;
  return root;
}

function cyclicMap(): unknown {
  const map = new Map<string, unknown>();
  map.set('self', map);
  return map;
}
