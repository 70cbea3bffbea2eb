import { Controller, Get, Injectable, Module, Scope, SetMetadata } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { Reflector } from '@nestjs/core';
import { CacheEvict, CacheModule, CachePut, CacheService, Cacheable } from 'nestjs-tiered-cache';
import { Redis } from 'ioredis';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

interface Product {
  id: string;
  name: string;
}

@Injectable()
class ProductsService {
  calls = 0;
  readonly names = new Map<string, string>();

  @Cacheable({ key: 'product:{0}', tags: ['products', 'product:{0}'] })
  async findOne(id: string): Promise<Product | null> {
    this.calls += 1;
    const name = this.names.get(id);
    return name === undefined ? null : { id, name };
  }

  @Cacheable()
  async search(filter: { category: string; page: number }): Promise<string> {
    this.calls += 1;
    return `${filter.category}/${filter.page}`;
  }

  @Cacheable({ key: 'maybe:{0}', cacheNull: true })
  async maybe(id: string): Promise<string | null> {
    this.calls += 1;
    return this.names.get(id) ?? null;
  }

  @Cacheable({ key: 'cond:{0}', condition: (id: string) => id !== 'skip', unless: (result: string) => result === 'nope' })
  async conditional(id: string): Promise<string> {
    this.calls += 1;
    return id === 'no' ? 'nope' : id;
  }

  @Cacheable({ key: 'fails:{0}' })
  async failing(id: string): Promise<string> {
    this.calls += 1;
    throw new Error(`cannot load ${id}`);
  }

  @CachePut({ key: 'product:{0.id}', tags: ['product:{0.id}'] })
  async update(product: Product): Promise<Product> {
    this.names.set(product.id, product.name);
    return product;
  }

  @CacheEvict({ keys: ['product:{0}'], tags: ['products'] })
  async remove(id: string): Promise<void> {
    this.names.delete(id);
  }

  @CacheEvict({ key: 'product:{0}', beforeInvocation: true })
  async removeThenFail(id: string): Promise<void> {
    throw new Error(`failed after evicting ${id}`);
  }

  @CacheEvict({ all: true })
  async reset(): Promise<void> {}

  async findViaThis(id: string): Promise<Product | null> {
    return this.findOne(id);
  }
}

@Controller('items')
class ItemsController {
  calls = 0;

  @Get(':id')
  @SetMetadata('role', 'reader')
  @Cacheable({ key: 'item:{0}' })
  @SetMetadata('applied-below', true)
  async item(id: string): Promise<string> {
    this.calls += 1;
    return `item ${id}`;
  }
}

@Injectable({ scope: Scope.REQUEST })
class PerRequestService {
  static calls = 0;

  @Cacheable({ key: 'per-request:{0}' })
  async value(id: string): Promise<string> {
    PerRequestService.calls += 1;
    return id;
  }
}

@Injectable({ scope: Scope.TRANSIENT })
class TransientService {
  static calls = 0;

  @Cacheable({ key: 'transient:{0}' })
  async value(id: string): Promise<string> {
    TransientService.calls += 1;
    return id;
  }
}

@Injectable()
class TransientConsumer {
  constructor(readonly transient: TransientService) {}
}

async function start(namespace: string) {
  @Module({
    imports: [CacheModule.forRoot({ namespace, l2: { redis: redisUrl() } })],
    providers: [ProductsService, PerRequestService, TransientService, TransientConsumer],
    controllers: [ItemsController],
  })
  class AppModule {}
  const moduleRef = await Test.createTestingModule({ imports: [AppModule] }).compile();
  return moduleRef.init();
}

