import { groupBySlot, hashSlot } from './hash-slot.js';

describe('hashSlot', () => {
  it('matches the CRC16 reference vector', () => {
    expect(hashSlot('123456789')).toBe(12739);
  });

  it('honours hash tags the way Redis Cluster does', () => {
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('{user1000}.followers'));
    expect(hashSlot('{user1000}.following')).toBe(hashSlot('user1000'));
    expect(hashSlot('foo{}{bar}')).toBe(hashSlot('foo{}{bar}'));
    expect(hashSlot('foo{}{bar}')).not.toBe(hashSlot('bar'));
    expect(hashSlot('foo{{bar}}zap')).toBe(hashSlot('{bar'));
    expect(hashSlot('foo{bar}{zap}')).toBe(hashSlot('bar'));
  });

  it('puts an entry and its load lock in one slot', () => {
    expect(hashSlot('shop:v1:{product:13}')).toBe(hashSlot('shop:lock:{product:13}'));
  });

  it('hashes UTF-8 bytes', () => {
    expect(hashSlot('café')).toBeGreaterThanOrEqual(0);
    expect(hashSlot('café')).toBeLessThan(16_384);
    expect(hashSlot('café')).not.toBe(hashSlot('cafe'));
  });
});

describe('groupBySlot', () => {
  it('groups items by slot and remembers their positions', () => {
    const keys = ['{a}1', '{b}1', '{a}2', '{b}2', '{a}3'];
    const groups = groupBySlot(keys, (key) => key);
    expect(groups.size).toBe(2);
    expect(groups.get(hashSlot('a'))).toEqual({ indexes: [0, 2, 4], items: ['{a}1', '{a}2', '{a}3'] });
    expect(groups.get(hashSlot('b'))).toEqual({ indexes: [1, 3], items: ['{b}1', '{b}2'] });
  });
});
