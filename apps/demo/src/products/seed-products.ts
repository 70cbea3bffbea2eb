import type { Database } from '../database/database.interface.js';
import { CATEGORY_COUNT } from './product.js';

const CREATE_TABLE = `
  create table if not exists products (
    id integer primary key,
    name text not null,
    category text not null,
    price double precision not null,
    updated_at timestamptz not null default now()
  )`;

const CREATE_INDEX = 'create index if not exists products_category on products (category)';

// One statement: seeds only an empty table (so a restart neither resets edits nor resurrects deleted
// products), and `on conflict` makes two instances seeding one database at once harmless.
const SEED = `
  with inserted as (
    insert into products (id, name, category, price)
    select g, 'Product ' || g, 'category-' || (g % $2), round((1 + (g * 37 % 10000) / 100.0)::numeric, 2)::float8
    from generate_series(1, $1::int) g
    where not exists (select 1 from products)
    on conflict (id) do nothing
    returning 1
  )
  select count(*)::int as count from inserted`;

// PostgreSQL's `if not exists` is not atomic: two instances creating at once may see one of these.
const ALREADY_CREATED = new Set(['23505', '42P07']);

/**
 * Creates the products table if needed and seeds `count` products across the categories when it is
 * empty. Returns how many products it inserted (0 when the table already held data).
 */
export async function seedProducts(database: Database, count: number): Promise<number> {
  await createIfMissing(database, CREATE_TABLE);
  await createIfMissing(database, CREATE_INDEX);
  if (count <= 0) return 0;
  const [row] = await database.query<{ count: number }>(SEED, [count, CATEGORY_COUNT]);
  return row?.count ?? 0;
}

async function createIfMissing(database: Database, ddl: string): Promise<void> {
  try {
    await database.query(ddl);
  } catch (error) {
    if (!ALREADY_CREATED.has(errorCode(error))) throw error;
  }
}

function errorCode(error: unknown): string {
  const code = typeof error === 'object' && error !== null && 'code' in error ? error.code : undefined;
  return typeof code === 'string' ? code : '';
}
