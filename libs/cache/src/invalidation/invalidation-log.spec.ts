import { BoundedPositionMap } from './bounded-position-map.js';
import { InvalidationLog, TAGS_CURRENT, TAGS_INVALID, TAGS_STALE } from './invalidation-log.js';

describe('InvalidationLog', () => {
  it('tells whether a key, its tags or the namespace changed since a position', () => {
    const log = new InvalidationLog();
    const start = log.position;
    expect(log.unchangedSince(start, 'a', ['t'])).toBe(true);
    log.recordKeys(['b']);
    expect(log.unchangedSince(start, 'a', ['t'])).toBe(true);
    expect(log.unchangedSince(start, 'b')).toBe(false);
    log.recordTags(['t']);
    expect(log.unchangedSince(start, 'a', ['t'])).toBe(false);
    const later = log.position;
    log.recordClear();
    expect(log.unchangedSince(later, 'anything')).toBe(false);
    expect(log.unchangedSince(log.position, 'anything', ['t'])).toBe(true);
  });

  it('invalidates recorded tag versions once the tag is invalidated', () => {
    const log = new InvalidationLog();
    const versions = log.tagVersions(['products']);
    expect(log.tagState(versions)).toBe(TAGS_CURRENT);
    log.recordTags(['other']);
    expect(log.tagState(versions)).toBe(TAGS_CURRENT);
    log.recordTags(['products']);
    expect(log.tagState(versions)).toBe(TAGS_INVALID);
    expect(log.tagState(log.tagVersions(['products']))).toBe(TAGS_CURRENT);
    log.recordClear();
    expect(log.tagState(versions)).toBe(TAGS_INVALID);
  });

  it('leaves entries stale after a soft tag invalidation, and invalid after a hard one', () => {
    const log = new InvalidationLog();
    const start = log.position;
    const versions = log.tagVersions(['products', 'other']);
    log.recordTags(['products'], true);
    expect(log.tagState(versions)).toBe(TAGS_STALE);
    expect(log.unchangedSince(start, 'k', ['products'])).toBe(false);
    log.recordTags(['other'], true);
    expect(log.tagState(versions)).toBe(TAGS_STALE);
    log.recordTags(['other']);
    expect(log.tagState(versions)).toBe(TAGS_INVALID);
    expect(log.tagState(log.tagVersions(['products']))).toBe(TAGS_CURRENT);
  });

  it('keeps a bounded number of tags; an entry older than what it forgot counts as invalidated', () => {
    const log = new InvalidationLog();
    const old = log.tagVersions(['product:1']);
    for (let id = 0; id < 200_000; id += 1) log.recordTags([`product:${id}`]);
    expect(log.size.tags).toBeLessThanOrEqual(50_000);
    expect(log.tagState(old)).toBe(TAGS_INVALID);
    const recent = log.tagVersions(['product:1', 'product:199999']);
    log.recordTags(['product:200000']);
    expect(log.tagState(recent)).toBe(TAGS_CURRENT);
    log.recordTags(['product:1']);
    expect(log.tagState(recent)).toBe(TAGS_INVALID);
  });

  it('keeps a bounded number of keys without failing the reads in flight that started after what it forgot', () => {
    const log = new InvalidationLog();
    const oldest = log.position;
    log.recordKeys(['first']);
    const inFlight = log.position;
    for (let index = 0; index < 30_000; index += 1) log.recordKeys([`k${index}`]);
    expect(log.size.keys).toBeLessThanOrEqual(10_000);
    expect(log.unchangedSince(oldest, 'never-touched')).toBe(false);
    const recent = log.position - 5_000;
    expect(log.unchangedSince(recent, 'never-touched')).toBe(true);
    expect(log.unchangedSince(recent, 'k29999')).toBe(false);
    expect(log.unchangedSince(inFlight, 'never-touched')).toBe(false);
  });
});

describe('BoundedPositionMap', () => {
  it('forgets the oldest names first and raises its floor to their position', () => {
    const map = new BoundedPositionMap(3);
    map.record(['a'], 1);
    map.record(['b'], 2);
    map.record(['a'], 3);
    map.record(['c'], 4);
    map.record(['d'], 5);
    expect([map.get('a'), map.get('b'), map.get('c'), map.get('d'), map.floor]).toEqual([3, 3, 4, 5, 3]);
    map.reset(9);
    expect([map.get('a'), map.size]).toEqual([9, 0]);
  });
});
