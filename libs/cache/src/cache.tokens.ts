import type { DiscoveryService } from '@nestjs/core';
import { CACHE_NAME, CACHE_OPTIONS } from './cache.constants.js';
import { DEFAULT_CACHE_NAME } from './options/cache-name.js';
import { CacheService } from './cache.service.js';
import { CacheHealthIndicator } from './health/cache-health.indicator.js';
import { WriteBehindQueue } from './write-behind/write-behind.queue.js';

// NOTE: the default cache keeps the class tokens (`CacheService`, `CACHE_OPTIONS`, `CacheHealthIndicator`),
// so applications with one cache inject as before; a named cache is reached by string tokens only, so it
// can never answer for the default one.

/** Injection token of a named cache's `CacheService` (`CacheService` itself for the default cache). */
export function getCacheToken(name: string = DEFAULT_CACHE_NAME): string | typeof CacheService {
  return name === DEFAULT_CACHE_NAME ? CacheService : `nestjs-tiered-cache:${name}:CacheService`;
}

/** Injection token of a named cache's resolved options (`CACHE_OPTIONS` for the default cache). */
export function getCacheOptionsToken(name: string = DEFAULT_CACHE_NAME): string | symbol {
  return name === DEFAULT_CACHE_NAME ? CACHE_OPTIONS : `nestjs-tiered-cache:${name}:options`;
}

/** Injection token of a named cache's `CacheHealthIndicator` (the class itself for the default cache). */
export function getCacheHealthToken(name: string = DEFAULT_CACHE_NAME): string | typeof CacheHealthIndicator {
  return name === DEFAULT_CACHE_NAME ? CacheHealthIndicator : `nestjs-tiered-cache:${name}:CacheHealthIndicator`;
}

/** Injection token of a named cache's `WriteBehindQueue` (the class itself for the default cache). */
export function getWriteBehindQueueToken(name: string = DEFAULT_CACHE_NAME): string | typeof WriteBehindQueue {
  return name === DEFAULT_CACHE_NAME ? WriteBehindQueue : `nestjs-tiered-cache:${name}:WriteBehindQueue`;
}

/** The names of the caches an application registers. */
export function registeredCacheNames(discovery: DiscoveryService): Set<string> {
  return new Set(discovery.getProviders().flatMap((wrapper) => (wrapper.token === CACHE_NAME ? [wrapper.instance as string] : [])));
}
