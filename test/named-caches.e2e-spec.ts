import { Controller, Get, Injectable, Module, Scope, UseInterceptors } from '@nestjs/common';
import { ContextIdFactory, Reflector } from '@nestjs/core';
import { Test } from '@nestjs/testing';
import { Redis } from 'ioredis';
import request from 'supertest';
import {
  CacheEvict,
  CacheHealthIndicator,
  CacheModule,
  CacheService,
  CacheWarmer,
  HttpCacheInterceptor,
  type Warmer,
  Cacheable,
  InjectCache,
  WriteBehind,
  WriteBehindQueue,
  getCacheHealthToken,
  getCacheOptionsToken,
  getCacheToken,
  getWriteBehindQueueToken,
  type CacheModuleOptions,
  type CacheOptionsFactory,
  type ResolvedCacheOptions,
} from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

const redis = new Redis(redisUrl());
afterAll(() => redis.quit());

const entry = (namespace: string, key: string): Promise<number> => redis.exists(`${namespace}:v2:{${key}}`);

@Injectable()
class Catalog {
  loads = 0;

  constructor(
    readonly shared: CacheService,
    @InjectCache('catalog') readonly catalog: CacheService,
  ) {}

  @Cacheable({ key: 'price:{0}' })
  async price(id: string): Promise<string> {
    this.loads += 1;
    return `price-${id}`;
  }

  @Cacheable({ key: 'product:{0}', cache: 'catalog' })
  async product(id: string): Promise<string> {
    this.loads += 1;
    return `product-${id}`;
  }

  @CacheEvict({ key: 'product:{0}', cache: 'catalog' })
  async removeProduct(_id: string): Promise<void> {}
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestCatalog {
  static loads = 0;

  @Cacheable({ key: 'request-price:{0}' })
  async price(id: string): Promise<string> {
    PerRequestCatalog.loads += 1;
    return id;
  }

  @Cacheable({ key: 'request-product:{0}', cache: 'catalog' })
  async product(id: string): Promise<string> {
    PerRequestCatalog.loads += 1;
    return id;
  }
}

function twoCaches(shared: string, catalog: string): CacheModuleOptions[] {
  return [
    { namespace: shared, l2: { redis: redisUrl() }, isGlobal: true },
    { name: 'catalog', namespace: catalog, l2: { redis: redisUrl() }, isGlobal: true },
  ];
}

async function start(imports: Parameters<typeof Test.createTestingModule>[0]['imports'], providers: Parameters<typeof Test.createTestingModule>[0]['providers'] = []) {
  return (await Test.createTestingModule({ imports, providers }).compile()).init();
}

describe('named caches', () => {
  it('routes each decorator, @InjectCache and CacheService to its own cache, entries under its own namespace', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    const app = await start(twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)), [Catalog]);
    try {
      const service = app.get(Catalog);
      expect(service.shared.namespace).toBe(shared);
      expect(service.catalog.namespace).toBe(catalog);
      expect(app.get(getCacheToken('catalog'))).toBe(service.catalog);
      expect(app.get(getCacheToken())).toBe(service.shared);
      expect(app.get<ResolvedCacheOptions>(getCacheOptionsToken('catalog')).namespace).toBe(catalog);

      await service.price('1');
      await service.price('1');
      await service.product('1');
      await service.product('1');

      expect(service.loads).toBe(2);
      expect([await entry(shared, 'price:1'), await entry(catalog, 'price:1')]).toEqual([1, 0]);
      expect([await entry(catalog, 'product:1'), await entry(shared, 'product:1')]).toEqual([1, 0]);
      expect(await service.catalog.get('product:1')).toBe('product-1');
      expect(await service.shared.get('product:1')).toBeUndefined();

      await service.removeProduct('1');
      expect(await entry(catalog, 'product:1')).toBe(0);
      expect(await entry(shared, 'price:1')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('caches a request-scoped class that uses two caches, each instance through the right one', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    const app = await start(twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)), [PerRequestCatalog]);
    try {
      PerRequestCatalog.loads = 0;
      for (let request = 0; request < 3; request += 1) {
        const instance = await app.resolve(PerRequestCatalog, ContextIdFactory.create());
        await instance.price('7');
        await instance.product('7');
      }
      expect(PerRequestCatalog.loads).toBe(2);
      expect([await entry(shared, 'request-price:7'), await entry(catalog, 'request-product:7')]).toEqual([1, 1]);
      expect([await entry(catalog, 'request-price:7'), await entry(shared, 'request-product:7')]).toEqual([0, 0]);
    } finally {
      await app.close();
    }
  });

