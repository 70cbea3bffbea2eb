import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheEvict, CacheModule, CachePut, CacheService, Cacheable } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

@Injectable()
class HostileService {
  calls = 0;

  @Cacheable({ key: 'user:{0}' })
  async byTemplate(id: unknown): Promise<string> {
    this.calls += 1;
    return String(id);
  }

  @Cacheable()
  async byDefaultKey(filter: unknown): Promise<string> {
    this.calls += 1;
    return typeof filter;
  }

  @Cacheable({ key: 'cond:{0}', condition: (id: string) => id.length > 0 })
  async withCondition(id: string): Promise<string> {
    this.calls += 1;
    return id;
  }

  @Cacheable({ key: (id: string) => `fn:${id.toUpperCase()}` })
  async withKeyFunction(id: string): Promise<string> {
    this.calls += 1;
    return id;
  }

  @Cacheable({ key: 'null:{0}', ttl: '2s', cacheNull: true })
  async shortLivedNull(id: string): Promise<string | null> {
    this.calls += 1;
    return id === 'x' ? null : id;
  }
}

async function start(namespace: string) {
  @Module({ imports: [CacheModule.forRoot({ namespace, defaultTtl: '5m', l2: { redis: redisUrl() } })], providers: [HostileService] })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return moduleRef.init();
}

/** Calls `fn`, failing the test if it throws synchronously; returns the Promise it gave. */
function callAsync(fn: () => Promise<unknown>): Promise<unknown> {
  let promise: Promise<unknown> | undefined;
  expect(() => {
    promise = fn();
  }).not.toThrow();
  return promise!;
}

describe('decorated calls never throw synchronously (issue 7.3)', () => {
  let app: Awaited<ReturnType<typeof start>>;
  let service: HostileService;

  beforeAll(async () => {
    app = await start(uniqueNamespace());
    service = app.get(HostileService);
  });
  afterAll(() => app.close());

  it('rejects when a template argument cannot be interpolated', async () => {
    await expect(callAsync(() => service.byTemplate(() => 1))).rejects.toThrow(/user:\{0\}.*HostileService\.byTemplate.*cannot be interpolated/);
  });

  it('rejects when a default-key argument cannot be hashed', async () => {
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await expect(callAsync(() => service.byDefaultKey(cyclic))).rejects.toThrow(/cycle/);
  });

  it('rejects when condition or a key function throws', async () => {
    await expect(callAsync(() => service.withCondition(undefined as never))).rejects.toThrow(TypeError);
    await expect(callAsync(() => service.withKeyFunction(undefined as never))).rejects.toThrow(TypeError);
    expect(service.calls).toBe(0);
  });
});

describe('cacheNull (issue 7.10)', () => {
  it("caps a cached null's ttl by the method's ttl, not the module's default", async () => {
    const namespace = uniqueNamespace();
    const app = await start(namespace);
    const redis = new Redis(redisUrl());
    try {
      expect(await app.get(HostileService).shortLivedNull('x')).toBeNull();
      const keys = (await redis.keys(`${namespace}:*`)).filter((key) => key.includes('null:x') && !key.includes(':lock'));
      expect(keys).toHaveLength(1);
      const ttl = await redis.pttl(keys[0]);
      expect(ttl).toBeGreaterThan(0);
      expect(ttl).toBeLessThanOrEqual(2_000);
    } finally {
      redis.disconnect();
      await app.close();
    }
  });
});

describe('decorator options are type-checked at startup', () => {
  async function startWith(provider: new () => object): Promise<void> {
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [provider] })
    class BrokenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    await moduleRef.init();
    await moduleRef.close();
  }

  it('rejects a misspelt option, a wrong type, and an unbounded or fractional duration, naming the method', async () => {
    @Injectable()
    class Misspelt {
      @Cacheable({ key: 'a', tll: '1m' } as never)
      async find(): Promise<string> {
        return 'a';
      }
    }
    @Injectable()
    class StringL1 {
      @Cacheable({ key: 'a', l1: 'false' } as never)
      async find(): Promise<string> {
        return 'a';
      }
    }
    @Injectable()
    class StringAll {
      @CacheEvict({ all: 'yes' } as never)
      async drop(): Promise<void> {}
    }
    @Injectable()
    class TagString {
      @CachePut({ key: 'a', tags: 'products' } as never)
      async save(): Promise<string> {
        return 'a';
      }
    }
    @Injectable()
    class HugeTtl {
      @Cacheable({ key: 'a', ttl: 1e300 })
      async find(): Promise<string> {
        return 'a';
      }
    }
    @Injectable()
    class FractionalNullTtl {
      @Cacheable({ key: 'a', cacheNull: { ttl: 4000.7 } })
      async find(): Promise<string> {
        return 'a';
      }
    }
    @Injectable()
    class ConditionString {
      @Cacheable({ key: 'a', condition: 'true' } as never)
      async find(): Promise<string> {
        return 'a';
      }
    }
    await expect(startWith(Misspelt)).rejects.toThrow(/Misspelt\.find: @Cacheable has an unknown option 'tll'/);
    await expect(startWith(StringL1)).rejects.toThrow(/StringL1\.find: @Cacheable option 'l1' must be true or false/);
    await expect(startWith(StringAll)).rejects.toThrow(/StringAll\.drop: @CacheEvict option 'all'/);
    await expect(startWith(TagString)).rejects.toThrow(/TagString\.save: @CachePut option 'tags' must be an array/);
    await expect(startWith(HugeTtl)).rejects.toThrow(/HugeTtl\.find.*'ttl'.*2147483647/);
    await expect(startWith(FractionalNullTtl)).rejects.toThrow(/FractionalNullTtl\.find.*'cacheNull.ttl'.*whole number/);
    await expect(startWith(ConditionString)).rejects.toThrow(/ConditionString\.find.*'condition' must be a function/);
  });
});
