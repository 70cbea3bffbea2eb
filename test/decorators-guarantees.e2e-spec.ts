import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, Cacheable } from 'nestjs-tiered-cache';
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

  @Cacheable({ key: 'unless:{0}', unless: (result: string) => JSON.parse(result) === null })
  async withUnless(id: string): Promise<string> {
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

  it('rejects when condition, unless or a key function throws', async () => {
    await expect(callAsync(() => service.withCondition(undefined as never))).rejects.toThrow(TypeError);
    await expect(callAsync(() => service.withKeyFunction(undefined as never))).rejects.toThrow(TypeError);
    expect(service.calls).toBe(0);
    await expect(callAsync(() => service.withUnless('not json'))).rejects.toThrow(SyntaxError);
    await expect(callAsync(() => service.withUnless('1'))).resolves.toBe('1');
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
