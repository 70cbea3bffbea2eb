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
  /** Errors by kind: `connection`, `handler`, `stream`, `lag_query`. */
  readonly errors = new Map<string, number>();

  recordError(kind: 'connection' | 'handler' | 'stream' | 'lag_query'): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  snapshot(): Record<string, unknown> {
    return {
      role: this.role,
      changes: this.changes,
      transactions: this.transactions,
      invalidations: this.invalidations,
      lagBytes: this.lagBytes,
      errors: Object.fromEntries(this.errors),
    };
  }
}
