import type { Client } from 'pg';
import { formatLsn, type Lsn } from './lsn.js';
import { PgOutputReader } from './pgoutput.reader.js';
import { encodeStandbyStatus, postgresTimestamp, type ReplicationFrame } from './replication-frame.js';
import { ReplicationStream } from './replication.stream.js';
import type { TableChange } from './table-change.interface.js';
import { tableChangesOf } from './table-change.mapper.js';

/**
 * Delivers one committed transaction's changes (none kept when it had more than
 * {@link MAX_CHANGES_PER_TRANSACTION}: `overflowed`); resolves once their invalidations reached Redis.
 */
export type DeliverTransaction = (changes: TableChange[], overflowed: boolean) => Promise<void>;

/** Changes of one transaction held in memory; past it the transaction is delivered as "too large". */
export const MAX_CHANGES_PER_TRANSACTION = 100_000;

/** Transactions received but not yet delivered above which the socket is paused. */
const HIGH_WATER = 1_000;
const LOW_WATER = 100;

/**
 * One replication connection holding the slot: decodes the stream, delivers each committed transaction
 * in commit order (one at a time), and confirms a transaction's end position to the server only once it
 * was delivered, so a crash replays it instead of losing it.
 */
export class ChangeFeedSession {
  private readonly reader = new PgOutputReader();
  private readonly stream: ReplicationStream;
  private open: { committedAt: Date; changes: TableChange[]; overflowed: boolean } | undefined;
  private delivering: Promise<void> = Promise.resolve();
  private queued = 0;
  private confirmed: Lsn = 0n;
  private statusTimer: NodeJS.Timeout | undefined;
  private ended = false;
  private resolveFinished!: (error: Error | undefined) => void;
  private readonly finished = new Promise<Error | undefined>((resolve) => (this.resolveFinished = resolve));

  constructor(
    private readonly client: Client,
    settings: { slot: string; publication: string; statusInterval: number },
    private readonly deliver: DeliverTransaction,
  ) {
    const command =
      `START_REPLICATION SLOT "${settings.slot}" LOGICAL 0/0 ` + `(proto_version '1', publication_names '"${settings.publication}"')`;
    this.stream = new ReplicationStream(command, { frame: (frame) => this.onFrame(frame), ended: (error) => this.finish(error) });
    this.statusTimer = setInterval(() => this.sendStatus(), settings.statusInterval);
    this.statusTimer.unref();
  }

  /**
   * Starts streaming; `onStarted` runs once the server accepted (the slot is ours). Resolves with the
   * error that ended the session (`undefined` if the server ended it cleanly).
   */
  async run(onStarted: () => void): Promise<Error | undefined> {
    const connection = (this.client as unknown as { connection: NodeJS.EventEmitter }).connection;
    connection.once('replicationStart', onStarted);
    this.client.on('error', (error: Error) => this.finish(error));
    this.client.on('end', () => this.finish(new Error('connection closed')));
    this.client.query(this.stream);
    const error = await this.finished;
    clearInterval(this.statusTimer);
    await this.delivering;
    return error;
  }

  /** Ends the session (the transaction being delivered is not confirmed). */
  stop(): void {
    this.finish();
  }

  /** The position confirmed to the server last. */
  get confirmedLsn(): string {
    return formatLsn(this.confirmed);
  }

  private onFrame(frame: ReplicationFrame): void {
    if (frame.kind === 'keepalive') {
      // NOTE: a keepalive's position is past everything sent before it; with nothing open or queued all of
      // that was delivered, so confirming it lets the server recycle WAL of unpublished tables too.
      if (this.open === undefined && this.queued === 0) this.confirm(frame.walEnd);
      if (frame.replyRequested) this.sendStatus();
      return;
    }
    try {
      this.onMessage(frame.data);
    } catch (error) {
      this.finish(error as Error);
    }
  }

  private onMessage(data: Buffer): void {
    const message = this.reader.read(data);
    if (message.tag === 'begin') {
      this.open = { committedAt: postgresTimestamp(message.committedAt), changes: [], overflowed: false };
      return;
    }
    if (message.tag === 'commit') return this.enqueue(message.endLsn);
    const open = this.open;
    if (!open || open.overflowed) return;
    open.changes.push(...tableChangesOf(message, open.committedAt));
    if (open.changes.length <= MAX_CHANGES_PER_TRANSACTION) return;
    open.overflowed = true;
    open.changes = [];
  }

  private enqueue(endLsn: Lsn): void {
    const { changes = [], overflowed = false } = this.open ?? {};
    this.open = undefined;
    this.queued += 1;
    if (this.queued === HIGH_WATER) this.client.connection.stream.pause();
    this.delivering = this.delivering
      .then(() => (this.ended ? undefined : this.deliver(changes, overflowed)))
      .then(
        () => {
          this.queued -= 1;
          if (this.queued === LOW_WATER) this.client.connection.stream.resume();
          if (this.ended) return;
          this.confirm(endLsn);
          this.sendStatus();
        },
        (error: unknown) => this.finish(error instanceof Error ? error : new Error(String(error))),
      );
  }

  private finish(error?: Error): void {
    if (this.ended) return;
    this.ended = true;
    this.resolveFinished(error);
  }

  private confirm(lsn: Lsn): void {
    if (lsn > this.confirmed) this.confirmed = lsn;
  }

  private sendStatus(): void {
    if (this.confirmed > 0n) this.stream.send(encodeStandbyStatus(this.confirmed));
  }
}