describe('cache decorators', () => {
  let namespace: string;
  let app: Awaited<ReturnType<typeof start>>;
  let products: ProductsService;

  beforeEach(async () => {
    namespace = uniqueNamespace();
    app = await start(namespace);
    products = app.get(ProductsService);
    products.names.set('13', 'lamp');
  });
  afterEach(() => app.close());

  it('caches a read and serves the second call without running the method', async () => {
    expect(await products.findOne('13')).toEqual({ id: '13', name: 'lamp' });
    expect(await products.findOne('13')).toEqual({ id: '13', name: 'lamp' });
    expect(products.calls).toBe(1);
    expect(await app.get(CacheService).get('product:13')).toEqual({ id: '13', name: 'lamp' });
  });

  it('caches calls made from inside the class', async () => {
    await products.findViaThis('13');
    await products.findViaThis('13');
    await products.findOne('13');
    expect(products.calls).toBe(1);
  });

  it('keys by a stable hash of the arguments when no key is given (key order does not matter)', async () => {
    await products.search({ category: 'lamps', page: 1 });
    await products.search({ page: 1, category: 'lamps' } as { category: string; page: number });
    expect(products.calls).toBe(1);
    const redis = new Redis(redisUrl());
    const keys = await redis.keys(`${namespace}:v2:{ProductsService.search:*`);
    redis.disconnect();
    expect(keys).toHaveLength(1);
  });

  it('escapes interpolated values so an argument cannot reach another key', async () => {
    const cache = app.get(CacheService);
    await cache.set('product:1:orders', { id: 'forged', name: 'forged' });
    products.names.set('1:orders', 'real');
    expect(await products.findOne('1:orders')).toEqual({ id: '1:orders', name: 'real' });
    await products.remove('1:orders');
    expect(await cache.get('product:1:orders')).toEqual({ id: 'forged', name: 'forged' });
    expect(await products.findOne('*')).toBeNull();
  });

  it('does not cache null unless cacheNull is set; a cached null is a hit', async () => {
    await products.findOne('missing');
    await products.findOne('missing');
    expect(products.calls).toBe(2);
    products.calls = 0;
    expect(await products.maybe('missing')).toBeNull();
    expect(await products.maybe('missing')).toBeNull();
    expect(products.calls).toBe(1);
  });

  it('honours condition and unless', async () => {
    await products.conditional('skip');
    await products.conditional('skip');
    await products.conditional('no');
    await products.conditional('no');
    expect(products.calls).toBe(4);
    await products.conditional('yes');
    await products.conditional('yes');
    expect(products.calls).toBe(5);
  });

  it('never caches an error', async () => {
    await expect(products.failing('1')).rejects.toThrow('cannot load 1');
    await expect(products.failing('1')).rejects.toThrow('cannot load 1');
    expect(products.calls).toBe(2);
  });

  it('writes through with CachePut and evicts with CacheEvict (after success, or before when asked)', async () => {
    await products.findOne('13');
    await products.update({ id: '13', name: 'desk' });
    expect(await products.findOne('13')).toEqual({ id: '13', name: 'desk' });
    expect(products.calls).toBe(1);

    await products.remove('13');
    expect(await products.findOne('13')).toBeNull();
    expect(products.calls).toBe(2);

    products.names.set('14', 'chair');
    await products.findOne('14');
    await expect(products.removeThenFail('14')).rejects.toThrow('failed after evicting 14');
    await products.findOne('14');
    expect(products.calls).toBe(4);

    await products.reset();
    await products.findOne('14');
    expect(products.calls).toBe(5);
  });

  it('keeps name, this and the metadata of other decorators; works on controllers', async () => {
    expect(ProductsService.prototype.findOne.name).toBe('findOne');
    const reflector = app.get(Reflector);
    expect(reflector.get('role', ItemsController.prototype.item)).toBe('reader');
    expect(reflector.get('applied-below', ItemsController.prototype.item)).toBe(true);
    expect(Reflect.getMetadata('path', ItemsController.prototype.item)).toBe(':id');
    const controller = app.get(ItemsController);
    await controller.item('1');
    await controller.item('1');
    expect(controller.calls).toBe(1);
  });

  it('caches request-scoped providers', async () => {
    PerRequestService.calls = 0;
    const first = await app.resolve(PerRequestService);
    const second = await app.resolve(PerRequestService, { id: 2 });
    await first.value('a');
    await second.value('a');
    expect(PerRequestService.calls).toBe(1);
  });

  it('caches transient providers', async () => {
    TransientService.calls = 0;
    const { transient } = app.get(TransientConsumer);
    const another = await app.resolve(TransientService);
    await transient.value('a');
    await another.value('a');
    expect(TransientService.calls).toBe(1);
  });

  it('runs the plain method, uncached, on an instance built with new outside Nest', async () => {
    await app.close();
    const plain = new ProductsService();
    plain.names.set('1', 'x');
    await plain.findOne('1');
    await plain.findOne('1');
    expect(plain.calls).toBe(2);
    app = await start(namespace);
  });

  it('keeps two applications in one process in their own namespaces', async () => {
    const otherNamespace = uniqueNamespace();
    const other = await start(otherNamespace);
    try {
      const otherProducts = other.get(ProductsService);
      otherProducts.names.set('13', 'other lamp');
      expect(await products.findOne('13')).toEqual({ id: '13', name: 'lamp' });
      expect(await otherProducts.findOne('13')).toEqual({ id: '13', name: 'other lamp' });
      expect(await other.get(CacheService).get('product:13')).toEqual({ id: '13', name: 'other lamp' });
      expect(await app.get(CacheService).get('product:13')).toEqual({ id: '13', name: 'lamp' });
    } finally {
      await other.close();
    }
  });
});

describe('decorator misconfiguration', () => {
  async function startWith(provider: new () => object): Promise<void> {
    @Module({ imports: [CacheModule.forRoot({ namespace: uniqueNamespace(), l2: false })], providers: [provider] })
    class BrokenModule {}
    const moduleRef = await Test.createTestingModule({ imports: [BrokenModule] }).compile();
    await moduleRef.init();
    await moduleRef.close();
  }

  it('fails at startup naming the class and method for a template argument the method lacks', async () => {
    @Injectable()
    class BadTemplate {
      @Cacheable({ key: 'x:{2}' })
      async find(id: string): Promise<string> {
        return id;
      }
    }
    await expect(startWith(BadTemplate)).rejects.toThrow(/BadTemplate\.find.*argument 2/);
  });

  it('fails at startup for CachePut without a key and CacheEvict with all and keys', async () => {
    @Injectable()
    class NoKey {
      @CachePut({} as never)
      async save(id: string): Promise<string> {
        return id;
      }
    }
    @Injectable()
    class AllAndKeys {
      @CacheEvict({ all: true, keys: ['a'] })
      async drop(): Promise<void> {}
    }
    await expect(startWith(NoKey)).rejects.toThrow(/NoKey\.save.*key/);
    await expect(startWith(AllAndKeys)).rejects.toThrow(/AllAndKeys\.drop.*`all`/);
  });

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

  it('rejects a method that does not return a Promise at compile time', () => {
    class Sync {
      // @ts-expect-error the cache decorators only accept Promise-returning methods
      @Cacheable({ key: 'sync' })
      find(): string {
        return 'x';
      }
    }
    expect(new Sync().find()).toBe('x');
  });
});
