import { Packr } from 'msgpackr';
import type { InvalidationMessage } from './invalidation-message.js';

/**
 * Newest version of the wire format below; a message of an unknown version is never misread. v1 carries
 * hard invalidations (instances of earlier releases read it), v2 adds `soft`: an older instance that
 * receives one cannot apply it softly and clears its L1 instead, which is safe.
 */
export const BUS_FORMAT_VERSION = 2;
const HARD_FORMAT_VERSION = 1;

/** Most keys (or tags) in one message; the outbox splits larger batches. */
export const MAX_ITEMS_PER_MESSAGE = 1_000;

const MAX_SENDER_LENGTH = 64;

/**
 * On the wire, MessagePack-encoded, keys and tags only, never values: `[1, sender, keys, tags, clear]`
 * for a hard invalidation, `[2, sender, keys, tags, clear, soft]` for a soft one.
 */
type WireMessage =
  | [version: 1, sender: string, keys: string[], tags: string[], clear: boolean]
  | [version: 2, sender: string, keys: string[], tags: string[], clear: boolean, soft: boolean];

/** What a received payload turned out to be. */
export type DecodedBusMessage =
  | { kind: 'message'; sender: string; version: number; message: InvalidationMessage }
  /** A message of another format version (e.g. during a rolling upgrade): its content cannot be read. */
  | { kind: 'other-version'; sender: string; version: number }
  | { kind: 'malformed' };

const packr = new Packr({ useRecords: false });
const MALFORMED: DecodedBusMessage = { kind: 'malformed' };
const FIELDS: Record<number, number> = { 1: 5, 2: 6 };

/** Encodes a message from `sender`. */
export function encodeBusMessage(sender: string, message: InvalidationMessage): Buffer {
  const keys = [...(message.keys ?? [])];
  const tags = [...(message.tags ?? [])];
  const clear = message.clear === true;
  const wire: WireMessage = message.soft ? [BUS_FORMAT_VERSION, sender, keys, tags, clear, true] : [HARD_FORMAT_VERSION, sender, keys, tags, clear];
  return packr.pack(wire);
}

/** Decodes and validates every field of a payload; never throws. */
export function decodeBusMessage(raw: Buffer): DecodedBusMessage {
  let wire: unknown;
  try {
    wire = packr.unpack(raw);
  } catch {
    return MALFORMED;
  }
  if (!Array.isArray(wire) || !Number.isSafeInteger(wire[0]) || !isSender(wire[1])) return MALFORMED;
  const [version, sender] = wire as [number, string];
  if (FIELDS[version] === undefined) return { kind: 'other-version', sender, version };
  const [, , keys, tags, clear, soft = false] = wire as unknown[];
  if (wire.length !== FIELDS[version] || !isItemList(keys) || !isItemList(tags) || typeof clear !== 'boolean' || typeof soft !== 'boolean') return MALFORMED;
  return { kind: 'message', sender, version, message: soft ? { keys, tags, clear, soft } : { keys, tags, clear } };
}

function isSender(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SENDER_LENGTH;
}

function isItemList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > MAX_ITEMS_PER_MESSAGE) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}
