import 'reflect-metadata';
import { CacheEvict } from './cache-evict.decorator.js';
import { CachePut } from './cache-put.decorator.js';
import { Cacheable } from './cacheable.decorator.js';
import { RefreshAhead } from '../refresh/refresh-ahead.decorator.js';
import { WriteBehind } from '../write-behind/write-behind.decorator.js';

// Compile-time checks (npm test type-checks this file): the options' callbacks take their parameter
// types from the decorated method; a callback typed differently is an error.

interface Product {
  id: number;
  name: string;
}

class Products {
  @Cacheable({
    key: (id, locale) => `product:${id.toFixed()}:${locale.toUpperCase()}`,
    tags: ['products', (id) => `product:${id.toFixed()}`],
    condition: (id) => id > 0,
    unless: (product, id) => product === null || product.id !== id,
  })
  async findOne(id: number, locale: string): Promise<Product | null> {
    return { id, name: locale };
  }

  @CachePut({ key: (product) => `product:${product.id}`, unless: (saved) => saved.name === '' })
  async update(product: Product): Promise<Product> {
    return product;
  }

  @CacheEvict({ keys: [(product) => `product:${product.id}`] })
  async remove(product: Product): Promise<void> {
    void product;
  }

  @RefreshAhead({ key: (...ids) => ids.join(','), unless: (found) => found.length === 0 })
  async many(...ids: number[]): Promise<Product[]> {
    return ids.map((id) => ({ id, name: String(id) }));
  }

  @WriteBehind({ key: (product) => `product:${product.id}`, value: (product) => product.name })
  async save(product: Product): Promise<void> {
    void product;
  }

  @Cacheable({ key: (product) => `generic:${product.id}` })
  async generic<T extends Product>(product: T): Promise<T> {
    return product;
  }

  // @ts-expect-error the key function takes a string, the method a number
  @Cacheable({ key: (id: string) => id })
  async wrongKey(id: number): Promise<number> {
    return id;
  }

  // @ts-expect-error unless receives the method's result (a string), not a number
  @Cacheable({ unless: (result: number) => result > 0 })
  async wrongUnless(id: number): Promise<string> {
    return String(id);
  }

  @Cacheable({
    // @ts-expect-error the method has no second parameter of this type
    condition: (id: number, flag: boolean) => flag && id > 0,
  })
  async wrongCondition(id: number): Promise<number> {
    return id;
  }

  @CachePut({
    // @ts-expect-error a property the argument does not have
    key: (product) => `product:${product.sku}`,
  })
  async wrongProperty(product: Product): Promise<Product> {
    return product;
  }
}

describe('decorator option types', () => {
  it('infer callback parameters from the decorated method (checked by the compiler)', async () => {
    await expect(new Products().findOne(1, 'en')).resolves.toEqual({ id: 1, name: 'en' });
  });
});
