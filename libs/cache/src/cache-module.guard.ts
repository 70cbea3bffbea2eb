import type { ModulesContainer } from '@nestjs/core';
import { RAW_CACHE_OPTIONS } from './cache.constants.js';
import { CacheService } from './cache.service.js';

/**
 * Fails startup when one application registers `CacheModule` more than once: decorated methods find
 * their cache per application, so a second cache would silently take over the first one's methods.
 */
// NOTE: checked while options are resolved, before any connection is opened.
export function assertSingleCacheModule(modules: ModulesContainer): void {
  const caches = [...modules.values()].filter((module) => module.providers.has(CacheService));
  if (caches.length <= 1) return;
  const namespaces = caches.map((module) => {
    const options = module.providers.get(RAW_CACHE_OPTIONS)?.instance as { namespace?: unknown } | undefined;
    return typeof options?.namespace === 'string' ? `'${options.namespace}'` : '(async options)';
  });
  throw new Error(
    `nestjs-tiered-cache: CacheModule is registered ${caches.length} times in one application (namespaces ${namespaces.join(', ')}); ` +
      'register it once (isGlobal: true, or in one module that exports it); several caches per application are not supported yet',
  );
}
