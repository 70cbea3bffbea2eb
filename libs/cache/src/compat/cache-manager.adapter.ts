import { isCachedResponse } from '../http/http-cached-response.js';
import { engineOf, type CacheService } from '../cache.service.js';
import type { CacheStore } from '../stores/cache-entry.interface.js';

/** `wrap` options of cache-manager v7: ttl in milliseconds (or of the value), refresh threshold in milliseconds. */
export interface CacheManagerWrapOptions<T> {
  ttl?: number | ((value: T) => number);
  refreshThreshold?: number | ((value: T) => number);
}

/**
 * The cache-manager v7 `Cache` surface that services written for @nestjs/cache-manager use, backed by
 * {@link CacheService}: same tiers, bus, stampede protection and grace. ttls are milliseconds; `0` or
 * none means the module's `defaultTtl`. Values read back are deep-frozen copies (see README).
 */
export interface CacheManagerCompatible {
  get<T>(key: string): Promise<T | undefined>;
  mget<T>(keys: string[]): Promise<Array<T | undefined>>;
  /** When `key` stops being fresh (epoch milliseconds), or `undefined` when it is not cached. */
  ttl(key: string): Promise<number | undefined>;
  set<T>(key: string, value: T, ttl?: number): Promise<T>;
  mset<T>(list: Array<{ key: string; value: T; ttl?: number }>): Promise<Array<{ key: string; value: T; ttl?: number }>>;
  del(key: string): Promise<boolean>;
  mdel(keys: string[]): Promise<boolean>;
  clear(): Promise<boolean>;
  wrap<T>(key: string, fn: () => T | Promise<T>, ttl?: number | ((value: T) => number) | CacheManagerWrapOptions<T>, refreshThreshold?: number): Promise<T>;
  /** The module's namespace. */
  cacheId(): string;
  /** Connections belong to `CacheModule`, which closes them on shutdown; this resolves at once. */
  disconnect(): Promise<undefined>;
}

/** Creates the `CACHE_MANAGER` provider's value. */
export function cacheManagerAdapter(cache: CacheService, l1: CacheStore | null, l2: CacheStore | null): CacheManagerCompatible {
  return {
    get: async <T>(key: string) => bodyOf(await cache.get<T>(key)),
    mget: async <T>(keys: string[]) => (await cache.getMany<T>(keys)).map(bodyOf),
    ttl: (key) => freshUntil(key, l1, l2),
    set: async (key, value, ttl) => {
      await cache.set(key, value, { ttl: ttlOf(ttl) });
      return value;
    },
    mset: async (list) => {
      await cache.setMany(list.map(({ key, value, ttl }) => ({ key, value, ttl: ttlOf(ttl) })));
      return list;
    },
    del: async (key) => {
      await cache.delete(key);
      return true;
    },
    mdel: async (keys) => {
      await cache.delete(...keys);
      return true;
    },
    clear: async () => {
      await cache.clear();
      return true;
    },
    wrap: (key, fn, ttl, refreshThreshold) => wrap(cache, key, fn, ttl, refreshThreshold),
    cacheId: () => cache.namespace,
    disconnect: () => Promise.resolve(undefined),
  };
}

function wrap<T>(
  cache: CacheService,
  key: string,
  fn: () => T | Promise<T>,
  ttlOption: number | ((value: T) => number) | CacheManagerWrapOptions<T> | undefined,
  thresholdOption: number | undefined,
): Promise<T> {
  const options = typeof ttlOption === 'object' ? ttlOption : { ttl: ttlOption, refreshThreshold: thresholdOption };
  if ((options as { raw?: unknown }).raw === true) {
    return Promise.reject(new TypeError(`nestjs-tiered-cache: CACHE_MANAGER.wrap('${key}'): option 'raw' is not supported; use ttl(key) for the expiry`));
  }
  const { ttl, refreshThreshold } = options;
  const fixedTtl = typeof ttl === 'number' ? ttlOf(ttl) : undefined;
  // NOTE: cache-manager refreshes when less than `refreshThreshold` ms of the ttl remain; our refresh
  // ahead takes the fraction of the ttl after which to refresh.
  const refreshAhead =
    typeof refreshThreshold === 'number' && fixedTtl !== undefined && refreshThreshold > 0 && refreshThreshold < fixedTtl
      ? 1 - refreshThreshold / fixedTtl
      : undefined;
  return cache.getOrSet<T>(
    key,
    async (context) => {
      const value = await fn();
      if (typeof ttl === 'function') context.setTtl(ttlOf(ttl(value)) ?? engineOf(cache).defaults.ttl);
      return value;
    },
    { ttl: fixedTtl, refreshAhead },
  );
}

async function freshUntil(key: string, l1: CacheStore | null, l2: CacheStore | null): Promise<number | undefined> {
  const entry = (await l1?.get(key)) ?? (await l2?.get(key).catch(() => undefined));
  return entry !== undefined && entry.freshUntil > Date.now() ? entry.freshUntil : undefined;
}

/** cache-manager's "no ttl" (`undefined` or `0`) is the module's default here. */
function ttlOf(ttl: number | undefined): number | undefined {
  return ttl === undefined || ttl <= 0 ? undefined : ttl;
}

/** A response cached by the HTTP interceptor reads as its body, as @nestjs/cache-manager stored it. */
function bodyOf<T>(value: T | undefined): T | undefined {
  return isCachedResponse(value) ? (value.body as T) : value;
}
