import { formatLsn, parseLsn } from './lsn.js';
import { PgOutputReader } from './pgoutput.reader.js';
import { decodeReplicationFrame, encodeStandbyStatus } from './replication-frame.js';
import { tableChangesOf } from './table-change.mapper.js';

/** Builds protocol bytes the way the server writes them. */
class Bytes {
  private readonly parts: Buffer[] = [];
  char(value: string): this {
    return this.push(Buffer.from(value, 'latin1'));
  }
  int8(value: number): this {
    return this.push(Buffer.from([value]));
  }
  int16(value: number): this {
    const buffer = Buffer.alloc(2);
    buffer.writeInt16BE(value);
    return this.push(buffer);
  }
  int32(value: number): this {
    const buffer = Buffer.alloc(4);
    buffer.writeInt32BE(value);
    return this.push(buffer);
  }
  int64(value: bigint): this {
    const buffer = Buffer.alloc(8);
    buffer.writeBigUInt64BE(value);
    return this.push(buffer);
  }
  cstring(value: string): this {
    return this.push(Buffer.from(`${value}\0`));
  }
  tuple(values: (string | null | undefined)[]): this {
    this.int16(values.length);
    for (const value of values) {
      if (value === null) this.char('n');
      else if (value === undefined) this.char('u');
      else this.char('t').int32(Buffer.byteLength(value)).push(Buffer.from(value));
    }
    return this;
  }
  build(): Buffer {
    return Buffer.concat(this.parts);
  }
  private push(buffer: Buffer): this {
    this.parts.push(buffer);
    return this;
  }
}

const relation = new Bytes()
  .char('R')
  .int32(16_384)
  .cstring('public')
  .cstring('products')
  .char('d')
  .int16(3)
  .int8(1).cstring('id').int32(23).int32(-1)
  .int8(0).cstring('name').int32(25).int32(-1)
  .int8(0).cstring('price').int32(23).int32(-1)
  .build();
const committedAt = new Date('2026-01-02T03:04:05.000Z');

function readerWithRelation(): PgOutputReader {
  const reader = new PgOutputReader();
  reader.read(relation);
  return reader;
}

describe('pgoutput reader', () => {
  it('reads Begin and Commit positions', () => {
    const reader = new PgOutputReader();
    expect(reader.read(new Bytes().char('B').int64(0x10n).int64(5n).int32(42).build())).toEqual({ tag: 'begin', finalLsn: 0x10n, committedAt: 5n, xid: 42 });
    expect(reader.read(new Bytes().char('C').int8(0).int64(0x10n).int64(0x20n).int64(5n).build())).toEqual({
      tag: 'commit',
      commitLsn: 0x10n,
      endLsn: 0x20n,
      committedAt: 5n,
    });
  });

  it('maps an insert to its key and row, with NULL and unchanged TOAST values', () => {
    const message = readerWithRelation().read(new Bytes().char('I').int32(16_384).char('N').tuple(['7', null, '12']).build());
    expect(tableChangesOf(message, committedAt)).toEqual([
      { schema: 'public', table: 'products', operation: 'insert', key: { id: '7' }, row: { id: '7', name: null, price: '12' }, committedAt },
    ]);
    const toast = readerWithRelation().read(new Bytes().char('U').int32(16_384).char('N').tuple(['7', undefined, '13']).build());
    expect(tableChangesOf(toast, committedAt)[0]).toMatchObject({ operation: 'update', key: { id: '7' }, row: { id: '7', price: '13' } });
  });

  it('reports the previous key of an update that changed it, and the key of a deleted row', () => {
    const reader = readerWithRelation();
    const update = reader.read(new Bytes().char('U').int32(16_384).char('K').tuple(['7', null, null]).char('N').tuple(['8', 'x', '1']).build());
    expect(tableChangesOf(update, committedAt)[0]).toMatchObject({ key: { id: '8' }, previousKey: { id: '7' }, oldRow: undefined });
    const deleted = reader.read(new Bytes().char('D').int32(16_384).char('K').tuple(['8', null, null]).build());
    expect(tableChangesOf(deleted, committedAt)).toEqual([
      { schema: 'public', table: 'products', operation: 'delete', key: { id: '8' }, oldRow: undefined, committedAt },
    ]);
  });

  it('reads a truncate of several tables, and rejects a change of an unknown relation', () => {
    const reader = readerWithRelation();
    const truncate = reader.read(new Bytes().char('T').int32(1).int8(0).int32(16_384).build());
    expect(tableChangesOf(truncate, committedAt)).toEqual([{ schema: 'public', table: 'products', operation: 'truncate', key: {}, committedAt }]);
    expect(() => new PgOutputReader().read(new Bytes().char('I').int32(1).char('N').tuple(['1']).build())).toThrow(/relation 1/);
    expect(() => reader.read(new Bytes().char('I').int32(16_384).char('N').int16(1).char('t').int32(50).build())).toThrow(/truncated/);
  });
});

describe('replication framing', () => {
  it('decodes XLogData and keepalives, and encodes standby status updates', () => {
    const xlog = new Bytes().char('w').int64(1n).int64(2n).int64(3n).char('B').build();
    expect(decodeReplicationFrame(xlog)).toEqual({ kind: 'xlog', walStart: 1n, walEnd: 2n, data: Buffer.from('B') });
    expect(decodeReplicationFrame(new Bytes().char('k').int64(9n).int64(0n).int8(1).build())).toEqual({ kind: 'keepalive', walEnd: 9n, replyRequested: true });
    const status = encodeStandbyStatus(parseLsn('16/B374D848'), Date.UTC(2000, 0, 1, 0, 0, 1));
    expect(status[0]).toBe(0x72);
    expect(formatLsn(status.readBigUInt64BE(9))).toBe('16/B374D848');
    expect(status.readBigInt64BE(25)).toBe(1_000_000n);
  });
});
