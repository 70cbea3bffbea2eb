/** Column values as PostgreSQL prints them (text); `null` for SQL NULL. Unchanged TOASTed values are absent. */
export type ChangedRow = Readonly<Record<string, string | null>>;

/** One row change committed in PostgreSQL, as delivered to an `@OnTableChange` handler. */
export interface TableChange {
  operation: 'insert' | 'update' | 'delete' | 'truncate';
  schema: string;
  table: string;
  /**
   * Key columns (the table's replica identity, usually its primary key) of the row: after the change for
   * insert and update, of the removed row for delete; empty for truncate.
   */
  key: ChangedRow;
  /**
   * Key columns before an update that changed them (or before any update with `REPLICA IDENTITY FULL`);
   * `undefined` when the key did not change.
   */
  previousKey?: ChangedRow;
  /** The new row (insert, update). */
  row?: ChangedRow;
  /** The whole old row, only with `REPLICA IDENTITY FULL` (update, delete). */
  oldRow?: ChangedRow;
  /** When the transaction committed. */
  committedAt: Date;
}

/** What an `@OnTableChange` handler returns: keys and tags to invalidate (or nothing, if it did it itself). */
export interface ChangeInvalidation {
  keys?: readonly string[];
  tags?: readonly string[];
}

/** A method decorated with `@OnTableChange`. */
export type TableChangeHandler = (change: TableChange) => ChangeInvalidation | void | Promise<ChangeInvalidation | void>;
