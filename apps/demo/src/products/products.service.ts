import { Injectable, NotFoundException } from '@nestjs/common';
import { CacheEvict, CachePut, Cacheable } from 'nestjs-tiered-cache';
import type { Product, ProductChanges } from './product.js';
import { ProductsRepository } from './products.repository.js';

/** The catalogue, cached with decorators: reads through, writes through, evicts on delete. */
@Injectable()
export class ProductsService {
  constructor(private readonly repository: ProductsRepository) {}

  /** One product; a missing one throws 404 and, being an error, is never cached. */
  @Cacheable({ key: 'product:{0}', ttl: '10m', grace: '1h', tags: ['products', 'product:{0}'] })
  async findOne(id: number): Promise<Product> {
    const product = await this.repository.findById(id);
    if (!product) throw new NotFoundException(`Product ${id} not found`);
    return product;
  }

  /** Up to 100 products of a category; invalidated through the `products` tag on any change. */
  @Cacheable({ key: 'products:category:{0}', ttl: '5m', tags: ['products'] })
  async findByCategory(category: string): Promise<Product[]> {
    return this.repository.findByCategory(category);
  }

  /**
   * Updates a product: every list (and product) tagged `products` is invalidated first, then the new
   * version is cached under its key (write-through), so the next read of it costs no query.
   */
  @CacheEvict({ tags: ['products'], beforeInvocation: true })
  @CachePut({ key: 'product:{0}', ttl: '10m', grace: '1h', tags: ['products', 'product:{0}'] })
  async update(id: number, changes: ProductChanges): Promise<Product> {
    const product = await this.repository.update(id, changes);
    if (!product) throw new NotFoundException(`Product ${id} not found`);
    return product;
  }

  /** Deletes a product and evicts it and every list. */
  @CacheEvict({ keys: ['product:{0}'], tags: ['products'] })
  async remove(id: number): Promise<void> {
    if (!(await this.repository.delete(id))) throw new NotFoundException(`Product ${id} not found`);
  }
}
