/** A provider that fills the cache, registered with `@CacheWarmer`. */
export interface Warmer {
  /**
   * Fills the cache; decorated calls made here rewrite their entries (refreshing mode). `signal` is
   * aborted when the cycle outlives the warmer's `timeout` or the application shuts down: stop early
   * (pass it on to `fetch`, database drivers...). Until `warm()` returns, no other cycle of this warmer
   * starts on any instance.
   */
  warm(signal: AbortSignal): Promise<void>;
}
