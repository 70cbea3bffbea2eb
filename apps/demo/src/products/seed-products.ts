import type { Database } from '../database/database.interface.js';
import { CATEGORY_COUNT } from './product.js';

/** Creates the products table afresh and seeds `count` products across the categories. */
export async function seedProducts(database: Database, count: number): Promise<void> {
  await database.query('drop table if exists products');
  await database.query(`
    create table products (
      id serial primary key,
      name text not null,
      category text not null,
      price double precision not null,
      updated_at timestamptz not null default now()
    )`);
  await database.query('create index products_category on products (category)');
  await database.query(
    `insert into products (name, category, price)
     select 'Product ' || g, 'category-' || (g % $2), round((1 + (g * 37 % 10000) / 100.0)::numeric, 2)::float8
     from generate_series(1, $1::int) g`,
    [count, CATEGORY_COUNT],
  );
}
