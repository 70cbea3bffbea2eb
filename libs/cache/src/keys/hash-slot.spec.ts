import { groupBySlot, hashSlot } from './hash-slot.js';

// Expected slots are what `CLUSTER KEYSLOT` answers on Redis 7.0.
describe('hashSlot', () => {
  it.each([
    ['123456789', 12739],
    ['somekey', 11058],
    ['foo', 12182],
    ['bar', 5061],
    ['', 0],
  ])('puts %p in slot %p', (key, slot) => {
    expect(hashSlot(key)).toBe(slot);
  });

  it('hashes only the first non-empty hash tag', () => {
    expect(hashSlot('foo{hash_tag}')).toBe(2515);
    expect(hashSlot('bar{hash_tag}')).toBe(2515);
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('{user1000}.followers'));
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    expect(hashSlot('foo{bar}{zap}')).toBe(5061);
  });

  it('hashes the whole key when the first tag is empty or unclosed', () => {
    expect(hashSlot('foo{}{bar}')).toBe(8363);
    expect(hashSlot('foo{}{bar}')).not.toBe(hashSlot('bar'));
    expect(hashSlot('foo{bar')).not.toBe(hashSlot('bar'));
    expect(hashSlot('foo}bar{')).not.toBe(hashSlot(''));
  });

  it('takes the tag up to the first } after the first {', () => {
    expect(hashSlot('foo{{bar}}zap')).toBe(4015);
    expect(hashSlot('foo{{bar}}zap')).toBe(hashSlot('{bar'));
  });

  it('hashes UTF-8 bytes', () => {
    expect(hashSlot('café')).toBe(5735);
    expect(hashSlot('😀')).toBe(2959);
    expect(hashSlot('a{😀}b')).toBe(2959);
  });

  it('puts an entry and its load lock in one slot through a shared tag', () => {
    expect(hashSlot('shop:v1:{product%3A13}')).toBe(12341);
    expect(hashSlot('shop:lock:{product%3A13}')).toBe(12341);
  });
});

describe('groupBySlot', () => {
  it('groups items by slot and remembers their positions', () => {
    const keys = ['{a}1', '{b}1', '{a}2', '{b}2', '{a}3'];
    const groups = groupBySlot(keys, (key) => key);
    expect([...groups.keys()]).toEqual([hashSlot('a'), hashSlot('b')]);
    expect(groups.get(hashSlot('a'))).toEqual({ indexes: [0, 2, 4], items: ['{a}1', '{a}2', '{a}3'] });
    expect(groups.get(hashSlot('b'))).toEqual({ indexes: [1, 3], items: ['{b}1', '{b}2'] });
  });

  it('works on any item shape and lets callers restore the original order', () => {
    const entries = ['foo', 'bar', '{foo}x', 'somekey'].map((key, value) => ({ key, value }));
    const groups = groupBySlot(entries, (entry) => entry.key);
    const restored: number[] = [];
    for (const { indexes, items } of groups.values()) indexes.forEach((index, at) => (restored[index] = items[at].value));
    expect(restored).toEqual([0, 1, 2, 3]);
    expect(groups.get(hashSlot('foo'))?.indexes).toEqual([0, 2]);
  });

  it('returns no groups for no items', () => {
    expect(groupBySlot([], String).size).toBe(0);
  });
});
