import { createHash } from 'node:crypto';

/**
 * A stable hash of method arguments, the same in every process: object key order does not matter,
 * types are kept apart (`'1'` ≠ `1`, `null` ≠ `undefined`), Map and Set are order-independent.
 * SHA-256, base64url, 22 characters (132 bits).
 */
export function hashArguments(args: readonly unknown[]): string {
  return createHash('sha256').update(canonical(args, new Set())).digest('base64url').slice(0, 22);
}

function canonical(value: unknown, ancestors: Set<object>): string {
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
      throw new TypeError(`cannot hash a ${typeof value} argument into a cache key`);
  }
  if (value === null) return 'z';
  return canonicalObject(value as object, ancestors);
}

function canonicalObject(value: object, ancestors: Set<object>): string {
  if (ancestors.has(value)) throw new TypeError('cannot hash a cyclic argument into a cache key');
  ancestors.add(value);
  try {
    if (value instanceof Date) return `d${value.getTime()}`;
    if (ArrayBuffer.isView(value)) return `x${Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')}`;
    if (Array.isArray(value)) return `[${value.map((item) => canonical(item, ancestors)).join(',')}]`;
    if (value instanceof Map) {
      const entries = [...value].map(([key, item]) => `${canonical(key, ancestors)}=>${canonical(item, ancestors)}`);
      return `M{${entries.sort().join(',')}}`;
    }
    if (value instanceof Set) return `S{${[...value].map((item) => canonical(item, ancestors)).sort().join(',')}}`;
    const entries = Object.keys(value)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key], ancestors)}`);
    return `{${entries.join(',')}}`;
  } finally {
    ancestors.delete(value);
  }
}
