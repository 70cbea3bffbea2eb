/** How deeply a cached value may nest (objects, arrays, Maps, Sets); decoding needs stack room for each level. */
export const MAX_VALUE_DEPTH = 512;

/** Unwinds from the offending part to the root, collecting the objects on the way. */
class Problem {
  readonly ancestors: object[] = [];

  constructor(
    readonly reason: string,
    readonly leaf: unknown,
  ) {}
}

/** `String.prototype.isWellFormed` (Node 20+, typed from ES2024). */
interface UnicodeString {
  isWellFormed(): boolean;
}

const TOO_DEEP = `it is nested too deeply (max depth ${MAX_VALUE_DEPTH})`;
const REFUSED_CLASSES: readonly [new (...args: never[]) => object, string][] = [
  [Promise, 'a Promise (await it first)'],
  [WeakMap, 'a WeakMap'],
  [WeakSet, 'a WeakSet'],
  [WeakRef, 'a WeakRef'],
];

/**
 * Checks that `value` round-trips (see the README's round-trip contract) and tells whether it holds a
 * `Map` (which needs the record encoding). Throws a TypeError naming what and where (the reason a
 * `CacheSerializationError` gives):
 * a function, a symbol, a string that is not well-formed Unicode, an own `__proto__` key, a Promise or
 * weak collection, a cycle, or nesting deeper than {@link MAX_VALUE_DEPTH}.
 */
export function inspectValue(value: unknown): boolean {
  try {
    return visit(value, 0);
  } catch (error) {
    if (!(error instanceof Problem)) throw error;
    const path = error.ancestors.reverse();
    const cycle = error.reason === TOO_DEEP ? cyclePath(path) : undefined;
    if (cycle) throw uncacheable('it contains a cycle', describePath(cycle, cycle.at(-1)));
    throw uncacheable(error.reason, error.reason === TOO_DEEP ? '' : describePath(path, error.leaf));
  }
}

/** Why a value cannot be cached, with the path to the offending part. */
function uncacheable(reason: string, path: string): TypeError {
  return new TypeError(path === '' ? reason : `${reason} (at ${path})`);
}

function visit(value: unknown, depth: number): boolean {
  switch (typeof value) {
    case 'object':
      return value !== null && visitObject(value, depth);
    case 'string':
      if (!(value as unknown as UnicodeString).isWellFormed()) throw new Problem('a string holds a lone surrogate (not well-formed Unicode)', value);
      return false;
    case 'function':
      throw new Problem('a function cannot be cached', value);
    case 'symbol':
      throw new Problem('a symbol cannot be cached', value);
    default:
      return false;
  }
}

function visitObject(value: object, depth: number): boolean {
  if (depth >= MAX_VALUE_DEPTH) throw new Problem(TOO_DEEP, value);
  try {
    return visitChildren(value, depth + 1);
  } catch (error) {
    if (error instanceof Problem) error.ancestors.push(value);
    throw error;
  }
}

function visitChildren(value: object, depth: number): boolean {
  if (Array.isArray(value)) {
    let hasMap = false;
    for (let index = 0; index < value.length; index += 1) hasMap = visit(value[index], depth) || hasMap;
    return hasMap;
  }
  if (Object.getPrototypeOf(value) !== Object.prototype) return visitSpecial(value, depth);
  return visitProperties(value, depth, false);
}

/** Own enumerable properties, as msgpackr writes them; `mayInherit` for class instances, whose prototype may add enumerables. */
function visitProperties(value: object, depth: number, mayInherit: boolean): boolean {
  let hasMap = false;
  for (const key in value) {
    if (mayInherit && !Object.hasOwn(value, key)) continue;
    if (key === '__proto__') throw new Problem("an own property named '__proto__' cannot be cached", value);
    if (!(key as unknown as UnicodeString).isWellFormed()) throw new Problem('a property name holds a lone surrogate (not well-formed Unicode)', value);
    hasMap = visit((value as Record<string, unknown>)[key], depth) || hasMap;
  }
  return hasMap;
}

function visitSpecial(value: object, depth: number): boolean {
  if (ArrayBuffer.isView(value) || value instanceof ArrayBuffer || value instanceof Date || value instanceof RegExp || value instanceof Error) {
    return false;
  }
  if (value instanceof Map) {
    for (const [key, entry] of value) {
      visit(key, depth);
      visit(entry, depth);
    }
    return true;
  }
  if (value instanceof Set) {
    let hasMap = false;
    for (const item of value) hasMap = visit(item, depth) || hasMap;
    return hasMap;
  }
  for (const [refused, name] of REFUSED_CLASSES) if (value instanceof refused) throw new Problem(`${name} cannot be cached`, value);
  // NOTE: msgpackr writes what `toJSON()` returns for objects that define it, so their fields are not ours to check.
  if (typeof (value as { toJSON?: unknown }).toJSON === 'function') return false;
  return visitProperties(value, depth, true);
}

/** The path from the root to the first object met twice, if the path holds one. */
function cyclePath(path: readonly object[]): object[] | undefined {
  const seen = new Set<object>();
  for (let index = 0; index < path.length; index += 1) {
    if (seen.has(path[index])) return path.slice(0, index + 1);
    seen.add(path[index]);
  }
  return undefined;
}

/** `$.a[2].b` from the chain of containers, ending at `leaf`. */
function describePath(containers: readonly object[], leaf: unknown): string {
  let path = '$';
  for (let index = 0; index + 1 < containers.length; index += 1) path += step(containers[index], containers[index + 1]);
  const last = containers.at(-1);
  if (last !== undefined && leaf !== last) path += step(last, leaf);
  return path;
}

function step(container: object, child: unknown): string {
  if (container instanceof Map) {
    for (const [key, entry] of container) {
      if (entry === child) return `.get(${String(key)})`;
      if (key === child) return '<a Map key>';
    }
  }
  if (container instanceof Set) return '<a Set item>';
  if (Array.isArray(container)) return `[${container.indexOf(child)}]`;
  for (const key in container) if ((container as Record<string, unknown>)[key] === child) return `.${key}`;
  return '';
}
