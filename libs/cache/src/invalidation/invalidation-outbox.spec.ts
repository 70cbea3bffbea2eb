import { decodeBusMessage, encodeBusMessage } from './bus-message.codec.js';
import { InvalidationOutbox } from './invalidation-outbox.js';

describe('InvalidationOutbox', () => {
  it('merges everything queued into deduplicated messages', () => {
    const outbox = new InvalidationOutbox();
    outbox.add({ keys: ['a', 'b'] });
    outbox.add({ keys: ['b', 'c'], tags: ['t'] });
    expect(outbox.drain()).toEqual([{ keys: ['a', 'b', 'c'] }, { tags: ['t'] }]);
    expect(outbox.isEmpty).toBe(true);
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

describe('bus message codec', () => {
  it('round-trips keys, tags and clear with the sender, compactly', () => {
    const encoded = encodeBusMessage('instance-1', { keys: ['product:13'], tags: ['products'] });
    expect(encoded.length).toBeLessThan(40);
    expect(decodeBusMessage(encoded)).toEqual({
      sender: 'instance-1',
      message: { keys: ['product:13'], tags: ['products'], clear: false },
    });
  });

  it('ignores what is not one of its messages', () => {
    expect(decodeBusMessage(Buffer.from('hello'))).toBeUndefined();
    expect(decodeBusMessage(Buffer.from([0xc1]))).toBeUndefined();
  });
});
