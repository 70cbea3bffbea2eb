import type { Client } from 'pg';
import { ChangeFeedSetupError } from '../cache.errors.js';

/** A qualified table name, e.g. `public.products`. */
export interface TableName {
  schema: string;
  table: string;
}

const DUPLICATE_OBJECT = '42710';

/**
 * Prepares the database for the feed (idempotent, safe for several instances at once): checks
 * `wal_level`, creates the publication or adds the handlers' tables to it, checks that each table
 * identifies its rows (`REPLICA IDENTITY`), creates the slot. Resolves whether this call created the slot.
 */
export async function prepareChangeFeed(client: Client, slot: string, publication: string, tables: readonly TableName[]): Promise<boolean> {
  const walLevel = (await client.query<{ wal_level: string }>('SHOW wal_level')).rows[0]?.wal_level;
  if (walLevel !== 'logical') {
    throw new ChangeFeedSetupError(
      `PostgreSQL runs with wal_level = ${walLevel ?? 'unknown'}; logical replication needs wal_level = logical ` +
        '(ALTER SYSTEM SET wal_level = logical, then restart PostgreSQL)',
    );
  }
  await checkReplicationPrivilege(client);
  for (const table of tables) await checkReplicaIdentity(client, table);
  await ensurePublication(client, publication, tables);
  return ensureSlot(client, slot);
}

async function checkReplicationPrivilege(client: Client): Promise<void> {
  const { rows } = await client.query<{ role: string; allowed: boolean }>(
    'SELECT rolname AS role, rolreplication OR rolsuper AS allowed FROM pg_roles WHERE rolname = current_user',
  );
  const found = rows[0];
  if (found && !found.allowed) {
    throw new ChangeFeedSetupError(`role ${found.role} may not stream changes: ALTER ROLE ${found.role} REPLICATION (or connect as a superuser)`);
  }
}

async function checkReplicaIdentity(client: Client, { schema, table }: TableName): Promise<void> {
  const { rows } = await client.query<{ identity: string; has_key: boolean }>(
    `SELECT c.relreplident AS identity,
            EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND (i.indisprimary OR i.indisreplident)) AS has_key
       FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
      WHERE n.nspname = $1 AND c.relname = $2 AND c.relkind IN ('r', 'p')`,
    [schema, table],
  );
  const found = rows[0];
  if (!found) throw new ChangeFeedSetupError(`table ${schema}.${table} (of an @OnTableChange handler) does not exist`);
  const identified = found.identity === 'f' || ((found.identity === 'd' || found.identity === 'i') && found.has_key);
  if (!identified) {
    throw new ChangeFeedSetupError(
      `table ${schema}.${table} has no replica identity, so updates and deletes would not say which row changed: ` +
        `give it a primary key, or ALTER TABLE ${schema}.${table} REPLICA IDENTITY FULL`,
    );
  }
}

async function ensurePublication(client: Client, publication: string, tables: readonly TableName[]): Promise<void> {
  const { rows } = await client.query<{ schemaname: string; tablename: string }>(
    'SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = $1',
    [publication],
  );
  const exists = rows.length > 0 || (await client.query('SELECT 1 FROM pg_publication WHERE pubname = $1', [publication])).rowCount !== 0;
  const missing = tables.filter(({ schema, table }) => !rows.some((row) => row.schemaname === schema && row.tablename === table));
  if (exists && missing.length === 0) return;
  const list = missing.map(({ schema, table }) => `${quote(schema)}.${quote(table)}`).join(', ');
  const statement = exists ? `ALTER PUBLICATION ${quote(publication)} ADD TABLE ${list}` : `CREATE PUBLICATION ${quote(publication)} FOR TABLE ${list}`;
  await ignoreDuplicate(client.query(statement), `creating publication ${publication}`);
}

async function ensureSlot(client: Client, slot: string): Promise<boolean> {
  const { rows } = await client.query<{ plugin: string | null }>('SELECT plugin FROM pg_replication_slots WHERE slot_name = $1', [slot]);
  const existing = rows[0];
  if (existing) {
    if (existing.plugin !== 'pgoutput') throw new ChangeFeedSetupError(`replication slot ${slot} exists but is not a pgoutput logical slot`);
    return false;
  }
  return ignoreDuplicate(client.query("SELECT pg_create_logical_replication_slot($1, 'pgoutput')", [slot]), `creating slot ${slot}`);
}

// NOTE: another instance may create the same object between our check and our statement.
async function ignoreDuplicate(statement: Promise<unknown>, what: string): Promise<boolean> {
  try {
    await statement;
    return true;
  } catch (error) {
    if ((error as { code?: string }).code === DUPLICATE_OBJECT) return false;
    throw new ChangeFeedSetupError(`${what} failed: ${(error as Error).message}`);
  }
}

/** The slot's lag: WAL bytes written since its confirmed position, and that position; `undefined` if the slot is gone. */
export async function slotLag(client: Client, slot: string): Promise<{ bytes: number; confirmed: string } | undefined> {
  const { rows } = await client.query<{ lag: string | null; confirmed: string | null }>(
    `SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)::text AS lag, confirmed_flush_lsn::text AS confirmed
       FROM pg_replication_slots WHERE slot_name = $1`,
    [slot],
  );
  const { lag, confirmed } = rows[0] ?? {};
  return lag === undefined || lag === null || !confirmed ? undefined : { bytes: Number(lag), confirmed };
}

/**
 * Drops the slot, first ending the connection that holds it (its holder then finds the slot missing,
 * recreates it and clears the namespace); `false` if it was taken again meanwhile (try later).
 */
export async function dropSlot(client: Client, slot: string): Promise<boolean> {
  await client.query('SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE slot_name = $1 AND active_pid IS NOT NULL', [slot]);
  return client.query('SELECT pg_drop_replication_slot($1)', [slot]).then(
    () => true,
    () => false,
  );
}

/** Drops the slot if PostgreSQL invalidated it (`wal_status = 'lost'`, past `max_slot_wal_keep_size`). */
export async function dropLostSlot(client: Client, slot: string): Promise<void> {
  await client.query("SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE slot_name = $1 AND wal_status = 'lost'", [slot]);
}

function quote(identifier: string): string {
  return `"${identifier.replaceAll('"', '""')}"`;
}
