import type { CacheEntry } from '../stores/cache-entry.interface.js';
import { deserialize, serialize } from './value.serializer.js';

/** The L2 envelope: value bytes, created-at, fresh-until, stale-until, tag versions. */
interface Envelope {
  v: Uint8Array;
  c: number;
  f: number;
  s: number;
  t?: Record<string, number>;
}

/** An entry whose value is still encoded: L1 decodes it into its own read-only copy. */
export interface EncodedEntry extends Omit<CacheEntry, 'value'> {
  bytes: Uint8Array;
}

/** Encodes an entry for L2 around already-encoded value bytes. */
export function encodeEnvelope(entry: EncodedEntry): Buffer {
  const envelope: Envelope = { v: entry.bytes, c: entry.createdAt, f: entry.freshUntil, s: entry.staleUntil };
  if (entry.tags !== undefined) envelope.t = { ...entry.tags };
  return serialize('envelope', envelope);
}

/** Decodes an L2 envelope; `undefined` for bytes that are not one (treated as a miss). */
export function decodeEnvelope(raw: Uint8Array): EncodedEntry | undefined {
  let envelope: Partial<Envelope> | undefined;
  try {
    envelope = deserialize<Partial<Envelope> | undefined>(raw);
  } catch {
    return undefined;
  }
  if (!envelope || !(envelope.v instanceof Uint8Array) || typeof envelope.f !== 'number') return undefined;
  return {
    bytes: envelope.v,
    createdAt: envelope.c ?? 0,
    freshUntil: envelope.f,
    staleUntil: envelope.s ?? envelope.f,
    ...(envelope.t ? { tags: envelope.t } : {}),
  };
}
