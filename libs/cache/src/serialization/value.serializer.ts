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

/**
 * MessagePack with records (so `Map` stays a `Map` and plain objects stay objects), `Set`, `Date`,
 * `BigInt` of any size, `Buffer` and nested `undefined`. Class instances come back as plain objects.
 */
const packr = new Packr({
  useRecords: true,
  mapsAsObjects: false,
  moreTypes: true,
  useBigIntExtension: true,
  int64AsType: 'bigint',
  // NOTE: without this, decoded Buffers are views into the source bytes: mutating one would change L1.
  copyBuffers: true,
});

/** Encodes a value for Redis (and for L1 copies); throws {@link CacheSerializationError} naming `key`. */
export function serialize(key: string, value: unknown): Buffer {
  try {
    return packr.pack(value);
  } catch (error) {
    throw new CacheSerializationError(key, describeFailure(error));
  }
}

/** Decodes what {@link serialize} produced. */
export function deserialize<T>(bytes: Uint8Array): T {
  return packr.unpack(bytes) as T;
}

function describeFailure(error: unknown): string {
  if (error instanceof RangeError) return 'it contains a cycle';
  if (error instanceof Error) return error.message;
  return String(error);
}
