import { createHash } from 'node:crypto';

/** 22 base64url characters: 132 bits of SHA-256. */
const DIGEST_LENGTH = 22;

/**
 * Bounds of the work one hash may do, so a huge argument fails fast instead of blocking the event loop
 * (10⁷ elements took ~6 s): values visited (each array item, property, Map/Set entry counts), nesting
 * depth, and characters of strings plus bytes of binary data.
 */
export const HASH_LIMITS = { values: 10_000, depth: 64, characters: 1_000_000 } as const;

/** The state of one canonical walk: the objects being visited (cycle check), where we are (errors), what is left. */
interface Walk {
  readonly ancestors: Set<object>;
  readonly path: string[];
  values: number;
  characters: number;
}

/**
 * A stable hash of method arguments, the same in every process. Types are kept apart (`'1'` ≠ `1`,
 * `null` ≠ `undefined` ≠ `'null'`, `[]` ≠ `{}`); object key order does not matter, array order does;
 * Map entries and Set items are unordered. Date, BigInt, Buffer and typed arrays hash by value; an
 * object with `toJSON()` (e.g. an ObjectId) by what it returns; a class instance by its enumerable
 * own properties, like a plain object. Throws a TypeError for a function, a symbol, a cycle, an
 * object it cannot see into (no enumerable properties and no `toJSON()`, e.g. a Promise), or arguments
 * past {@link HASH_LIMITS}. SHA-256, base64url, 22 characters.
 */
export function hashArguments(args: readonly unknown[]): string {
  const walk: Walk = { ancestors: new Set(), path: ['args'], values: HASH_LIMITS.values, characters: HASH_LIMITS.characters };
  const text = canonical(args, walk);
  return createHash('sha256').update(text).digest('base64url').slice(0, DIGEST_LENGTH);
}

function canonical(value: unknown, walk: Walk): string {
  spend(walk, 1, 0);
  if (typeof value !== 'object' || value === null) return canonicalPrimitive(value, walk);
  if (walk.ancestors.has(value)) throw hashError('a cycle', walk);
  if (walk.ancestors.size >= HASH_LIMITS.depth) throw limitError(`more than ${HASH_LIMITS.depth} levels of nesting`, walk);
  walk.ancestors.add(value);
  const text = canonicalObject(value, walk);
  walk.ancestors.delete(value);
  return text;
}

function canonicalPrimitive(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      spend(walk, 0, value.length);
      return `s${JSON.stringify(value)}`;
    case 'number':
      return `n${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return canonicalBigInt(value, walk);
    case 'boolean':
      return value ? 'T' : 'F';
    case 'undefined':
      return 'u';
    case 'function':
    case 'symbol':
      throw hashError(`a ${typeof value}`, walk);
    default:
      return 'z';
  }
}

function canonicalObject(value: object, walk: Walk): string {
  if (value instanceof Date) return `d${value.getTime()}`;
  if (ArrayBuffer.isView(value)) return canonicalBytes(value, walk);
  if (value instanceof ArrayBuffer) return canonicalBytes(new Uint8Array(value), walk);
  if (Array.isArray(value)) {
    expectValues(walk, value.length);
    return `[${value.map((item, index) => child(item, `[${index}]`, walk)).join(',')}]`;
  }
  if (value instanceof Map) return canonicalMap(value, walk);
  if (value instanceof Set) {
    expectValues(walk, value.size);
    return `S{${[...value].map((item) => child(item, '.<set item>', walk)).sort().join(',')}}`;
  }
  if (hasToJSON(value)) return `j${child(value.toJSON(), '.toJSON()', walk)}`;
  return canonicalRecord(value, walk);
}

// NOTE: a Buffer and a Uint8Array of the same bytes hash alike (Buffer reports `Uint8Array` as its tag).
function canonicalBytes(view: ArrayBufferView, walk: Walk): string {
  spend(walk, 0, view.byteLength);
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  return `x${tag}:${Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64url')}`;
}

// NOTE: hexadecimal, which is linear in the number's size (decimal conversion is not).
function canonicalBigInt(value: bigint, walk: Walk): string {
  const hex = value.toString(16);
  spend(walk, 0, hex.length);
  return `b${hex}`;
}

function canonicalMap(map: Map<unknown, unknown>, walk: Walk): string {
  expectValues(walk, map.size * 2);
  const entries = [...map].map(([key, item]) => `${child(key, '.<map key>', walk)}=>${child(item, '.<map value>', walk)}`);
  return `M{${entries.sort().join(',')}}`;
}

function canonicalRecord(value: object, walk: Walk): string {
  const keys = Object.keys(value);
  expectValues(walk, keys.length);
  if (keys.length === 0 && !isPlainObject(value)) {
    throw hashError(`a ${value.constructor?.name ?? 'object'} (no enumerable properties, no toJSON())`, walk);
  }
  const record = value as Record<string, unknown>;
  const entries = keys.sort().map((key) => `${JSON.stringify(key)}:${child(record[key], `.${key}`, walk)}`);
  return `{${entries.join(',')}}`;
}

function child(value: unknown, segment: string, walk: Walk): string {
  walk.path.push(segment);
  const text = canonical(value, walk);
  walk.path.pop();
  return text;
}

function hasToJSON(value: object): value is { toJSON(): unknown } {
  return typeof (value as { toJSON?: unknown }).toJSON === 'function';
}

function isPlainObject(value: object): boolean {
  const prototype: unknown = Object.getPrototypeOf(value);
  return prototype === null || prototype === Object.prototype;
}

/** Takes `values` and `characters` from the walk's budget, throwing once either runs out. */
function spend(walk: Walk, values: number, characters: number): void {
  walk.values -= values;
  walk.characters -= characters;
  if (walk.values < 0) throw limitError(`more than ${HASH_LIMITS.values} values`, walk);
  if (walk.characters < 0) throw limitError(`more than ${HASH_LIMITS.characters} characters or bytes`, walk);
}

/** Throws before visiting a container whose items alone would exceed the budget, so a huge one costs nothing. */
function expectValues(walk: Walk, count: number): void {
  if (count > walk.values) throw limitError(`more than ${HASH_LIMITS.values} values`, walk);
}

function limitError(what: string, walk: Walk): TypeError {
  return new TypeError(`Cannot hash arguments with ${what} (at ${walk.path.join('')}) into a cache key; use a key template`);
}

function hashError(what: string, walk: Walk): TypeError {
  return new TypeError(`Cannot hash ${what} at ${walk.path.join('')} into a cache key; use a key template`);
}
