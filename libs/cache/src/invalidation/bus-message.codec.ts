import { Packr } from 'msgpackr';
import type { InvalidationMessage } from './invalidation-message.js';

/** On the wire: `[sender, keys, tags, clear]`, MessagePack-encoded. Keys and tags only, never values. */
type WireMessage = [sender: string, keys: string[], tags: string[], clear: boolean];

const packr = new Packr({ useRecords: false });

/** Encodes a message from `sender`. */
export function encodeBusMessage(sender: string, message: InvalidationMessage): Buffer {
  const wire: WireMessage = [sender, [...(message.keys ?? [])], [...(message.tags ?? [])], message.clear === true];
  return packr.pack(wire);
}

/** Decodes a message; `undefined` for anything that is not one of ours. */
export function decodeBusMessage(raw: Buffer): { sender: string; message: InvalidationMessage } | undefined {
  try {
    const wire = packr.unpack(raw) as unknown;
    if (!Array.isArray(wire) || wire.length !== 4 || typeof wire[0] !== 'string') return undefined;
    const [sender, keys, tags, clear] = wire as WireMessage;
    return { sender, message: { keys, tags, clear } };
  } catch {
    return undefined;
  }
}
