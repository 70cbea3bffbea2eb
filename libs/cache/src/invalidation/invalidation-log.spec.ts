import { InvalidationLog } from './invalidation-log.js';

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
  });

  it('invalidates recorded tag versions once the tag is invalidated', () => {
    const log = new InvalidationLog();
    const versions = log.tagVersions(['products']);
    expect(log.tagsCurrent(versions)).toBe(true);
    log.recordTags(['products']);
    expect(log.tagsCurrent(versions)).toBe(false);
    expect(log.tagsCurrent(log.tagVersions(['products']))).toBe(true);
  });

  it('treats everything in flight as invalidated when it forgets keys past its bound', () => {
    const log = new InvalidationLog();
    const start = log.position;
    log.recordKeys(Array.from({ length: 10_001 }, (_, index) => `k${index}`));
    expect(log.unchangedSince(start, 'never-touched')).toBe(false);
  });
});
