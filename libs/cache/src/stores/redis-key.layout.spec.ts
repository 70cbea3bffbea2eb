import { hashSlot } from '../keys/hash-slot.js';
import { RedisKeyLayout } from './redis-key.layout.js';

const HOSTILE_KEYS = ['}abc', '{', '}', '{}', '}{', 'a}b{c}', '{x}', 'x{}', '%7D', '%7Dabc', 'u\uD800', 'u\uDC00', 'u\uFFFD', 'u%uD800', '😀'];

describe('RedisKeyLayout (issue 7.21, 7.22)', () => {
  const layout = new RedisKeyLayout('shop');

  it.each(HOSTILE_KEYS)('keeps the entry and the lock of %p in one Cluster slot', (key) => {
    expect(hashSlot(layout.lock(key))).toBe(hashSlot(layout.entry(key)));
  });

  it('maps distinct keys to distinct Redis keys, byte for byte', () => {
    const entries = HOSTILE_KEYS.map((key) => Buffer.from(layout.entry(key), 'utf8').toString('hex'));
    expect(new Set(entries).size).toBe(HOSTILE_KEYS.length);
  });

  it('leaves ordinary keys readable', () => {
    expect(layout.entry('product:13')).toBe('shop:v2:{product:13}');
    expect(layout.lock('product:13')).toBe('shop:lock:{product:13}');
  });

  it('keeps warmer keys apart from every entry, lock and tag key', () => {
    const warm = layout.warm('warm:X', 'running');
    expect(warm.startsWith(layout.warmPrefix)).toBe(true);
    for (const prefix of [layout.entryPrefix, layout.lockPrefix, layout.tagPrefix]) expect(warm.startsWith(prefix)).toBe(false);
    expect(layout.warm('a:b', 'running')).not.toBe(layout.warm('a', 'b:running'));
  });
});
