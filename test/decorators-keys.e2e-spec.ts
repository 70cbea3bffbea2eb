import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheDecoratorError, CacheModule, CacheService, Cacheable } from 'nestjs-tiered-cache';
import { Cluster, Redis } from 'ioredis';
import type { INestApplicationContext } from '@nestjs/common';
import { startRedisCluster, type RedisClusterHandle } from './support/redis-cluster.js';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

@Injectable()
class KeyedService {
  loads = 0;

  @Cacheable({ key: 'repo:{0}' })
  async repo(ref: unknown): Promise<string> {
    this.loads += 1;
    return typeof ref === 'string' ? `named ${ref}` : `object ${JSON.stringify(ref)}`;
  }

  @Cacheable({ key: 'user:{0}' })
  async user(name: string): Promise<string> {
    this.loads += 1;
    return `user ${name.length} ${[...name].map((character) => character.charCodeAt(0).toString(16)).join(',')}`;
  }

  @Cacheable({ key: (raw: string) => raw })
  async raw(raw: string): Promise<string> {
    this.loads += 1;
    return `raw ${raw}`;
  }

  @Cacheable()
  async byDefaultKey(items: unknown): Promise<number> {
    this.loads += 1;
    return Array.isArray(items) ? items.length : 0;
  }
}

async function start(namespace: string, redis: string | Redis | Cluster): Promise<INestApplicationContext> {
  @Module({ imports: [CacheModule.forRoot({ namespace, l2: { redis } })], providers: [KeyedService] })
  class AppModule {}
  return (await Test.createTestingModule({ imports: [AppModule] }).compile()).init();
}

describe('keys that differ stay apart (issue 7.21)', () => {
  const namespace = uniqueNamespace();
  let first: INestApplicationContext;
  let second: INestApplicationContext;

  beforeAll(async () => {
    first = await start(namespace, redisUrl());
    second = await start(namespace, redisUrl());
  });
  afterAll(async () => {
    await first.close();
    await second.close();
  });

  it('rejects a raw key or tag with a lone surrogate, and never reads another key in its place', async () => {
    const cache = first.get(CacheService);
    await cache.set('u\uFFFD', 'replacement character');
    await expect(cache.set('u\uD800', 'lone')).rejects.toThrow(/well-formed UTF-16/);
    await expect(cache.getOrSet('u\uDC00', () => 'lone')).rejects.toThrow(/well-formed UTF-16/);
    await expect(cache.set('k', 'v', { tags: ['t\uD800'] })).rejects.toThrow(/cache tag must be well-formed/);
    await expect(cache.invalidateTags('t\uD800')).rejects.toThrow(/cache tag must be well-formed/);
    await expect(second.get(CacheService).get('u\uD800')).rejects.toThrow(/well-formed UTF-16/);
    expect(await second.get(CacheService).get('u\uFFFD')).toBe('replacement character');
  });

  it('rejects reads of invalid keys instead of counting them as Redis errors (which would open the breaker)', async () => {
    const cache = second.get(CacheService);
    for (const key of [123, undefined, '', 'u\uD800'] as never[]) {
      await expect(cache.get(key)).rejects.toThrow(TypeError);
      await expect(cache.has(key)).rejects.toThrow(TypeError);
      await expect(cache.getMany(['ok', key])).rejects.toThrow(TypeError);
    }
    await expect(cache.set('k', 'v', { tags: 'products' as never })).rejects.toThrow(/tags must be an array/);
    expect(cache.stats.snapshot().errors).toEqual({});
  });

  it('gives template arguments with lone surrogates their own entries on every instance', async () => {
    const names = ['u\uD800', 'u\uDC00', 'u\uFFFD'];
    for (const name of names) await first.get(KeyedService).user(name);
    const reader = second.get(KeyedService);
    const read = await Promise.all(names.map((name) => reader.user(name)));
    expect(read).toEqual(['user 2 75,d800', 'user 2 75,dc00', 'user 2 75,fffd']);
    expect(reader.loads).toBe(0);
  });

  it("does not let a string argument spell an object argument's hash", async () => {
    const service = first.get(KeyedService);
    const loadsBefore = service.loads;
    const object = { owner: 'alice', private: true };
    expect(await service.repo(object)).toBe(`object ${JSON.stringify(object)}`);
    const redis = new Redis(redisUrl());
    const [entryKey] = (await redis.keys(`${namespace}:*repo*`)).filter((key) => !key.includes(':lock:'));
    redis.disconnect();
    const hash = /\{repo:%25#(.+)\}$/.exec(entryKey)?.[1];
    expect(hash).toHaveLength(22);
    expect(await service.repo(hash)).toBe(`named ${hash}`);
    expect(await service.repo(`%#${hash}`)).toBe(`named %#${hash}`);
    expect(service.loads - loadsBefore).toBe(3);
  });

  it('rejects template paths through __proto__ or constructor at startup', async () => {
    @Injectable()
    class ProtoPath {
      @Cacheable({ key: 'x:{0.__proto__.isAdmin}' })
      async find(_: object): Promise<string> {
        return 'x';
      }
    }
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [ProtoPath] })
    class BrokenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    await expect(moduleRef.init()).rejects.toThrow(/ProtoPath\.find.*'__proto__'.*own properties/);
    await moduleRef.close();
  });
});

describe('default-key hashing is bounded (issue 7.27)', () => {
  it('rejects a 10^7-element argument quickly, naming the method', async () => {
    const app = await start(uniqueNamespace(), redisUrl());
    try {
      const service = app.get(KeyedService);
      const huge = new Array<number>(10_000_000).fill(7);
      const started = performance.now();
      const call = service.byDefaultKey(huge);
      await expect(call).rejects.toThrow(CacheDecoratorError);
      await expect(call).rejects.toThrow(/KeyedService\.byDefaultKey: cannot build the default key: .*more than 10000 values/);
      console.log(`default key of a 10^7-element argument rejected in ${(performance.now() - started).toFixed(1)} ms`);
      expect(service.loads).toBe(0);
      expect(await service.byDefaultKey([1, 2, 3])).toBe(3);
    } finally {
      await app.close();
    }
  });
});

describe('raw keys with braces on Redis Cluster (issue 7.22)', () => {
  let cluster: RedisClusterHandle;
  beforeAll(async () => {
    cluster = await startRedisCluster(3);
  }, 60_000);
  afterAll(() => cluster?.stop());

  it('keeps entry and lock of a key beginning with } in one slot, so a load is cached', async () => {
    const namespace = uniqueNamespace();
    const connections = [new Cluster(cluster.nodes), new Cluster(cluster.nodes)];
    const [writer, reader] = [await start(namespace, connections[0]), await start(namespace, connections[1])];
    try {
      const keys = ['}abc', '}', 'a}b{c', '{x}y', '}{'];
      for (const key of keys) expect(await writer.get(KeyedService).raw(key)).toBe(`raw ${key}`);
      for (const key of keys) expect(await reader.get(CacheService).get(key)).toBe(`raw ${key}`);
      for (const key of keys) await writer.get(KeyedService).raw(key);
      expect(writer.get(KeyedService).loads).toBe(keys.length);
      expect(writer.get(CacheService).stats.snapshot().errors).toEqual({});
    } finally {
      await writer.close();
      await reader.close();
      connections.forEach((connection) => connection.disconnect());
    }
  });
});
