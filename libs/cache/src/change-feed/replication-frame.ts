import type { Lsn } from './lsn.js';

/** Microseconds between the Unix epoch and PostgreSQL's (2000-01-01). */
const POSTGRES_EPOCH_MICROS = 946_684_800_000_000n;

/** One CopyData payload of a replication stream. */
export type ReplicationFrame =
  | { kind: 'xlog'; walStart: Lsn; walEnd: Lsn; data: Buffer }
  | { kind: 'keepalive'; walEnd: Lsn; replyRequested: boolean };

/** Decodes the framing of a CopyData payload sent by the server; `undefined` for anything else. */
export function decodeReplicationFrame(chunk: Buffer): ReplicationFrame | undefined {
  const tag = chunk[0];
  if (tag === 0x77 /* 'w' */ && chunk.length >= 25) {
    return { kind: 'xlog', walStart: chunk.readBigUInt64BE(1), walEnd: chunk.readBigUInt64BE(9), data: chunk.subarray(25) };
  }
  if (tag === 0x6b /* 'k' */ && chunk.length >= 18) {
    return { kind: 'keepalive', walEnd: chunk.readBigUInt64BE(1), replyRequested: chunk[17] === 1 };
  }
  return undefined;
}

/** Standby status update: everything up to `flushed` is processed and may be released by the server. */
export function encodeStandbyStatus(flushed: Lsn, now = Date.now()): Buffer {
  const buffer = Buffer.alloc(34);
  buffer[0] = 0x72; // 'r'
  buffer.writeBigUInt64BE(flushed, 1);
  buffer.writeBigUInt64BE(flushed, 9);
  buffer.writeBigUInt64BE(flushed, 17);
  buffer.writeBigInt64BE(BigInt(now) * 1000n - POSTGRES_EPOCH_MICROS, 25);
  buffer[33] = 0;
  return buffer;
}

/** A pgoutput timestamp (microseconds since 2000-01-01) as a Date. */
export function postgresTimestamp(micros: bigint): Date {
  return new Date(Number((micros + POSTGRES_EPOCH_MICROS) / 1000n));
}
