import { Packr, addExtension } from 'msgpackr';
import { CacheSerializationError } from './serialization.error.js';

// NOTE: msgpackr would silently drop functions; an extension that throws turns that into a clear error.
addExtension({
  Class: Function,
  type: 0x7e,
  write(): never {
    throw new TypeError('functions cannot be cached');
  },
  read(): never {
    throw new TypeError('functions cannot be cached');
  },
});

const COMMON_OPTIONS = {
  moreTypes: true,
  useBigIntExtension: true,
  int64AsType: 'bigint',
  // NOTE: without this, decoded Buffers are views into the source bytes: mutating one would change L1.
  copyBuffers: true,
} as const;

/** Values without a `Map`: plain MessagePack maps decode as objects, the fastest form. */
const plainPackr = new Packr({ ...COMMON_OPTIONS, useRecords: false, mapsAsObjects: true });

/** Values holding a `Map`: records keep plain objects apart from Maps (slower to decode). */
const recordPackr = new Packr({ ...COMMON_OPTIONS, useRecords: true, mapsAsObjects: false });

const PLAIN_FORMAT = 0;
const RECORD_FORMAT = 1;

/**
 * Encodes a value for Redis (and for L1 copies): Date, Map, Set, BigInt of any size, Buffer and nested
 * `undefined` round-trip; class instances come back as plain objects. The first byte names the
 * encoding. Throws {@link CacheSerializationError} naming `key`.
 */
export function serialize(key: string, value: unknown): Buffer {
  try {
    const format = containsMap(value) ? RECORD_FORMAT : PLAIN_FORMAT;
    const body = (format === RECORD_FORMAT ? recordPackr : plainPackr).pack(value);
    const bytes = Buffer.allocUnsafe(body.length + 1);
    bytes[0] = format;
    bytes.set(body, 1);
    return bytes;
  } catch (error) {
    throw new CacheSerializationError(key, describeFailure(error));
  }
}

/** Decodes what {@link serialize} produced. */
export function deserialize<T>(bytes: Uint8Array): T {
  const packr = bytes[0] === RECORD_FORMAT ? recordPackr : plainPackr;
  return packr.unpack(bytes.subarray(1)) as T;
}

function containsMap(value: unknown): boolean {
  if (value === null || typeof value !== 'object') return false;
  if (value instanceof Map) return true;
  if (ArrayBuffer.isView(value) || value instanceof Date) return false;
  if (Array.isArray(value) || value instanceof Set) {
    for (const item of value) if (containsMap(item)) return true;
    return false;
  }
  for (const key in value) if (containsMap((value as Record<string, unknown>)[key])) return true;
  return false;
}

function describeFailure(error: unknown): string {
  if (error instanceof RangeError) return 'it contains a cycle';
  if (error instanceof Error) return error.message;
  return String(error);
}
