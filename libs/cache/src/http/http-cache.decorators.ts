import { SetMetadata, type CustomDecorator, type ExecutionContext } from '@nestjs/common';
import { parseDuration, type Duration } from '../options/duration.parser.js';
import { compileRequestKey } from './http-cache.key.js';

// NOTE: the same metadata keys as @nestjs/cache-manager, so a handler still decorated with their
// `@CacheKey`/`@CacheTTL` during a migration is read the same way by our interceptor.
/** Metadata key of {@link CacheKey}. */
export const HTTP_CACHE_KEY_METADATA = 'cache_module:cache_key';
/** Metadata key of {@link CacheTTL}. */
export const HTTP_CACHE_TTL_METADATA = 'cache_module:cache_ttl';
/** Metadata key of {@link CacheTags}. */
export const HTTP_CACHE_TAGS_METADATA = 'nestjs-tiered-cache:http_tags';
/** Metadata key of {@link NoCache}. */
export const HTTP_NO_CACHE_METADATA = 'nestjs-tiered-cache:http_no_cache';
/** Metadata key of {@link CacheVary}. */
export const HTTP_CACHE_VARY_METADATA = 'nestjs-tiered-cache:http_vary';
/** Metadata key of {@link CacheNotFound}. */
export const HTTP_CACHE_NOT_FOUND_METADATA = 'nestjs-tiered-cache:http_not_found';

/** A key computed from the request; `undefined` (or an empty string) leaves the request uncached. */
export type HttpCacheKeyFactory = (context: ExecutionContext) => string | undefined | Promise<string | undefined>;
/** A ttl computed from the request, in milliseconds or as a duration string. */
export type HttpCacheTtlFactory = (context: ExecutionContext) => Duration | Promise<Duration>;

/**
 * The cache key of a handler's responses: a template such as `'product:{params.id}'`, `'list:{query.page}'`,
 * `'{headers.accept-language}'`, `'me:{user.id}'` (each placeholder is escaped), or a function of the
 * execution context (the @nestjs/cache-manager signature). A key that uses `{user.*}`,
 * `{headers.authorization}` or `{headers.cookie}` opts the handler into caching authenticated requests.
 */
export function CacheKey(key: string | HttpCacheKeyFactory): CustomDecorator<string> {
  return checkedMetadata(HTTP_CACHE_KEY_METADATA, key, (where) => {
    if (typeof key === 'string') compileRequestKey(key, where);
    else if (typeof key !== 'function') throw new TypeError(`nestjs-tiered-cache: @CacheKey on ${where} needs a template or a function`);
  });
}

/**
 * How long a handler's responses stay fresh: milliseconds (as in @nestjs/cache-manager v6+), a duration
 * string (`'30s'`), or a function of the execution context returning either. On a handler or a controller.
 */
export function CacheTTL(ttl: Duration | HttpCacheTtlFactory): CustomDecorator<string> {
  return checkedMetadata(HTTP_CACHE_TTL_METADATA, ttl, (where) => {
    if (typeof ttl !== 'function') parseDuration(ttl, `@CacheTTL on ${where}`);
  });
}

/**
 * Tags of a handler's cached responses, templates like {@link CacheKey}'s: `@CacheTags('product:{params.id}')`.
 * `invalidateTags('product:13')` or `@CacheEvict({ tags })` then drops the response on every instance.
 */
export function CacheTags(...tags: string[]): CustomDecorator<string> {
  return checkedMetadata(HTTP_CACHE_TAGS_METADATA, tags, (where) => {
    for (const tag of tags) compileRequestKey(tag, where);
  });
}

/** Opts a handler (or a controller) out of an `HttpCacheInterceptor` bound to its controller or globally. */
export function NoCache(): CustomDecorator<string> {
  return SetMetadata(HTTP_NO_CACHE_METADATA, true);
}

/** Request headers whose value is part of the key, like HTTP `Vary`: `@CacheVary('accept-language')`. */
export function CacheVary(...headers: string[]): CustomDecorator<string> {
  return SetMetadata(
    HTTP_CACHE_VARY_METADATA,
    headers.map((header) => header.toLowerCase()),
  );
}

/**
 * Also caches a `404 Not Found` thrown by the handler, for `ttl` (default 10 s, at most 5 minutes): a
 * missing resource asked for again and again stops reaching the loader.
 */
export function CacheNotFound(ttl: Duration = '10s'): CustomDecorator<string> {
  return SetMetadata(HTTP_CACHE_NOT_FOUND_METADATA, ttl);
}

/**
 * `SetMetadata` that first checks its value, so a malformed template or ttl fails when the class is
 * defined (at startup), with an error naming the handler, instead of on its first request.
 */
function checkedMetadata<T>(metadataKey: string, value: T, check: (where: string) => void): CustomDecorator<string> {
  const apply = SetMetadata(metadataKey, value);
  const decorator = (target: object, property?: string | symbol, descriptor?: PropertyDescriptor) => {
    const owner = typeof target === 'function' ? target.name : target.constructor.name;
    check(property === undefined ? owner : `${owner}.${String(property)}`);
    return descriptor === undefined ? apply(target as () => void) : apply(target, property as string | symbol, descriptor);
  };
  decorator.KEY = metadataKey;
  return decorator as CustomDecorator<string>;
}
