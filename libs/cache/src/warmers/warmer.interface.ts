/** A provider that fills the cache, registered with `@CacheWarmer`. */
export interface Warmer {
  /** Fills the cache; decorated calls made here rewrite their entries (refreshing mode). */
  warm(): Promise<void>;
}
