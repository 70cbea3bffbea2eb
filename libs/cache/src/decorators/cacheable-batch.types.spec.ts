import 'reflect-metadata';
import { CacheableBatch } from './cacheable-batch.decorator.js';

// Compile-time checks (npm test type-checks this file): a batch key function gets one id and the
// method's other arguments, typed by the method; the first parameter must be an array.

interface Product {
  id: number;
  name: string;
}

class Products {
  @CacheableBatch({ key: (id, locale) => `product:${id.toFixed()}:${locale.toUpperCase()}`, tags: [(id) => `product:${id.toFixed()}`] })
  async findMany(ids: readonly number[], locale: string): Promise<Product[]> {
    return ids.map((id) => ({ id, name: locale }));
  }

  @CacheableBatch({ key: 'product:{id}', returns: 'map' })
  async byId(ids: number[]): Promise<Map<number, Product>> {
    return new Map(ids.map((id) => [id, { id, name: String(id) }]));
  }

  // @ts-expect-error the key function takes a string id, the method's ids are numbers
  @CacheableBatch({ key: (id: string) => id })
  async wrongId(ids: number[]): Promise<number[]> {
    return ids;
  }

  // @ts-expect-error the first parameter is not an array of ids
  @CacheableBatch({ key: 'product:{id}' })
  async notIds(id: number): Promise<number[]> {
    return [id];
  }
}

describe('@CacheableBatch option types', () => {
  it('type the key function by the decorated method (checked by the compiler)', async () => {
    await expect(new Products().findMany([1], 'en')).resolves.toEqual([{ id: 1, name: 'en' }]);
  });
});
