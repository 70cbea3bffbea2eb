import { createHash } from 'node:crypto';

/** 22 base64url characters: 132 bits of SHA-256. */
const DIGEST_LENGTH = 22;

/** The state of one canonical walk: the objects being visited (cycle check) and where we are (errors). */
interface Walk {
  readonly ancestors: Set<object>;
  readonly path: string[];
}

/**
 * A stable hash of method arguments, the same in every process. Types are kept apart (`'1'` ≠ `1`,
 * `null` ≠ `undefined` ≠ `'null'`, `[]` ≠ `{}`); object key order does not matter, array order does;
 * Map entries and Set items are unordered. Date, BigInt, Buffer and typed arrays hash by value; an
 * object with `toJSON()` (e.g. an ObjectId) by what it returns; a class instance by its enumerable
 * own properties, like a plain object. Throws a TypeError for a function, a symbol, a cycle, or an
 * object it cannot see into (no enumerable properties and no `toJSON()`, e.g. a Promise).
 * SHA-256, base64url, 22 characters.
 */
export function hashArguments(args: readonly unknown[]): string {
  const text = canonical(args, { ancestors: new Set(), path: ['args'] });
  return createHash('sha256').update(text).digest('base64url').slice(0, DIGEST_LENGTH);
}

function canonical(value: unknown, walk: Walk): string {
  if (typeof value !== 'object' || value === null) return canonicalPrimitive(value, walk);
  if (walk.ancestors.has(value)) throw hashError('a cycle', walk);
  walk.ancestors.add(value);
  const text = canonicalObject(value, walk);
  walk.ancestors.delete(value);
  return text;
}

function canonicalPrimitive(value: unknown, walk: Walk): string {
  switch (typeof value) {
    case 'string':
      return `s${JSON.stringify(value)}`;
    case 'number':
      return `n${Object.is(value, -0) ? '-0' : String(value)}`;
    case 'bigint':
      return `b${value.toString()}`;
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
  if (ArrayBuffer.isView(value)) return canonicalBytes(value);
  if (value instanceof ArrayBuffer) return canonicalBytes(new Uint8Array(value));
  if (Array.isArray(value)) return `[${value.map((item, index) => child(item, `[${index}]`, walk)).join(',')}]`;
  if (value instanceof Map) return canonicalMap(value, walk);
  if (value instanceof Set) return `S{${[...value].map((item) => child(item, '.<set item>', walk)).sort().join(',')}}`;
  if (hasToJSON(value)) return `j${child(value.toJSON(), '.toJSON()', walk)}`;
  return canonicalRecord(value, walk);
}

// NOTE: a Buffer and a Uint8Array of the same bytes hash alike (Buffer reports `Uint8Array` as its tag).
function canonicalBytes(view: ArrayBufferView): string {
  const tag = Object.prototype.toString.call(view).slice(8, -1);
  return `x${tag}:${Buffer.from(view.buffer, view.byteOffset, view.byteLength).toString('base64url')}`;
}

function canonicalMap(map: Map<unknown, unknown>, walk: Walk): string {
  const entries = [...map].map(([key, item]) => `${child(key, '.<map key>', walk)}=>${child(item, '.<map value>', walk)}`);
  return `M{${entries.sort().join(',')}}`;
}

function canonicalRecord(value: object, walk: Walk): string {
  const keys = Object.keys(value);
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

function hashError(what: string, walk: Walk): TypeError {
  return new TypeError(`Cannot hash ${what} at ${walk.path.join('')} into a cache key; use a key template`);
}
