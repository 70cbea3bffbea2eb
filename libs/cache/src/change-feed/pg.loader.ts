import type pg from 'pg';

/** The `pg` module, imported on first use so an app without a change feed never loads it. */
export type PgModule = typeof pg;

let loading: Promise<PgModule> | undefined;

/** Imports `pg`; rejects with an install hint when it is missing. */
export function loadPg(): Promise<PgModule> {
  loading ??= import('pg').then(
    (module: { default?: PgModule } & PgModule) => module.default ?? module,
    (error: unknown) => {
      loading = undefined;
      throw new Error(`nestjs-tiered-cache: changeFeed needs the 'pg' package (npm install pg): ${error instanceof Error ? error.message : String(error)}`);
    },
  );
  return loading;
}
