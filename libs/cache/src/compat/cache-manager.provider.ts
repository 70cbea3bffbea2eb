import type { Provider } from '@nestjs/common';
import { L1_STORE, L2_STORE } from '../cache.constants.js';
import { CacheService } from '../cache.service.js';
import { cacheManagerAdapter } from './cache-manager.adapter.js';
import { CACHE_MANAGER } from './cache-manager.token.js';

/** Registered by `CacheModule`: services written for @nestjs/cache-manager inject it unchanged. */
export const CACHE_MANAGER_PROVIDER: Provider = {
  provide: CACHE_MANAGER,
  useFactory: cacheManagerAdapter,
  inject: [CacheService, L1_STORE, L2_STORE],
};
