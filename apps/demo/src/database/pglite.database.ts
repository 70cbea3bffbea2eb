import { PGlite } from '@electric-sql/pglite';
import type { Database } from './database.interface.js';

/** Embedded PostgreSQL (PGlite, in memory): the default, so the demo needs no database server. */
export class PgliteDatabase implements Database {
  private readonly db = new PGlite();

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.db.query<T>(sql, params);
    return result.rows;
  }

  async close(): Promise<void> {
    await this.db.close();
  }
}
