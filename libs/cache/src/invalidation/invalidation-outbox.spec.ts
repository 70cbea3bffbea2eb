import { describeInvalidations, InvalidationOutbox } from './invalidation-outbox.js';

describe('InvalidationOutbox', () => {
  it('merges everything queued into deduplicated messages', () => {
    const outbox = new InvalidationOutbox();
    outbox.add({ keys: ['a', 'b'] });
    outbox.add({ keys: ['b', 'c'], tags: ['t'] });
    expect(outbox.drain()).toEqual([{ keys: ['a', 'b', 'c'] }, { tags: ['t'] }]);
    expect(outbox.isEmpty).toBe(true);
  });

  it('keeps soft invalidations apart, a hard one of the same key or tag superseding them', () => {
    const outbox = new InvalidationOutbox();
    outbox.add({ keys: ['a', 'b'], tags: ['t', 'u'], soft: true });
    outbox.add({ keys: ['b'], tags: ['u'] });
    outbox.add({ keys: ['b'], tags: ['u'], soft: true });
    expect(outbox.drain()).toEqual([{ keys: ['b'] }, { tags: ['u'] }, { keys: ['a'], soft: true }, { tags: ['t'], soft: true }]);
  });

  it('splits large batches into messages of at most 1,000 items', () => {
    const outbox = new InvalidationOutbox();
    outbox.add({ keys: Array.from({ length: 2_500 }, (_, index) => `k${index}`) });
    expect(outbox.drain().map((message) => message.keys?.length)).toEqual([1_000, 1_000, 500]);
  });

  it('collapses into one clear past its bound, never dropping an invalidation', () => {
    const outbox = new InvalidationOutbox();
    outbox.add({ keys: Array.from({ length: 10_001 }, (_, index) => `k${index}`) });
    expect(outbox.drain()).toEqual([{ clear: true }]);
    outbox.add({ clear: true });
    outbox.add({ keys: ['after'] });
    expect(outbox.drain()).toEqual([{ clear: true }]);
  });
});

describe('describeInvalidations', () => {
  it('summarizes what messages invalidate, for logs', () => {
    expect(describeInvalidations([{ keys: ['a', 'b'] }, { tags: ['t'] }, { clear: true }])).toBe('2 keys, 1 tag and the namespace');
    expect(describeInvalidations([{ keys: ['a'] }])).toBe('1 key');
    expect(describeInvalidations([])).toBe('nothing');
  });
});
