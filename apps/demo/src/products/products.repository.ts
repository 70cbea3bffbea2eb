import { Inject, Injectable } from '@nestjs/common';
import { DATABASE, type Database } from '../database/database.interface.js';
import type { Product, ProductChanges } from './product.js';

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

  async update(id: number, changes: ProductChanges): Promise<Product | undefined> {
    const [row] = await this.query<ProductRow>(
      `update products set name = coalesce($2, name), category = coalesce($3, category), price = coalesce($4, price),
       updated_at = now() where id = $1 returning ${COLUMNS}`,
      [id, changes.name ?? null, changes.category ?? null, changes.price ?? null],
    );
    return row && toProduct(row);
  }

  async delete(id: number): Promise<boolean> {
    const rows = await this.query<{ id: number }>('delete from products where id = $1 returning id', [id]);
    return rows.length > 0;
  }

  private query<T>(sql: string, params: unknown[]): Promise<T[]> {
    this.queryCount += 1;
    return this.database.query<T>(sql, params);
  }
}

function toProduct(row: ProductRow): Product {
  return { id: row.id, name: row.name, category: row.category, price: Number(row.price), updatedAt: new Date(row.updated_at) };
}
