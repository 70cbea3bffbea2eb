import type { CacheEntry } from '../stores/cache-entry.interface.js';
import { deserialize, serialize } from './value.serializer.js';

/** An entry whose value is still encoded: L1 decodes it into its own read-only copy. */
export interface EncodedEntry extends Omit<CacheEntry, 'value'> {
  bytes: Uint8Array;
}

// NOTE: a fixed binary header instead of a MessagePack wrapper: reading an entry decodes the value once
// and slices its bytes without copying. Layout: marker, created-at, fresh-until, stale-until, load duration
// (float64), tag-section length (uint32), tag versions (MessagePack), value bytes.
const MARKER = 0xc1;
const HEADER_BYTES = 1 + 8 * 4 + 4;
const TAG_LENGTH_OFFSET = 33;

/** Encodes an entry for L2 around already-encoded value bytes. */
export function encodeEnvelope(entry: EncodedEntry): Buffer {
  const tags = entry.tags === undefined ? undefined : serialize('envelope', entry.tags);
  const tagBytes = tags?.length ?? 0;
  const envelope = Buffer.allocUnsafe(HEADER_BYTES + tagBytes + entry.bytes.length);
  envelope.writeUInt8(MARKER, 0);
  envelope.writeDoubleBE(entry.createdAt, 1);
  envelope.writeDoubleBE(entry.freshUntil, 9);
  envelope.writeDoubleBE(entry.staleUntil, 17);
  envelope.writeDoubleBE(entry.loadDuration ?? 0, 25);
  envelope.writeUInt32BE(tagBytes, TAG_LENGTH_OFFSET);
  if (tags) envelope.set(tags, HEADER_BYTES);
  envelope.set(entry.bytes, HEADER_BYTES + tagBytes);
  return envelope;
}

/** Decodes an L2 envelope; `undefined` for bytes that are not one (treated as a miss). */
export function decodeEnvelope(raw: Buffer): EncodedEntry | undefined {
  if (raw.length < HEADER_BYTES || raw[0] !== MARKER) return undefined;
  const tagBytes = raw.readUInt32BE(TAG_LENGTH_OFFSET);
  if (HEADER_BYTES + tagBytes > raw.length) return undefined;
  const entry: EncodedEntry = {
    createdAt: raw.readDoubleBE(1),
    freshUntil: raw.readDoubleBE(9),
    staleUntil: raw.readDoubleBE(17),
    loadDuration: raw.readDoubleBE(25),
    bytes: raw.subarray(HEADER_BYTES + tagBytes),
  };
  if (tagBytes > 0) entry.tags = deserialize<Record<string, number>>(raw.subarray(HEADER_BYTES, HEADER_BYTES + tagBytes));
  return entry;
}
