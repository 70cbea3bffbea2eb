// NOTE: one entry per key whose loader failed recently; past this bound the oldest are forgotten, which
// only lets their next call try the loader early.
const MAX_THROTTLED_KEYS = 10_000;

interface Window {
  until: number;
  /** Created-at of the stale value served when the loader failed. */
  createdAt: number;
}

/**
 * Keys whose loader failed within grace, and until when their stale value is served without calling
 * the loader again (`failureThrottle`). Per instance; bounded. A value written since the failure (here or
 * by another instance) ends the window: the stale candidate is then a newer one.
 */
export class FailureThrottle {
  private readonly windows = new Map<string, Window>();

  /** Whether `key`'s loader failed less than its throttle ago, with `createdAt` the stale value it fell back to. */
  holds(key: string, createdAt: number): boolean {
    if (this.windows.size === 0) return false;
    const window = this.windows.get(key);
    if (window === undefined) return false;
    if (window.until > Date.now() && window.createdAt === createdAt) return true;
    this.windows.delete(key);
    return false;
  }

  /** Starts `key`'s window of `duration` ms after a failed load that fell back to the value created at `createdAt`. */
  start(key: string, duration: number, createdAt: number): void {
    if (duration <= 0) return;
    this.windows.delete(key);
    this.windows.set(key, { until: Date.now() + duration, createdAt });
    if (this.windows.size > MAX_THROTTLED_KEYS) this.windows.delete(this.windows.keys().next().value!);
  }
}
