function refuseMutation(): never {
  throw new TypeError('nestjs-tiered-cache: cached values are read-only; copy the value before changing it');
}

/** A prototype that inherits everything from `prototype` except its mutators, which throw. */
function readOnlyPrototype(prototype: object, mutators: readonly string[]): object {
  const readOnly = Object.create(prototype) as object;
  for (const name of mutators) Object.defineProperty(readOnly, name, { value: refuseMutation });
  return Object.freeze(readOnly);
}

// NOTE: one shared read-only prototype per kind rather than own mutator properties on each instance:
// own properties cost every frozen Date about 160 bytes (17 setters), and Maps and Sets too.
const READ_ONLY_DATE = readOnlyPrototype(
  Date.prototype,
  Object.getOwnPropertyNames(Date.prototype).filter((name) => name.startsWith('set')),
);
const READ_ONLY_MAP = readOnlyPrototype(Map.prototype, ['set', 'delete', 'clear']);
const READ_ONLY_SET = readOnlyPrototype(Set.prototype, ['add', 'delete', 'clear']);

// NOTE: heap sizes on 64-bit V8 as Node ships it (no pointer compression), measured with
// `node --expose-gc` over decoded values (see bench/l1-memory.ts); rounded up.
const SLOT = 8;
const OBJECT = 40;
const PROPERTY = 16;
const ARRAY = 48;
const STRING = 24;
const HEAP_NUMBER = 16;
const DATE = 112;
const MAP = 96;
const MAP_ENTRY = 48;
const SET_ENTRY = 32;
const OTHER_OBJECT = 128;
const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/** Returned by the walk for values holding binary data. */
const BINARY = -1;

/**
 * Deep-freezes a private copy so every L1 hit can hand out the same object safely, and estimates the
 * heap it holds, in bytes. `undefined` when the value holds binary data (typed arrays cannot be
 * frozen): the caller then keeps the encoded bytes and decodes a fresh copy on each read instead.
 */
export function freezeCopy(value: unknown): number | undefined {
  const size = freeze(value);
  return size === BINARY ? undefined : size;
}

/** Estimated heap size of a string, in bytes. */
export function stringSize(text: string): number {
  return STRING + (NOT_LATIN1.test(text) ? 2 * text.length : text.length);
}

function freeze(value: unknown): number {
  switch (typeof value) {
    case 'object':
      return value === null ? 0 : freezeObject(value);
    case 'string':
      return stringSize(value);
    case 'number':
      return Number.isInteger(value) && Math.abs(value) < 2 ** 30 ? 0 : HEAP_NUMBER;
    case 'bigint':
      return STRING + Math.ceil(value.toString(16).length / 16) * SLOT;
    default:
      return 0;
  }
}

function freezeObject(value: object): number {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer) return BINARY;
  if (Array.isArray(value)) return freezeArray(value);
  if (value instanceof Map) return freezeMap(value);
  if (value instanceof Set) return freezeSet(value);
  if (value instanceof Date) return readOnly(value, READ_ONLY_DATE, DATE);
  Object.freeze(value);
  const base = Object.getPrototypeOf(value) === Object.prototype ? OBJECT : OTHER_OBJECT;
  return sumChildren(value, base);
}

function freezeArray(array: unknown[]): number {
  Object.freeze(array);
  let size = ARRAY;
  for (let index = 0; index < array.length; index += 1) {
    const child = freeze(array[index]);
    if (child === BINARY) return BINARY;
    size += SLOT + child;
  }
  return size;
}

function sumChildren(value: object, base: number): number {
  let size = base;
  for (const key in value) {
    const child = freeze((value as Record<string, unknown>)[key]);
    if (child === BINARY) return BINARY;
    size += PROPERTY + child;
  }
  return size;
}

function freezeMap(map: Map<unknown, unknown>): number {
  let size = readOnly(map, READ_ONLY_MAP, MAP);
  for (const [key, entry] of map) {
    const keySize = freeze(key);
    const entrySize = freeze(entry);
    if (keySize === BINARY || entrySize === BINARY) return BINARY;
    size += MAP_ENTRY + keySize + entrySize;
  }
  return size;
}

function freezeSet(set: Set<unknown>): number {
  let size = readOnly(set, READ_ONLY_SET, MAP);
  for (const entry of set) {
    const entrySize = freeze(entry);
    if (entrySize === BINARY) return BINARY;
    size += SET_ENTRY + entrySize;
  }
  return size;
}

function readOnly(target: object, prototype: object, size: number): number {
  Object.setPrototypeOf(target, prototype);
  Object.freeze(target);
  return size;
}
