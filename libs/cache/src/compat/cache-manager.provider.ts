import type { Provider } from '@nestjs/common';
import { CACHE_SERVICE, L1_STORE, L2_STORE } from '../cache.constants.js';
import { cacheManagerAdapter } from './cache-manager.adapter.js';
import { CACHE_MANAGER } from './cache-manager.token.js';

/** Registered by `CacheModule`: services written for @nestjs/cache-manager inject it unchanged. */
export const CACHE_MANAGER_PROVIDER: Provider = {
  provide: CACHE_MANAGER,
  useFactory: cacheManagerAdapter,
  inject: [CACHE_SERVICE, L1_STORE, L2_STORE],
};
