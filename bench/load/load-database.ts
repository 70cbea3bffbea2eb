import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** The database of a load run: a throwaway PostgreSQL database, or none (each app then opens its own PGlite). */
export interface LoadDatabase {
  /** `DATABASE_URL` for the apps; `undefined`: embedded PGlite. */
  url: string | undefined;
  description: string;
  /** Drops the throwaway database. */
  drop(): Promise<void>;
}

/**
 * Creates a uniquely named database on the PostgreSQL server at `adminUrl` (dropped by `drop`), or, when
 * that server does not answer, falls back to PGlite.
 */
export async function createLoadDatabase(adminUrl: string): Promise<LoadDatabase> {
  const admin = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 2_000 });
  try {
    await admin.connect();
  } catch (error) {
    await admin.end().catch(() => undefined);
    const reason = error instanceof Error ? error.message : String(error);
    return { url: undefined, description: `PGlite (PostgreSQL at ${redact(adminUrl)} unreachable: ${reason})`, drop: async () => undefined };
  }
  const name = `tiered_cache_load_${randomBytes(4).toString('hex')}`;
  await admin.query(`create database ${name}`);
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    description: `PostgreSQL database ${name} at ${url.host} (dropped at the end)`,
    async drop() {
      await admin.query(`drop database if exists ${name} with (force)`);
      await admin.end();
    },
  };
}

function redact(url: string): string {
  const parsed = new URL(url);
  parsed.password = '';
  return parsed.toString();
}
