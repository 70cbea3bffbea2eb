import { Logger } from '@nestjs/common';
import pg from 'pg';
import type { Database } from './database.interface.js';

/** A real PostgreSQL server through a `pg` pool, used when `DATABASE_URL` is set. */
export class PostgresDatabase implements Database {
  private readonly pool: pg.Pool;

  constructor(connectionString: string) {
    this.pool = new pg.Pool({ connectionString, max: 10 });
    // NOTE: an idle client losing its connection emits 'error' on the pool; unheard, it would crash the app.
    this.pool.on('error', (error) => new Logger('PostgresDatabase').warn(`Idle PostgreSQL connection failed: ${error.message}`));
  }

  async query<T>(sql: string, params: unknown[] = []): Promise<T[]> {
    const result = await this.pool.query(sql, params);
    return result.rows as T[];
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
