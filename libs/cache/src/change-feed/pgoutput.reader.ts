import type { Lsn } from './lsn.js';

/** A column of a published table, as announced by a Relation message. */
export interface RelationColumn {
  name: string;
  isKey: boolean;
}

/** A published table, as announced by a Relation message. */
export interface Relation {
  id: number;
  schema: string;
  table: string;
  columns: RelationColumn[];
}

/** A tuple: one value per column (`undefined` for an unchanged TOASTed value). */
export type TupleValues = (string | null | undefined)[];

/** The pgoutput (protocol version 1) messages the change feed uses. */
export type PgOutputMessage =
  | { tag: 'begin'; finalLsn: Lsn; committedAt: bigint; xid: number }
  | { tag: 'commit'; commitLsn: Lsn; endLsn: Lsn; committedAt: bigint }
  | { tag: 'relation'; relation: Relation }
  | { tag: 'insert'; relation: Relation; newTuple: TupleValues }
  | { tag: 'update'; relation: Relation; oldTuple?: TupleValues; oldIsKeyOnly: boolean; newTuple: TupleValues }
  | { tag: 'delete'; relation: Relation; oldTuple: TupleValues; oldIsKeyOnly: boolean }
  | { tag: 'truncate'; relations: Relation[] }
  | { tag: 'other' };

/**
 * Decodes pgoutput messages. Keeps the Relation messages it has seen (the server sends one before the
 * first change of a table on each connection, and again when the table changes shape).
 */
export class PgOutputReader {
  private readonly relations = new Map<number, Relation>();

  read(data: Buffer): PgOutputMessage {
    const cursor = new Cursor(data);
    switch (String.fromCharCode(cursor.byte())) {
      case 'B':
        return { tag: 'begin', finalLsn: cursor.int64(), committedAt: cursor.int64(), xid: cursor.int32() };
      case 'C':
        cursor.byte();
        return { tag: 'commit', commitLsn: cursor.int64(), endLsn: cursor.int64(), committedAt: cursor.int64() };
      case 'R':
        return this.readRelation(cursor);
      case 'I':
        return this.readInsert(cursor);
      case 'U':
        return this.readUpdate(cursor);
      case 'D':
        return this.readDelete(cursor);
      case 'T':
        return this.readTruncate(cursor);
      default:
        return { tag: 'other' };
    }
  }

  private readRelation(cursor: Cursor): PgOutputMessage {
    const id = cursor.uint32();
    const schema = cursor.cstring();
    const table = cursor.cstring();
    cursor.byte();
    const count = cursor.int16();
    const columns: RelationColumn[] = [];
    for (let index = 0; index < count; index += 1) {
      const isKey = (cursor.byte() & 1) === 1;
      const name = cursor.cstring();
      cursor.skip(8);
      columns.push({ name, isKey });
    }
    const relation = { id, schema, table, columns };
    this.relations.set(id, relation);
    return { tag: 'relation', relation };
  }

  private readInsert(cursor: Cursor): PgOutputMessage {
    const relation = this.relation(cursor.uint32());
    cursor.byte();
    return { tag: 'insert', relation, newTuple: cursor.tuple() };
  }

  private readUpdate(cursor: Cursor): PgOutputMessage {
    const relation = this.relation(cursor.uint32());
    const marker = String.fromCharCode(cursor.byte());
    if (marker !== 'K' && marker !== 'O') return { tag: 'update', relation, oldIsKeyOnly: false, newTuple: cursor.tuple() };
    const oldTuple = cursor.tuple();
    cursor.byte();
    return { tag: 'update', relation, oldTuple, oldIsKeyOnly: marker === 'K', newTuple: cursor.tuple() };
  }

  private readDelete(cursor: Cursor): PgOutputMessage {
    const relation = this.relation(cursor.uint32());
    const oldIsKeyOnly = String.fromCharCode(cursor.byte()) === 'K';
    return { tag: 'delete', relation, oldTuple: cursor.tuple(), oldIsKeyOnly };
  }

  private readTruncate(cursor: Cursor): PgOutputMessage {
    const count = cursor.int32();
    cursor.byte();
    const relations: Relation[] = [];
    for (let index = 0; index < count; index += 1) relations.push(this.relation(cursor.uint32()));
    return { tag: 'truncate', relations };
  }

  private relation(id: number): Relation {
    const relation = this.relations.get(id);
    if (!relation) throw new Error(`pgoutput: change of relation ${id} before its Relation message`);
    return relation;
  }
}

class Cursor {
  private offset = 0;

  constructor(private readonly data: Buffer) {}

  byte(): number {
    return this.data.readUInt8(this.advance(1));
  }

  int16(): number {
    return this.data.readInt16BE(this.advance(2));
  }

  int32(): number {
    return this.data.readInt32BE(this.advance(4));
  }

  uint32(): number {
    return this.data.readUInt32BE(this.advance(4));
  }

  int64(): bigint {
    return this.data.readBigUInt64BE(this.advance(8));
  }

  skip(length: number): void {
    this.advance(length);
  }

  cstring(): string {
    const end = this.data.indexOf(0, this.offset);
    if (end < 0) throw new RangeError('pgoutput: unterminated string');
    const text = this.data.toString('utf8', this.offset, end);
    this.offset = end + 1;
    return text;
  }

  tuple(): TupleValues {
    const count = this.int16();
    const values: TupleValues = [];
    for (let index = 0; index < count; index += 1) values.push(this.value());
    return values;
  }

  private value(): string | null | undefined {
    const kind = String.fromCharCode(this.byte());
    if (kind === 'n') return null;
    if (kind === 'u') return undefined;
    const length = this.int32();
    const start = this.advance(length);
    return this.data.toString('utf8', start, start + length);
  }

  private advance(length: number): number {
    const start = this.offset;
    if (start + length > this.data.length) throw new RangeError('pgoutput: message truncated');
    this.offset += length;
    return start;
  }
}