  it('gives one class provided in two modules the non-global cache each module imports', async () => {
    const [first, second] = [uniqueNamespace('first'), uniqueNamespace('second')];
    @Injectable()
    class Prices {
      @Cacheable({ key: 'price:{0}' })
      async price(id: string): Promise<string> {
        return id;
      }
    }
    @Module({ imports: [CacheModule.forRoot({ namespace: first, l2: { redis: redisUrl() } })], providers: [Prices] })
    class FirstFeature {}
    @Module({ imports: [CacheModule.forRoot({ namespace: second, l2: { redis: redisUrl() } })], providers: [Prices] })
    class SecondFeature {}

    const app = await start([FirstFeature, SecondFeature]);
    try {
      await app.select(FirstFeature).get(Prices, { strict: true }).price('1');
      await app.select(SecondFeature).get(Prices, { strict: true }).price('2');
      expect([await entry(first, 'price:1'), await entry(second, 'price:1')]).toEqual([1, 0]);
      expect([await entry(second, 'price:2'), await entry(first, 'price:2')]).toEqual([1, 0]);
    } finally {
      await app.close();
    }
  });

  it('runs a warmer once, in the cache it names, and fails startup when it names none registered', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    @CacheWarmer({ runOnStartup: true, cache: 'catalog' })
    @Injectable()
    class CatalogWarmer implements Warmer {
      static runs = 0;
      async warm(): Promise<void> {
        CatalogWarmer.runs += 1;
      }
    }
    const app = await start(twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)), [CatalogWarmer]);
    await app.close();
    expect(CatalogWarmer.runs).toBe(1);

    @CacheWarmer({ cache: 'nowhere' })
    @Injectable()
    class LostWarmer implements Warmer {
      async warm(): Promise<void> {}
    }
    await expect(start([CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], [LostWarmer])).rejects.toThrow(
      /LostWarmer: @CacheWarmer names cache 'nowhere', which no CacheModule.forRoot\(\{ name \}\) registers/,
    );
  });

  it('gives an instance that a factory provides the cache its decorators name', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    const factory = { provide: 'BUILT_CATALOG', useFactory: (cache: CacheService) => new Catalog(cache, cache), inject: [CacheService] };
    const app = await start(twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)), [factory]);
    try {
      const built = app.get<Catalog>('BUILT_CATALOG');
      await built.product('3');
      await built.product('3');
      await built.price('3');
      expect(built.loads).toBe(2);
      expect([await entry(catalog, 'product:3'), await entry(shared, 'price:3')]).toEqual([1, 1]);
    } finally {
      await app.close();
    }
  });

  it('queues @WriteBehind({ cache }) on that cache, which alone needs writeBehind, and drains it through getWriteBehindQueueToken', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    const persisted: string[] = [];
    @Injectable()
    class CatalogWriter {
      @WriteBehind({ key: 'draft:{0}', cache: 'catalog', delay: 50 })
      async save(id: string): Promise<void> {
        persisted.push(id);
      }
    }
    const [sharedOptions, catalogOptions] = twoCaches(shared, catalog);
    const modules = [CacheModule.forRoot(sharedOptions), CacheModule.forRoot({ ...catalogOptions, writeBehind: { redis: redisUrl() } })];
    const app = await start(modules, [CatalogWriter]);
    try {
      await app.get(CatalogWriter).save('9');
      expect(await app.get<CacheService>(getCacheToken('catalog')).get('draft:9')).toBe('9');
      expect(persisted).toEqual([]);
      expect(await app.get<WriteBehindQueue>(getWriteBehindQueueToken('catalog')).drain(10_000)).toBe(true);
      expect(persisted).toEqual(['9']);
      expect(await entry(shared, 'draft:9')).toBe(0);
      expect(app.get<WriteBehindQueue>(getWriteBehindQueueToken('catalog')).isEnabled).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('caches HTTP responses in a named cache through a subclass of the interceptor', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    @Injectable()
    class CatalogHttpCacheInterceptor extends HttpCacheInterceptor {
      constructor(@InjectCache('catalog') cache: CacheService, reflector: Reflector) {
        super(cache, reflector);
      }
    }
    @Controller('catalog')
    @UseInterceptors(CatalogHttpCacheInterceptor)
    class CatalogController {
      @Get()
      list(): { items: number[] } {
        return { items: [1, 2] };
      }
    }
    const moduleRef = await Test.createTestingModule({
      imports: twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)),
      controllers: [CatalogController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: ['error'] });
    await app.init();
    try {
      expect((await request(app.getHttpServer()).get('/catalog').expect(200)).headers['x-cache']).toBe('MISS');
      expect((await request(app.getHttpServer()).get('/catalog').expect(200)).headers['x-cache']).toBe('HIT');
      expect(await redis.keys(`${catalog}:v2:*`)).toEqual([`${catalog}:v2:{http:/catalog}`]);
      expect(await redis.keys(`${shared}:v2:*`)).toEqual([]);
    } finally {
      await app.close();
    }
  });

  it('reports each cache on its own health indicator', async () => {
    const [shared, catalog] = [uniqueNamespace('shared'), uniqueNamespace('catalog')];
    const app = await start(twoCaches(shared, catalog).map((options) => CacheModule.forRoot(options)));
    try {
      expect(await app.get(CacheHealthIndicator).isHealthy('cache')).toMatchObject({ cache: { status: 'up', namespace: shared } });
      expect(await app.get<CacheHealthIndicator>(getCacheHealthToken('catalog')).isHealthy('catalog')).toMatchObject({
        catalog: { status: 'up', namespace: catalog },
      });
    } finally {
      await app.close();
    }
  });
});

