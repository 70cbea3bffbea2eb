import { Injectable, NotFoundException } from '@nestjs/common';
import { CacheEvict, CachePut, Cacheable } from 'nestjs-tiered-cache';
import { PRODUCTS_TAG, type Product, type ProductChanges } from './product.js';
import { ProductsRepository } from './products.repository.js';

/** The catalogue, cached with decorators: reads through, writes through, evicts on delete. */
@Injectable()
export class ProductsService {
  constructor(private readonly repository: ProductsRepository) {}

  /** One product; a missing one throws 404 and, being an error, is never cached. */
  @Cacheable({ key: 'product:{0}', ttl: '10m', tags: [PRODUCTS_TAG, 'product:{0}'] })
  async findOne(id: number): Promise<Product> {
    const product = await this.repository.findById(id);
    if (!product) throw new NotFoundException(`Product ${id} not found`);
    return product;
  }

  /** Up to 100 products of a category (an unknown category is an empty list). */
  @Cacheable({ key: 'products:category:{0}', ttl: '5m', tags: [PRODUCTS_TAG] })
  async findByCategory(category: string): Promise<Product[]> {
    return this.repository.findByCategory(category);
  }

  /**
   * Updates a product, then (inner decorator) invalidates the tags once the row is committed, then
   * (outer decorator) caches the new version, recording the tag versions of after the invalidation.
   * So every list is reloaded, the next read of this product costs no query on any instance, and a
   * read that loaded the old row meanwhile cannot leave it cached: it recorded the older versions.
   */
  @CachePut({ key: 'product:{0}', ttl: '10m', tags: [PRODUCTS_TAG, 'product:{0}'] })
  @CacheEvict({ tags: [PRODUCTS_TAG, 'product:{0}'] })
  async update(id: number, changes: ProductChanges): Promise<Product> {
    const product = await this.repository.update(id, changes);
    if (!product) throw new NotFoundException(`Product ${id} not found`);
    return product;
  }

  /** Deletes a product, then evicts it and (through the tag) every list and any read racing the delete. */
  @CacheEvict({ keys: ['product:{0}'], tags: [PRODUCTS_TAG] })
  async remove(id: number): Promise<void> {
    if (!(await this.repository.delete(id))) throw new NotFoundException(`Product ${id} not found`);
  }
}
