/** One PUT of a price: the instance it went to, when it was sent and when its response arrived (`Infinity` while in flight). */
export interface PutRecord {
  instance: string;
  sentAt: number;
  resolvedAt: number;
}

/** Prices the bench writes start here; seeded prices are all below it, so a price names its origin. */
export const FIRST_WRITTEN_PRICE = 1_000;

/**
 * Finds stale reads. A read returns a price written by some PUT X (or the seed). It is stale when another
 * PUT Y of the same product was sent after X had resolved (so Y was applied after X) and Y had resolved
 * before the read was sent. Its window is how long before the read the first such Y had resolved.
 * Counted apart: stale reads from the instance that served Y (`sameInstanceStaleReads`, which read-your-writes
 * forbids) and from another instance (`staleReads`, which only the invalidation bus prevents).
 * Times are `performance.now()` of this process.
 */
export class StaleReadTracker {
  private nextPrice = FIRST_WRITTEN_PRICE;
  private readonly putsByPrice = new Map<number, PutRecord>();
  private readonly putsById = new Map<number, PutRecord[]>();
  checking = false;
  staleReads = 0;
  sameInstanceStaleReads = 0;
  longestWindowMs = 0;
  /** What the longest window was seen on: `GET /products/13` or `list category-13`. */
  longestWindowRead = '';

  /** A price no PUT has used yet. */
  newPrice(): number {
    return (this.nextPrice += 1);
  }

  /** Records a PUT about to be sent. */
  sent(instance: string, id: number, price: number, sentAt: number): PutRecord {
    const record: PutRecord = { instance, sentAt, resolvedAt: Infinity };
    this.putsByPrice.set(price, record);
    const puts = this.putsById.get(id);
    if (puts) puts.push(record);
    else this.putsById.set(id, [record]);
    return record;
  }

  /** Checks one product of a response from `instance` to a read (`what`, for the report) sent at `sentAt`. */
  check(instance: string, what: string, id: number, price: number, sentAt: number): void {
    if (!this.checking) return;
    const puts = this.putsById.get(id);
    if (!puts) return;
    const origin = price >= FIRST_WRITTEN_PRICE ? this.putsByPrice.get(price) : undefined;
    const originResolvedAt = origin ? origin.resolvedAt : -Infinity;
    let firstSuperseded = Infinity;
    let sameInstance = false;
    for (const put of puts) {
      if (put.sentAt <= originResolvedAt || put.resolvedAt >= sentAt) continue;
      firstSuperseded = Math.min(firstSuperseded, put.resolvedAt);
      sameInstance ||= put.instance === instance;
    }
    if (firstSuperseded === Infinity) return;
    if (sameInstance) {
      this.sameInstanceStaleReads += 1;
      return;
    }
    this.staleReads += 1;
    if (sentAt - firstSuperseded <= this.longestWindowMs) return;
    this.longestWindowMs = sentAt - firstSuperseded;
    this.longestWindowRead = `${what}, product ${id}`;
  }

  /** Starts counting stale reads from zero. */
  startChecking(): void {
    this.checking = true;
    this.staleReads = 0;
    this.sameInstanceStaleReads = 0;
    this.longestWindowMs = 0;
    this.longestWindowRead = '';
  }
}
