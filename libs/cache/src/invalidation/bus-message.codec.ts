import { Packr } from 'msgpackr';
import type { InvalidationMessage } from './invalidation-message.js';

/** Version of the wire format below; a message of another version is never misread as this one. */
export const BUS_FORMAT_VERSION = 1;

/** Most keys (or tags) in one message; the outbox splits larger batches. */
export const MAX_ITEMS_PER_MESSAGE = 1_000;

const MAX_SENDER_LENGTH = 64;

/** On the wire: `[version, sender, keys, tags, clear]`, MessagePack-encoded. Keys and tags only, never values. */
type WireMessage = [version: number, sender: string, keys: string[], tags: string[], clear: boolean];

/** What a received payload turned out to be. */
export type DecodedBusMessage =
  | { kind: 'message'; sender: string; message: InvalidationMessage }
  /** A message of another format version (e.g. during a rolling upgrade): its content cannot be read. */
  | { kind: 'other-version'; sender: string; version: number }
  | { kind: 'malformed' };

const packr = new Packr({ useRecords: false });
const MALFORMED: DecodedBusMessage = { kind: 'malformed' };

/** Encodes a message from `sender`. */
export function encodeBusMessage(sender: string, message: InvalidationMessage): Buffer {
  const wire: WireMessage = [BUS_FORMAT_VERSION, sender, [...(message.keys ?? [])], [...(message.tags ?? [])], message.clear === true];
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
  if (version !== BUS_FORMAT_VERSION) return { kind: 'other-version', sender, version };
  const [, , keys, tags, clear] = wire as unknown[];
  if (wire.length !== 5 || !isItemList(keys) || !isItemList(tags) || typeof clear !== 'boolean') return MALFORMED;
  return { kind: 'message', sender, message: { keys, tags, clear } };
}

function isSender(value: unknown): value is string {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_SENDER_LENGTH;
}

function isItemList(value: unknown): value is string[] {
  if (!Array.isArray(value) || value.length > MAX_ITEMS_PER_MESSAGE) return false;
  for (const item of value) if (typeof item !== 'string') return false;
  return true;
}
