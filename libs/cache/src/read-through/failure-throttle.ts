// NOTE: one entry per key whose loader failed recently; past this bound the oldest are forgotten, which
// only lets their next call try the loader early.
const MAX_THROTTLED_KEYS = 10_000;

/**
 * Keys whose loader failed within grace, and until when their stale value is served without calling
 * the loader again (`failureThrottle`). Per instance; bounded.
 */
export class FailureThrottle {
  private readonly until = new Map<string, number>();

  /** Whether `key`'s loader failed less than its throttle ago. */
  holds(key: string): boolean {
    if (this.until.size === 0) return false;
    const until = this.until.get(key);
    if (until === undefined) return false;
    if (until > Date.now()) return true;
    this.until.delete(key);
    return false;
  }

  /** Starts (or restarts) `key`'s window of `duration` ms after a failed load. */
  start(key: string, duration: number): void {
    if (duration <= 0) return;
    this.until.delete(key);
    this.until.set(key, Date.now() + duration);
    if (this.until.size > MAX_THROTTLED_KEYS) this.until.delete(this.until.keys().next().value!);
  }

  /** Ends `key`'s window: a fresh value is there. */
  end(key: string): void {
    if (this.until.size > 0) this.until.delete(key);
  }
}
