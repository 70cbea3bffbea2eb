import type { INestApplicationContext } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Injectable, Module } from '@nestjs/common';
import { CacheMetricsModule, CacheModule, CacheService, InvalidCacheOptionError, WriteBehind, WriteBehindQueue, getCacheToken } from 'nestjs-tiered-cache';
import { Registry, register } from 'prom-client';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

async function startWithMetrics(namespace: string): Promise<INestApplicationContext> {
  const moduleRef = await Test.createTestingModule({
    imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } }), CacheMetricsModule],
  }).compile();
  return moduleRef.init();
}

function sample(text: string, metric: string, labels: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric}{`) && candidate.includes(labels));
  return line === undefined ? undefined : Number(line.slice(line.lastIndexOf(' ') + 1));
}

describe('Prometheus metrics', () => {
  it('writes every named cache of the application into the registry given to forRoot, not the default one', async () => {
    const [shared, catalog] = [uniqueNamespace('m'), uniqueNamespace('m')];
    const registry = new Registry();
    const moduleRef = await Test.createTestingModule({
      imports: [
        CacheModule.forRoot({ namespace: shared, l2: false }),
        CacheModule.forRoot({ name: 'catalog', namespace: catalog, l2: false }),
        CacheMetricsModule.forRoot({ registry }),
      ],
    }).compile();
    const app = await moduleRef.init();
    try {
      await app.get(CacheService).getOrSet('a', async () => 1);
      await app.get<CacheService>(getCacheToken('catalog')).getOrSet('b', async () => 2);
      await app.get<CacheService>(getCacheToken('catalog')).get('b');

      const text = await registry.metrics();
      expect(sample(text, 'cache_misses_total', `namespace="${shared}",cache_layer="l1"`)).toBe(1);
      expect(sample(text, 'cache_hits_total', `namespace="${catalog}",cache_layer="l1"`)).toBe(1);
      expect(await register.metrics()).not.toContain(catalog);
    } finally {
      await app.close();
    }
    expect(await registry.metrics()).not.toContain(`namespace="${catalog}"`);
  });

  it('rejects a registry that is not a prom-client Registry, naming the option', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false }), CacheMetricsModule.forRoot({ registry: {} as never })],
    }).compile();
    await expect(moduleRef.init()).rejects.toThrow(InvalidCacheOptionError);
    await moduleRef.close();
  });

  it('exposes hits, misses, loads and L1 size per namespace, with no keys in labels', async () => {
    const [first, second] = [uniqueNamespace('m'), uniqueNamespace('m')];
    const apps = [await startWithMetrics(first), await startWithMetrics(second)];
    try {
      const cache = apps[0].get(CacheService);
      await cache.getOrSet('secret-key-1', async () => 1);
      await cache.getOrSet('secret-key-1', async () => 1);
      await cache.get('secret-key-2');
      await apps[1].get(CacheService).set('other', 2);

      const text = await register.metrics();

      expect(sample(text, 'cache_hits_total', `cache_layer="l1",namespace="${first}"`)).toBeUndefined();
      expect(sample(text, 'cache_hits_total', `namespace="${first}",cache_layer="l1"`)).toBe(1);
      expect(sample(text, 'cache_misses_total', `namespace="${first}",cache_layer="l1"`)).toBe(2);
      expect(sample(text, 'cache_misses_total', `namespace="${first}",cache_layer="l2"`)).toBe(2);
      expect(sample(text, 'cache_keys', `namespace="${first}",cache_layer="l1"`)).toBe(1);
      expect(sample(text, 'cache_keys', `namespace="${second}",cache_layer="l1"`)).toBe(1);
      expect(sample(text, 'cache_operation_duration_seconds_count', `namespace="${first}",operation="load",cache_layer="loader"`)).toBe(1);
      expect(sample(text, 'cache_operation_duration_seconds_count', `namespace="${first}",operation="get",cache_layer="l2"`)).toBeGreaterThan(0);
      expect(text).not.toContain('secret-key');
    } finally {
      await Promise.all(apps.map((app) => app.close()));
    }
    const after = await register.metrics();
    expect(after).not.toContain(`namespace="${first}"`);
  });

  it('exposes write-behind queue depth, failures and lag', async () => {
    @Injectable()
    class Writer {
      @WriteBehind({ key: 'item:{0}', delay: 100 })
      async save(_id: string): Promise<void> {}
    }
    const namespace = uniqueNamespace('wb');
    @Module({
      imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() }, writeBehind: { redis: redisUrl() } }), CacheMetricsModule],
      providers: [Writer],
    })
    class WriterModule {}
    const app = await (await Test.createTestingModule({ imports: [WriterModule] }).compile()).init();
    try {
      await app.get(Writer).save('a');
      expect(sample(await register.metrics(), 'cache_write_behind_queue_depth', `namespace="${namespace}"`)).toBe(1);
      expect(await app.get(WriteBehindQueue).drain(10_000)).toBe(true);
      await new Promise((resolve) => setTimeout(resolve, 100));

      const text = await register.metrics();

      expect(sample(text, 'cache_write_behind_queue_depth', `namespace="${namespace}"`)).toBe(0);
      expect(sample(text, 'cache_write_behind_failed_total', `namespace="${namespace}"`)).toBe(0);
      expect(sample(text, 'cache_write_behind_lag_seconds_count', `namespace="${namespace}"`)).toBe(1);
    } finally {
      await app.close();
    }
  });
});
