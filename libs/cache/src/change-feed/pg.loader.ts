import type pg from 'pg';
import { loadOptionalPeer } from '../peers/optional-peer.loader.js';

/** The `pg` module, imported on first use so an app without a change feed never loads it. */
export type PgModule = typeof pg;

/** Imports `pg`; a `MissingPeerDependencyError` when it is not installed. */
export async function loadPg(): Promise<PgModule> {
  // NOTE: `pg` is CommonJS: its API is the default export of the ESM namespace.
  const module = await loadOptionalPeer<{ default?: PgModule } & PgModule>('pg', 'changeFeed');
  return module.default ?? module;
}
