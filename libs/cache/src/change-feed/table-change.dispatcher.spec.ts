import type { Logger } from '@nestjs/common';
import type { CacheService } from '../cache.service.js';
import type { InvalidationBus } from '../invalidation/invalidation-bus.js';
import { ChangeFeedStats } from './change-feed.stats.js';
import type { TableChange } from './table-change.interface.js';
import { TableChangeDispatcher, type BoundTableHandler } from './table-change.dispatcher.js';

/** Records what the dispatcher asks of the cache; `pending` and `published` are set by the test. */
class RecordingCache {
  readonly calls: string[] = [];
  pending = false;
  get hasPendingInvalidations(): boolean {
    return this.pending;
  }
  async delete(...keys: string[]): Promise<void> {
    if (keys.some((key) => key === '')) throw new TypeError('empty key');
    this.calls.push(`delete ${keys.join(',')}`);
  }
  async invalidateTags(...tags: string[]): Promise<void> {
    this.calls.push(`tags ${tags.join(',')}`);
  }
  async clear(): Promise<void> {
    this.calls.push('clear');
  }
}

const change = (id: string, table = 'products'): TableChange => ({
  operation: 'update',
  schema: 'public',
  table,
  key: { id },
  row: { id },
  committedAt: new Date(0),
});

function dispatcherWith(handlers: Record<string, BoundTableHandler['handle'][]>, bus: Partial<InvalidationBus> = {}) {
  const cache = new RecordingCache();
  const stats = new ChangeFeedStats();
  const bound = new Map(Object.entries(handlers).map(([table, list]) => [table, list.map((handle, index) => ({ name: `Handler.h${index}`, handle }))]));
  const logger = { error: () => undefined, warn: () => undefined } as unknown as Logger;
  const dispatcher = new TableChangeDispatcher(bound, cache as unknown as CacheService, bus as InvalidationBus, stats, logger);
  return { cache, stats, dispatcher };
}

describe('TableChangeDispatcher', () => {
  it("invalidates a transaction's keys and tags together, deduplicated, from several handlers and tables", async () => {
    const { cache, stats, dispatcher } = dispatcherWith({
      'public.products': [(c) => ({ keys: [`product:${c.key.id}`] }), () => ({ tags: ['catalogue'] })],
      'public.categories': [(c) => ({ tags: [`category:${c.key.id}`] })],
    });
    await dispatcher.deliver([change('1'), change('2'), change('1'), change('9', 'categories'), change('5', 'unhandled')]);
    expect(cache.calls).toEqual(['delete product:1,product:2', 'tags catalogue,category:9']);
    expect(stats.snapshot()).toMatchObject({ changes: 5, transactions: 1, invalidations: 4 });
  });

  it('clears the namespace when a handler throws or returns an invalid key, or the transaction was too large to hold', async () => {
    const throwing = dispatcherWith({ 'public.products': [() => ({ keys: ['product:1'] }), () => Promise.reject(new Error('bug'))] });
    await throwing.dispatcher.deliver([change('1')]);
    expect(throwing.cache.calls).toEqual(['clear']);
    expect(throwing.stats.errors.get('handler')).toBe(1);

    const invalid = dispatcherWith({ 'public.products': [() => ({ keys: [''] })] });
    await invalid.dispatcher.deliver([change('1')]);
    expect(invalid.cache.calls).toEqual(['clear']);

    const tooLarge = dispatcherWith({ 'public.products': [() => ({ keys: ['product:1'] })] });
    await tooLarge.dispatcher.deliver([], true);
    expect(tooLarge.cache.calls).toEqual(['clear']);
  });

  it('resolves only once nothing waits for Redis and the bus published; stopping gives up without resolving', async () => {
    let published = false;
    const { cache, dispatcher } = dispatcherWith({ 'public.products': [() => ({ keys: ['product:1'] })] }, { publishQueued: async () => published });
    cache.pending = true;
    let delivered = false;
    const delivery = dispatcher.deliver([change('1')]).then(() => (delivered = true));
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(delivered).toBe(false);
    cache.pending = false;
    await new Promise((resolve) => setTimeout(resolve, 150));
    expect(delivered).toBe(false);
    published = true;
    await delivery;

    published = false;
    const stopped = dispatcher.deliver([change('1')]);
    dispatcher.stop();
    await expect(stopped).rejects.toThrow(/stopped before its invalidations reached Redis/);
  });
});
