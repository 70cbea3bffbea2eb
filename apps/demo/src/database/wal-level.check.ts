import pg from 'pg';

/** Whether the PostgreSQL at `url` runs with `wal_level = logical` (what the change feed needs); `false` if unreachable. */
export async function hasLogicalReplication(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level === 'logical';
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}