describe('named caches: startup errors', () => {
  it('fails startup naming class, method and cache when a decorator names an unregistered cache', async () => {
    @Injectable()
    class Orphan {
      @Cacheable({ cache: 'nowhere' })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    @Injectable({ scope: Scope.REQUEST })
    class PerRequestOrphan {
      @Cacheable({ cache: 'nowhere' })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    for (const provider of [Orphan, PerRequestOrphan]) {
      const build = Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [provider] }).compile();
      await expect(build).rejects.toThrow(new RegExp(`${provider.name}\\.find uses cache 'nowhere'`));
    }
  });

  it('fails startup naming class and method when the cache option is not a name', async () => {
    @Injectable()
    class Misnamed {
      @Cacheable({ cache: 42 as never })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    const build = Test.createTestingModule({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [Misnamed] })
      .compile()
      .then((moduleRef) => moduleRef.init());
    await expect(build).rejects.toThrow(/Misnamed\.find: invalid option 'cache': 42 must match/);
  });

  it.each([
    ['singleton', Scope.DEFAULT],
    ['request-scoped', Scope.REQUEST],
  ])('fails startup when a %s class cannot see the default cache its application registers', async (_kind, scope) => {
    @Injectable({ scope })
    class Hidden {
      @Cacheable()
      async find(id: string): Promise<string> {
        return id;
      }
    }
    @Module({ providers: [Hidden] })
    class HiddenFeature {}
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })] })
    class CacheFeature {}

    const build = Test.createTestingModule({ imports: [CacheFeature, HiddenFeature] }).compile().then((moduleRef) => moduleRef.init());
    await expect(build).rejects.toThrow(/Hidden\.find: the cache 'default' is not visible to Hidden in module HiddenFeature/);
  });

  it('finds the default cache of a request-scoped class through a module that re-exports CacheModule', async () => {
    const namespace = uniqueNamespace();
    const cacheModule = CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } });
    @Module({ imports: [cacheModule], exports: [cacheModule] })
    class SharedCache {}
    @Injectable({ scope: Scope.REQUEST })
    class PerRequestPrices {
      @Cacheable({ key: 'request-price:{0}' })
      async price(id: string): Promise<string> {
        return id;
      }
    }
    @Module({ imports: [SharedCache], providers: [PerRequestPrices] })
    class Feature {}

    const app = await start([Feature]);
    try {
      await (await app.resolve(PerRequestPrices, ContextIdFactory.create())).price('5');
      expect(await entry(namespace, 'request-price:5')).toBe(1);
    } finally {
      await app.close();
    }
  });

  it('fails startup when two caches of one application share a namespace, or two global caches a name', async () => {
    const namespace = uniqueNamespace();
    @Module({ imports: [CacheModule.forRoot({ name: 'a', namespace, l2: false })] })
    class A {}
    @Module({ imports: [CacheModule.forRoot({ name: 'b', namespace, l2: false })] })
    class B {}
    await expect(Test.createTestingModule({ imports: [A, B] }).compile()).rejects.toThrow(
      new RegExp(`caches '(a|b)' and '(a|b)' of one application both use namespace '${namespace}'`),
    );

    const globals = ['x', 'y'].map((suffix) => CacheModule.forRoot({ name: 'twin', namespace: `${namespace}-${suffix}`, l2: false, isGlobal: true }));
    await expect(Test.createTestingModule({ imports: globals }).compile()).rejects.toThrow(/two global caches of one application are named 'twin'/);
  });

  it('rejects an invalid name where the module is declared, and a factory that renames its cache', async () => {
    expect(() => CacheModule.forRoot({ name: 'two words', namespace: 'n' })).toThrow(/invalid option 'name'/);
    const build = Test.createTestingModule({
      imports: [CacheModule.forRootAsync({ name: 'catalog', useFactory: () => ({ name: 'other', namespace: uniqueNamespace(), l2: false }) })],
    }).compile();
    await expect(build).rejects.toThrow(/the factory returned 'other' for the cache named 'catalog'; give the name to forRootAsync\(\{ name \}\)/);
    expect(() => CacheModule.forRootAsync({ name: 'catalog' })).toThrow(/needs exactly one of useFactory, useClass or useExisting/);
  });
});

