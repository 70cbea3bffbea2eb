import { SetMetadata, type CustomDecorator, type ExecutionContext } from '@nestjs/common';
import type { Duration } from '../options/duration.parser.js';

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
  return SetMetadata(HTTP_CACHE_KEY_METADATA, key);
}

/**
 * How long a handler's responses stay fresh: milliseconds (as in @nestjs/cache-manager v6+), a duration
 * string (`'30s'`), or a function of the execution context returning either. On a handler or a controller.
 */
export function CacheTTL(ttl: Duration | HttpCacheTtlFactory): CustomDecorator<string> {
  return SetMetadata(HTTP_CACHE_TTL_METADATA, ttl);
}

/**
 * Tags of a handler's cached responses, templates like {@link CacheKey}'s: `@CacheTags('product:{params.id}')`.
 * `invalidateTags('product:13')` or `@CacheEvict({ tags })` then drops the response on every instance.
 */
export function CacheTags(...tags: string[]): CustomDecorator<string> {
  return SetMetadata(HTTP_CACHE_TAGS_METADATA, tags);
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
