import type { PgOutputMessage, Relation, TupleValues } from './pgoutput.reader.js';
import type { ChangedRow, TableChange } from './table-change.interface.js';

/** The row changes a pgoutput message carries (none for Begin, Commit, Relation and others). */
export function tableChangesOf(message: PgOutputMessage, committedAt: Date): TableChange[] {
  switch (message.tag) {
    case 'insert':
      return [{ ...names(message.relation), operation: 'insert', key: keyOf(message.relation, message.newTuple), row: rowOf(message.relation, message.newTuple), committedAt }];
    case 'update':
      return [updateOf(message.relation, message.newTuple, message.oldTuple, message.oldIsKeyOnly, committedAt)];
    case 'delete':
      return [
        {
          ...names(message.relation),
          operation: 'delete',
          key: keyOf(message.relation, message.oldTuple),
          oldRow: message.oldIsKeyOnly ? undefined : rowOf(message.relation, message.oldTuple),
          committedAt,
        },
      ];
    case 'truncate':
      return message.relations.map((relation) => ({ ...names(relation), operation: 'truncate', key: {}, committedAt }));
    default:
      return [];
  }
}

function updateOf(relation: Relation, newTuple: TupleValues, oldTuple: TupleValues | undefined, oldIsKeyOnly: boolean, committedAt: Date): TableChange {
  const row = rowOf(relation, newTuple);
  const key = keyOf(relation, newTuple);
  const change: TableChange = { ...names(relation), operation: 'update', key, row, committedAt };
  if (oldTuple === undefined) return change;
  const previousKey = keyOf(relation, oldTuple);
  return {
    ...change,
    previousKey: sameRow(previousKey, key) ? undefined : previousKey,
    oldRow: oldIsKeyOnly ? undefined : rowOf(relation, oldTuple),
  };
}

function names(relation: Relation): { schema: string; table: string } {
  return { schema: relation.schema, table: relation.table };
}

function rowOf(relation: Relation, tuple: TupleValues): ChangedRow {
  const row: Record<string, string | null> = {};
  relation.columns.forEach((column, index) => {
    const value = tuple[index];
    if (value !== undefined) row[column.name] = value;
  });
  return row;
}

function keyOf(relation: Relation, tuple: TupleValues): ChangedRow {
  const key: Record<string, string | null> = {};
  relation.columns.forEach((column, index) => {
    const value = tuple[index];
    if (column.isKey && value !== undefined) key[column.name] = value;
  });
  return key;
}

function sameRow(a: ChangedRow, b: ChangedRow): boolean {
  const names = Object.keys(a);
  return names.length === Object.keys(b).length && names.every((name) => a[name] === b[name]);
}
