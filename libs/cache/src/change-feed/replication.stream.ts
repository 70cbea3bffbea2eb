import type { Submittable } from 'pg';
import { decodeReplicationFrame, type ReplicationFrame } from './replication-frame.js';

/** The parts of `pg`'s connection a COPY BOTH stream needs (`sendCopyFromChunk` is not in its typings). */
interface CopyBothConnection {
  query(text: string): void;
  sendCopyFromChunk(chunk: Buffer): void;
}

/** What the stream reports to its session. */
export interface ReplicationStreamListener {
  frame(frame: ReplicationFrame): void;
  /** The command ended: with the server's error (e.g. the slot is held elsewhere), or without one. */
  ended(error?: Error): void;
}

/**
 * `START_REPLICATION` run through `pg`'s query queue as a custom submittable: `pg` parses the
 * CopyBothResponse and hands each CopyData to {@link handleCopyData}; status updates go back as CopyData.
 */
export class ReplicationStream implements Submittable {
  private connection: CopyBothConnection | undefined;
  private done = false;

  constructor(
    private readonly command: string,
    private readonly listener: ReplicationStreamListener,
  ) {}

  submit(connection: unknown): void {
    this.connection = connection as CopyBothConnection;
    this.connection.query(this.command);
  }

  /** Sends a CopyData payload (a standby status update) to the server. */
  send(payload: Buffer): void {
    if (!this.done) this.connection?.sendCopyFromChunk(payload);
  }

  handleCopyData(message: { chunk: Buffer }): void {
    const frame = decodeReplicationFrame(message.chunk);
    if (frame) this.listener.frame(frame);
  }

  handleError(error: Error): void {
    this.end(error);
  }

  handleReadyForQuery(): void {
    this.end();
  }

  handleCommandComplete(): void {}
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
  handleCopyInResponse(): void {}

  private end(error?: Error): void {
    if (this.done) return;
    this.done = true;
    this.listener.ended(error);
  }
}
