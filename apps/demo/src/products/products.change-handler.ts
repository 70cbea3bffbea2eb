import { Injectable } from '@nestjs/common';
import { CacheService, OnTableChange, type ChangeInvalidation, type ChangedRow, type TableChange } from 'nestjs-tiered-cache';

/**
 * Invalidation from the database itself (with `DATABASE_URL` on a PostgreSQL with `wal_level = logical`):
 * a change made by plain SQL, a migration or another service drops the product and the category lists
 * it belongs to. The old category of an update or delete is known only with `REPLICA IDENTITY FULL`.
 */
@Injectable()
export class ProductsChangeHandler {
  constructor(private readonly cache: CacheService) {}

  @OnTableChange('products')
  async onProductChange(change: TableChange): Promise<ChangeInvalidation | void> {
    if (change.operation === 'truncate') return this.cache.clear();
    const tags = new Set<string>();
    for (const row of [change.key, change.previousKey, change.row, change.oldRow]) addTags(row, tags);
    return { tags: [...tags] };
  }
}

function addTags(row: ChangedRow | undefined, tags: Set<string>): void {
  if (row?.id) tags.add(`product:${row.id}`);
  if (row?.category) tags.add(`category:${row.category}`);
}
