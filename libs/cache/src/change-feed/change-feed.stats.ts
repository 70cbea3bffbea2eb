/** What the change feed does, read by `CacheStats.snapshot()`, the metrics and the health indicator. */
export class ChangeFeedStats {
  /** `standby` while another instance holds the slot (or the database is unreachable). */
  role: 'standby' | 'active' = 'standby';
  /** Row changes received. */
  changes = 0;
  /** Transactions delivered and confirmed. */
  transactions = 0;
  /** Keys and tags invalidated because of changes. */
  invalidations = 0;
  /** Bytes of WAL the slot retains (polled); `undefined` until known. */
  lagBytes: number | undefined;
  /** Seconds the slot's confirmed position has not moved while it had lag (polled); `0` when caught up. */
  lagSeconds = 0;
  /** Errors by kind: `connection`, `handler`, `lag_query`, `slot_lost`, `lag_exceeded`. */
  readonly errors = new Map<string, number>();
  private confirmed: string | undefined;
  private confirmedMovedAt = 0;

  recordError(kind: 'connection' | 'handler' | 'lag_query' | 'slot_lost' | 'lag_exceeded'): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  /** Records a lag measurement: `confirmed` is the slot's confirmed position. */
  recordLag(bytes: number, confirmed: string, now = Date.now()): void {
    if (confirmed !== this.confirmed || bytes === 0) {
      this.confirmed = confirmed;
      this.confirmedMovedAt = now;
    }
    this.lagBytes = bytes;
    this.lagSeconds = (now - this.confirmedMovedAt) / 1_000;
  }

  snapshot(): Record<string, unknown> {
    return {
      role: this.role,
      changes: this.changes,
      transactions: this.transactions,
      invalidations: this.invalidations,
      lagBytes: this.lagBytes,
      lagSeconds: this.lagSeconds,
      errors: Object.fromEntries(this.errors),
    };
  }
}
