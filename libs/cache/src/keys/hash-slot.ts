const SLOT_COUNT = 16_384;

const CRC16_TABLE = buildCrc16Table();

function buildCrc16Table(): Uint16Array {
  const table = new Uint16Array(256);
  for (let byte = 0; byte < 256; byte += 1) {
    let crc = byte << 8;
    for (let bit = 0; bit < 8; bit += 1) crc = crc & 0x8000 ? ((crc << 1) ^ 0x1021) & 0xffff : (crc << 1) & 0xffff;
    table[byte] = crc;
  }
  return table;
}

function crc16(bytes: Uint8Array): number {
  let crc = 0;
  for (const byte of bytes) crc = ((crc << 8) & 0xffff) ^ CRC16_TABLE[((crc >> 8) ^ byte) & 0xff];
  return crc;
}

/** The part of a key Redis Cluster hashes: the first non-empty `{...}` hash tag, else the whole key. */
function hashedPart(key: string): string {
  const open = key.indexOf('{');
  if (open === -1) return key;
  const close = key.indexOf('}', open + 1);
  if (close === -1 || close === open + 1) return key;
  return key.slice(open + 1, close);
}

/** The Redis Cluster slot of `key` (CRC16-XMODEM of its UTF-8 bytes, hash tags honoured, mod 16384). */
export function hashSlot(key: string): number {
  return crc16(Buffer.from(hashedPart(key), 'utf8')) % SLOT_COUNT;
}

/** Items grouped by the slot of their key, each group remembering the items' original positions. */
export function groupBySlot<T>(items: readonly T[], keyOf: (item: T) => string): Map<number, { indexes: number[]; items: T[] }> {
  const groups = new Map<number, { indexes: number[]; items: T[] }>();
  items.forEach((item, index) => {
    const slot = hashSlot(keyOf(item));
    const group = groups.get(slot) ?? { indexes: [], items: [] };
    group.indexes.push(index);
    group.items.push(item);
    groups.set(slot, group);
  });
  return groups;
}
