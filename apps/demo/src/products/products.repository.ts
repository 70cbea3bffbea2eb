import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.interface.js';
import type { Product, ProductChanges, ProductUpdate } from './product.js';

interface ProductRow {
  id: number;
  name: string;
  category: string;
  price: number;
  updated_at: Date;
}

const COLUMNS = 'id, name, category, price, updated_at';
const LIST_LIMIT = 100;

/** SQL access to products; counts every query so the demo can show what the cache saves. */
@Injectable()
export class ProductsRepository {
  queryCount = 0;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  async findById(id: number): Promise<Product | undefined> {
    const [row] = await this.query<ProductRow>(`select ${COLUMNS} from products where id = $1`, [id]);
    return row && toProduct(row);
  }

  async findByCategory(category: string): Promise<Product[]> {
    const rows = await this.query<ProductRow>(`select ${COLUMNS} from products where category = $1 order by id limit $2`, [
      category,
      LIST_LIMIT,
    ]);
    return rows.map(toProduct);
  }

  /** The updated product and the category it had before this update; `undefined` when there is no such product. */
  async update(id: number, changes: ProductChanges): Promise<ProductUpdate | undefined> {
    // NOTE: the category before the write is read by the write itself (the row locked `for update`): read
    // by a separate query, a concurrent update could change it in between and its old list would stay cached.
    const [row] = await this.query<ProductRow & { previous_category: string }>(
      `update products p set name = coalesce($2, p.name), category = coalesce($3, p.category), price = coalesce($4, p.price),
       updated_at = now()
       from (select id, category from products where id = $1 for update) previous
       where p.id = previous.id
       returning p.id, p.name, p.category, p.price, p.updated_at, previous.category as previous_category`,
      [id, changes.name ?? null, changes.category ?? null, changes.price ?? null],
    );
    return row && { product: toProduct(row), previousCategory: row.previous_category };
  }

  /** Deletes a product; returns its category, or `undefined` when there was no such product. */
  async delete(id: number): Promise<string | undefined> {
    const [row] = await this.query<{ category: string }>('delete from products where id = $1 returning category', [id]);
    return row?.category;
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    this.queryCount += 1;
    return this.database.query<T>(sql, params);
  }
}

function toProduct(row: ProductRow): Product {
  return { id: row.id, name: row.name, category: row.category, price: Number(row.price), updatedAt: new Date(row.updated_at) };
}
