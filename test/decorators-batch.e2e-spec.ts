import { Injectable, type INestApplicationContext, type Type } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { CacheModule, CacheService, CacheableBatch } from 'nestjs-tiered-cache';
import { redisUrl, uniqueNamespace } from './support/test-redis.js';

interface Product {
  id: number;
  name: string;
}

const productOf = (id: number): Product => ({ id, name: `product ${id}` });

@Injectable()
class ProductsService {
  readonly calls: number[][] = [];

  @CacheableBatch({ key: 'product:{id}', tags: ['product:{id}'] })
  async findMany(ids: number[]): Promise<(Product | undefined)[]> {
    this.calls.push(ids);
    return ids.map((id) => (id < 0 ? undefined : productOf(id)));
  }

  @CacheableBatch({ key: (id, locale) => `localized:${id}:${locale}`, returns: 'map' })
  async localized(ids: readonly number[], locale: string): Promise<Map<number, string>> {
    this.calls.push([...ids]);
    return new Map(ids.filter((id) => id >= 0).map((id) => [id, `${locale} ${id}`]));
  }

  @CacheableBatch({ key: 'coalesced:{id}', coalesce: true })
  async coalesced(ids: number[]): Promise<Product[]> {
    this.calls.push(ids);
    return ids.map(productOf);
  }
}

describe('@CacheableBatch', () => {
  const apps: INestApplicationContext[] = [];
  afterEach(async () => {
    await Promise.all(apps.splice(0).map((app) => app.close()));
  });

  async function start<T>(provider: Type<T>, namespace = uniqueNamespace(), withRedis = true): Promise<{ service: T; cache: CacheService }> {
    const moduleRef = await Test.createTestingModule({
      imports: [CacheModule.forRoot({ namespace, l2: withRedis && { redis: redisUrl(), commandTimeout: '5s' } })],
      providers: [provider],
    }).compile();
    apps.push(moduleRef);
    const app = await moduleRef.init();
    return { service: app.get(provider), cache: app.get(CacheService) };
  }

  it('calls the method with the missing ids only and returns an array aligned with the ids, duplicates included', async () => {
    const { service, cache } = await start(ProductsService);
    await cache.set('product:2', productOf(2));

    const found = await service.findMany([3, 2, 1, 3, -1]);

    expect(service.calls).toEqual([[3, 1, -1]]);
    expect(found).toEqual([productOf(3), productOf(2), productOf(1), productOf(3), undefined]);
    expect(await service.findMany([1, 2, 3])).toEqual([productOf(1), productOf(2), productOf(3)]);
    expect(service.calls).toHaveLength(1);
    expect(await cache.has('product:-1')).toBe(false);
  });

  it('tags each id, so invalidating one id reloads only that id', async () => {
    const { service, cache } = await start(ProductsService);
    await service.findMany([1, 2]);

    await cache.invalidateTags('product:2');

    expect(await service.findMany([1, 2])).toEqual([productOf(1), productOf(2)]);
    expect(service.calls).toEqual([[1, 2], [2]]);
  });

  it('binds the other arguments into the key and returns a Map of the ids found', async () => {
    const { service } = await start(ProductsService);
    await service.localized([1], 'en');

    const found = await service.localized([1, 2, -1], 'fr');

    expect(found).toEqual(new Map([[1, 'fr 1'], [2, 'fr 2']]));
    expect(service.calls).toEqual([[1], [1, 2, -1]]);
  });

  it('coalesces concurrent single-id calls within one tick into one call of the method', async () => {
    const { service } = await start(ProductsService);

    const found = await Promise.all([service.coalesced([1]), service.coalesced([2]), service.coalesced([1]), service.coalesced([3, 4])]);

    expect(found).toEqual([[productOf(1)], [productOf(2)], [productOf(1)], [productOf(3), productOf(4)]]);
    expect(service.calls).toEqual([[1, 2, 3, 4]]);
  });

  it('loads once across two instances racing on the same ids', async () => {
    const namespace = uniqueNamespace();
    const first = await start(ProductsService, namespace);
    const second = await start(ProductsService, namespace);

    await Promise.all([first.service.findMany([1, 2, 3]), second.service.findMany([1, 2, 3])]);

    expect([...first.service.calls, ...second.service.calls].flat().sort()).toEqual([1, 2, 3]);
  });

  it('fails at startup on a key without {id}, a {0} placeholder or a bad option', async () => {
    const failing = async (options: object): Promise<unknown> => {
      @Injectable()
      class Broken {
        @CacheableBatch(options as { key: string })
        async find(ids: number[]): Promise<number[]> {
          return ids;
        }
      }
      return start(Broken, uniqueNamespace(), false).catch((error: Error) => error.message);
    };

    expect(await failing({ key: 'product' })).toMatch(/Broken\.find: @CacheableBatch key 'product' must contain \{id\}/);
    expect(await failing({ key: 'product:{0}' })).toMatch(/use \{id\} for each id, not \{0\}/);
    expect(await failing({ key: 'p:{id}', returns: 'set' })).toMatch(/option 'returns' must be 'array' or 'map'/);
    expect(await failing({ key: 'p:{id}', maxBatchSize: 0 })).toMatch(/Broken\.find: .*'maxBatchSize'/);
    expect(await failing({ key: 'p:{id}', coalesce: 'yes' })).toMatch(/option 'coalesce' must be true or false/);
  });
});
