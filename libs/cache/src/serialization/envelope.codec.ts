import type { CacheEntry } from '../stores/cache-entry.interface.js';
import { deserialize, serialize, tryDeserialize, UNDECODABLE } from './value.serializer.js';

/** An entry whose value is still encoded: L1 decodes it into its own read-only copy. */
export interface EncodedEntry extends Omit<CacheEntry, 'value'> {
  bytes: Uint8Array;
}

/** An entry read from L2: its bytes, and its value decoded once while validating it (a private copy). */
export interface DecodedEntry extends EncodedEntry {
  value: unknown;
}

// NOTE: a fixed binary header instead of a MessagePack wrapper: reading an entry decodes the value once
// and slices its bytes without copying. Layout: marker, created-at, fresh-until, stale-until, load duration
// (float64), tag-section length (uint32), tag versions (MessagePack), value bytes.
const MARKER = 0xc1;
const HEADER_BYTES = 1 + 8 * 4 + 4;
const TAG_LENGTH_OFFSET = 33;

/** Where an envelope keeps its times (byte offsets of big-endian doubles), for scripts that rewrite them in Redis. */
export const ENVELOPE_LAYOUT = { marker: MARKER, headerBytes: HEADER_BYTES, createdAt: 1, freshUntil: 9 } as const;

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

/**
 * Decodes an L2 envelope and its value, validating all of it; never throws. `undefined` for anything
 * that is not a well-formed entry (foreign or truncated bytes, inconsistent times, a malformed tag
 * section, a value that does not decode): the caller counts it and treats it as a miss.
 */
export function decodeEnvelope(raw: Buffer): DecodedEntry | undefined {
  if (raw.length < HEADER_BYTES || raw[0] !== MARKER) return undefined;
  const tagBytes = raw.readUInt32BE(TAG_LENGTH_OFFSET);
  if (HEADER_BYTES + tagBytes > raw.length) return undefined;
  const createdAt = raw.readDoubleBE(1);
  const freshUntil = raw.readDoubleBE(9);
  const staleUntil = raw.readDoubleBE(17);
  const loadDuration = raw.readDoubleBE(25);
  if (!validTimes(createdAt, freshUntil, staleUntil, loadDuration)) return undefined;
  const valueStart = HEADER_BYTES + tagBytes;
  const tags = tagBytes === 0 ? undefined : decodeTags(raw, HEADER_BYTES, valueStart);
  if (tags === null) return undefined;
  const value = tryDeserialize(raw, valueStart);
  if (value === UNDECODABLE) return undefined;
  const entry: DecodedEntry = { createdAt, freshUntil, staleUntil, loadDuration, bytes: raw.subarray(valueStart), value };
  if (tags !== undefined) entry.tags = tags;
  return entry;
}

/**
 * The value of an entry: the copy decoded when it was read from L2, or a fresh decode of its bytes.
 * Each entry read from L2 is used once, so its decoded value is never shared.
 */
export function entryValue<T>(entry: EncodedEntry): T {
  return 'value' in entry ? ((entry as DecodedEntry).value as T) : deserialize<T>(entry.bytes);
}

function validTimes(createdAt: number, freshUntil: number, staleUntil: number, loadDuration: number): boolean {
  return (
    Number.isFinite(createdAt) &&
    Number.isFinite(staleUntil) &&
    createdAt <= freshUntil &&
    freshUntil <= staleUntil &&
    Number.isFinite(loadDuration) &&
    loadDuration >= 0
  );
}

/** Tag name → version from `raw[start, end)`, or `null` when the section is not exactly that. */
function decodeTags(raw: Buffer, start: number, end: number): Record<string, number> | null {
  const tags = tryDeserialize(raw, start, end);
  if (tags === UNDECODABLE || tags === null || typeof tags !== 'object' || Object.getPrototypeOf(tags) !== Object.prototype) return null;
  const versions = tags as Record<string, unknown>;
  for (const name in versions) if (!Number.isFinite(versions[name])) return null;
  return versions as Record<string, number>;
}