describe('CacheModule.forRootAsync', () => {
  const SETTINGS = 'SETTINGS';

  @Injectable()
  class CacheConfig implements CacheOptionsFactory {
    static namespace = '';
    createCacheOptions(): CacheModuleOptions {
      return { namespace: CacheConfig.namespace, l2: { redis: redisUrl() } };
    }
  }

  @Module({ providers: [CacheConfig], exports: [CacheConfig] })
  class ConfigModule {}

  async function namespaceOf(module: ReturnType<typeof CacheModule.forRootAsync>, name?: string): Promise<string> {
    const app = await start([module]);
    try {
      const cache = app.get<CacheService>(getCacheToken(name));
      await cache.set('k', 1);
      expect(await entry(cache.namespace, 'k')).toBe(1);
      return cache.namespace;
    } finally {
      await app.close();
    }
  }

  it('builds a named cache with useFactory, injecting an extra provider', async () => {
    const namespace = uniqueNamespace();
    const module = CacheModule.forRootAsync({
      name: 'catalog',
      extraProviders: [{ provide: SETTINGS, useValue: { namespace } }],
      inject: [SETTINGS],
      useFactory: (settings: { namespace: string }) => ({ namespace: settings.namespace, l2: { redis: redisUrl() } }),
    });
    expect(await namespaceOf(module, 'catalog')).toBe(namespace);
  });

  it('builds the options with useClass and with useExisting', async () => {
    CacheConfig.namespace = uniqueNamespace();
    expect(await namespaceOf(CacheModule.forRootAsync({ useClass: CacheConfig }))).toBe(CacheConfig.namespace);
    CacheConfig.namespace = uniqueNamespace();
    expect(await namespaceOf(CacheModule.forRootAsync({ imports: [ConfigModule], useExisting: CacheConfig }))).toBe(CacheConfig.namespace);
  });
});

