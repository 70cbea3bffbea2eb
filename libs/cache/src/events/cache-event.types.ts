import type { CacheLayer } from '../stores/cache-entry.interface.js';

/** What was invalidated: keys, tags or the whole namespace; `soft` when marked stale instead of removed. */
export interface InvalidatedEvent {
  keys: readonly string[];
  tags: readonly string[];
  clear: boolean;
  soft: boolean;
  /** `true` when another instance sent it over the bus. */
  remote: boolean;
}

/** Every event of {@link CacheEvents} and its payload. Keys are namespace-relative. */
export interface CacheEventMap {
  /** A fresh value was found in `layer`. */
  hit: { key: string; layer: CacheLayer };
  /** No fresh value in `layer` (one event per layer consulted, as `cache_misses_total` counts). */
  miss: { key: string; layer: CacheLayer };
  /** A stale value was served within grace, because the loader failed, timed out, is throttled or runs elsewhere. */
  stale: { key: string; reason: string };
  /** A loader returned a value after `duration` ms. */
  loaded: { key: string; duration: number };
  /** Keys, tags or the namespace were invalidated, here or by another instance. */
  invalidated: InvalidatedEvent;
  /** A message from another instance arrived on the invalidation bus (`version`: its wire format). */
  'bus-message': { sender: string; version: number };
  /** The L2 circuit breaker opened: Redis calls are skipped until it answers again. */
  'breaker-open': { layer: 'l2' };
  /** The L2 circuit breaker closed again; `skippedCalls` were not sent meanwhile. */
  'breaker-closed': { layer: 'l2'; skippedCalls: number };
}

/** The name of a cache event. */
export type CacheEventName = keyof CacheEventMap;

/** A listener of event `E`; what it returns is ignored (a rejected Promise is logged). */
export type CacheEventListener<E extends CacheEventName> = (event: CacheEventMap[E]) => unknown;
