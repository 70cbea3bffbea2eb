import { Packr, addExtension } from 'msgpackr';
import { inspectValue } from './value.inspector.js';
import { CacheSerializationError } from '../cache.errors.js';

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
  // NOTE: without this, decoded Buffers are views into the source bytes: mutating one would change L1,
  // and a value kept in L1 would pin the whole socket chunk its bytes arrived in.
  copyBuffers: true,
} as const;

/** Values without a `Map`: plain MessagePack maps decode as objects, the fastest form. */
const plainPackr = new Packr({ ...COMMON_OPTIONS, useRecords: false, mapsAsObjects: true });

/** Values holding a `Map`: records keep plain objects apart from Maps (slower to decode). */
const recordPackr = new Packr({ ...COMMON_OPTIONS, useRecords: true, mapsAsObjects: false });

const PLAIN_FORMAT = 0;
const RECORD_FORMAT = 1;

/**
 * Encodes a value for Redis (and for L1 copies) under the README's round-trip contract. The first byte
 * names the encoding. Throws {@link CacheSerializationError} naming `key` and what in the value is refused.
 */
export function serialize(key: string, value: unknown): Buffer {
  try {
    const format = inspectValue(value) ? RECORD_FORMAT : PLAIN_FORMAT;
    const body = (format === RECORD_FORMAT ? recordPackr : plainPackr).pack(value);
    const bytes = Buffer.allocUnsafe(body.length + 1);
    bytes[0] = format;
    bytes.set(body, 1);
    return bytes;
  } catch (error) {
    throw new CacheSerializationError(key, describeFailure(error));
  }
}

/** What {@link tryDeserialize} returns for bytes that do not decode. */
export const UNDECODABLE: unique symbol = Symbol('undecodable');

// NOTE: one window object reused by every decode (unpack reads it before decoding anything), so that
// decoding a value inside an L2 reply needs neither a subarray nor an options object.
const window = { start: 0, end: 0 };

/** Decodes what {@link serialize} produced, found at `bytes[start, end)`; throws on bytes it did not produce. */
export function deserialize<T>(bytes: Uint8Array, start = 0, end = bytes.length): T {
  const format = bytes[start];
  const packr = format === RECORD_FORMAT ? recordPackr : format === PLAIN_FORMAT ? plainPackr : undefined;
  if (packr === undefined) throw new TypeError(`nestjs-tiered-cache: unknown value format ${format}`);
  if (end <= start + 1) throw new TypeError('nestjs-tiered-cache: empty value');
  window.start = start + 1;
  window.end = end;
  return packr.unpack(bytes, window) as T;
}

/** {@link deserialize} that never throws: {@link UNDECODABLE} for bytes that do not decode (corrupt, truncated, foreign). */
export function tryDeserialize<T>(bytes: Uint8Array, start = 0, end = bytes.length): T | typeof UNDECODABLE {
  try {
    return deserialize<T>(bytes, start, end);
  } catch {
    return UNDECODABLE;
  }
}

function describeFailure(error: unknown): string {
  // NOTE: values within the depth limit can still exhaust a stack that was already deep when we were called.
  if (error instanceof RangeError) return `it is nested too deeply for the remaining call stack (${error.message})`;
  if (error instanceof Error) return error.message;
  return String(error);
}
