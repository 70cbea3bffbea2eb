/** Injection token of the resolved module options. */
export const CACHE_OPTIONS = Symbol('nestjs-tiered-cache:options');

/** Injection token of the L1 store (a `CacheStore`, or `null` when `l1: false`). */
export const L1_STORE = Symbol('nestjs-tiered-cache:L1_STORE');

/** Injection token of the L2 store (a `CacheStore`, or `null` when `l2: false`). */
export const L2_STORE = Symbol('nestjs-tiered-cache:L2_STORE');

/** Injection token of the user options before validation (for `forRootAsync`). */
export const RAW_CACHE_OPTIONS = Symbol('nestjs-tiered-cache:raw-options');

/** Injection token of the module's own `CacheService`, inside its module (exported as `getCacheToken(name)`). */
export const CACHE_SERVICE = Symbol('nestjs-tiered-cache:service');

/** Injection token of the cache's name, inside its module. */
export const CACHE_NAME = Symbol('nestjs-tiered-cache:name');
