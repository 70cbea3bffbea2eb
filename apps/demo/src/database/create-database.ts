import type { Database } from './database.interface.js';
import { PgliteDatabase } from './pglite.database.js';
import { PostgresDatabase } from './postgres.database.js';

/** PostgreSQL through `pg` when a URL is given, else embedded PGlite. */
export function createDatabase(databaseUrl: string | undefined): Database {
  return databaseUrl ? new PostgresDatabase(databaseUrl) : new PgliteDatabase();
}
