import type { Logger } from '@nestjs/common';
import type { InvalidationMessage } from './invalidation-message.js';
import { PendingInvalidations } from './pending-invalidations.js';

const tick = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

function pendingWith(apply: (message: InvalidationMessage) => Promise<void>): { pending: PendingInvalidations; warnings: string[] } {
  const warnings: string[] = [];
  const logger = { warn: (message: string) => warnings.push(message), log: () => undefined } as unknown as Logger;
  const pending = new PendingInvalidations(logger);
  pending.attach(apply);
  return { pending, warnings };
}

describe('PendingInvalidations', () => {
  it('collapses into one namespace clear past 10,000 items, still blocking every L2 read', async () => {
    const applied: InvalidationMessage[] = [];
    const { pending, warnings } = pendingWith(async (message) => void applied.push(message));
    pending.add({ keys: Array.from({ length: 6_000 }, (_, index) => `k${index}`) });
    pending.add({ tags: Array.from({ length: 6_000 }, (_, index) => `t${index}`) });
    pending.add({ keys: ['after'] });
    expect(pending.blocks('unrelated', undefined)).toBe(true);
    expect(warnings).toEqual([expect.stringContaining('More than 10000 invalidations are waiting')]);
    pending.retryNow();
    await tick();
    expect(applied).toEqual([{ clear: true }]);
    expect(pending.isEmpty).toBe(true);
    pending.stop();
  });

  it('queues a clear without claiming an overflow', () => {
    const { pending, warnings } = pendingWith(async () => undefined);
    pending.add({ keys: ['a'] });
    pending.add({ clear: true });
    expect(warnings).toEqual([]);
    pending.stop();
  });

  it('retries in batches of at most 1,000 items', async () => {
    const applied: InvalidationMessage[] = [];
    const { pending } = pendingWith(async (message) => void applied.push(message));
    pending.add({ keys: Array.from({ length: 2_500 }, (_, index) => `k${index}`), tags: ['t'] });
    pending.retryNow();
    await tick();
    expect(applied.map((message) => message.keys?.length ?? message.tags?.length)).toEqual([1_000, 1_000, 500, 1]);
    expect(pending.isEmpty).toBe(true);
    pending.stop();
  });

  it('retries at once when told the connection is ready, not after its backoff', async () => {
    let redisUp = false;
    const applied: InvalidationMessage[] = [];
    const { pending } = pendingWith(async (message) => {
      if (!redisUp) throw new Error('down');
      applied.push(message);
    });
    pending.add({ keys: ['k'] });
    pending.retryNow();
    await tick();
    expect(pending.isEmpty).toBe(false);
    redisUp = true;
    pending.retryNow();
    await tick();
    expect(applied).toEqual([{ keys: ['k'] }]);
    expect(pending.blocks('k', undefined)).toBe(false);
    pending.stop();
  });

  it('keeps an invalidation repeated while its retry is in flight', async () => {
    let release: () => void = () => undefined;
    const { pending } = pendingWith(() => new Promise<void>((resolve) => (release = resolve)));
    pending.add({ keys: ['k'] });
    pending.retryNow();
    await tick();
    pending.add({ keys: ['k'] });
    release();
    await tick();
    expect(pending.blocks('k', undefined)).toBe(true);
    pending.stop();
  });

  it('makes one bounded last attempt at shutdown and logs what it drops', async () => {
    const { pending, warnings } = pendingWith(() => new Promise<void>(() => undefined));
    pending.add({ keys: ['a', 'b'], tags: ['t'] });
    const started = Date.now();
    await pending.close(50);
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(warnings).toEqual([expect.stringContaining('2 keys and 1 tag not invalidated in Redis')]);

    const applied: InvalidationMessage[] = [];
    const healthy = pendingWith(async (message) => void applied.push(message));
    healthy.pending.add({ keys: ['a'] });
    await healthy.pending.close(1_000);
    expect(applied).toEqual([{ keys: ['a'] }]);
    expect(healthy.warnings).toEqual([]);
  });

  it('schedules nothing after stop, even when a retry in flight fails', async () => {
    let calls = 0;
    let fail: (error: Error) => void = () => undefined;
    const { pending } = pendingWith(() => {
      calls += 1;
      return new Promise<void>((_resolve, reject) => (fail = reject));
    });
    pending.add({ keys: ['k'] });
    pending.retryNow();
    await tick();
    pending.stop();
    fail(new Error('down'));
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(calls).toBe(1);
  });

  it('says so when an invalidation arrives after shutdown', async () => {
    const { pending, warnings } = pendingWith(async () => undefined);
    await pending.close(100);
    pending.add({ keys: ['late'] });
    expect(warnings).toEqual([expect.stringContaining('1 key invalidated after shutdown could not reach Redis')]);
    expect(pending.isEmpty).toBe(true);
  });
});
