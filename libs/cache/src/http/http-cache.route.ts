import type { ExecutionContext } from '@nestjs/common';
import type { Reflector } from '@nestjs/core';
import { MAX_DURATION, parseDuration, type Duration } from '../options/duration.parser.js';
import {
  HTTP_CACHE_KEY_METADATA,
  HTTP_CACHE_NOT_FOUND_METADATA,
  HTTP_CACHE_TAGS_METADATA,
  HTTP_CACHE_TTL_METADATA,
  HTTP_CACHE_VARY_METADATA,
  HTTP_NO_CACHE_METADATA,
  type HttpCacheKeyFactory,
  type HttpCacheTtlFactory,
} from './http-cache.decorators.js';
import { compileRequestKey, type RequestKeyBuilder } from './http-cache.key.js';
import type { HeaderPolicy } from './http-cache.headers.js';
import type { HttpRequestLike } from './http-cache.platform.js';

/** The longest ttl `@CacheNotFound` accepts: a not-found answer must not outlive the resource's creation for long. */
const LONGEST_NOT_FOUND_TTL = 300_000;

/** A handler's HTTP cache settings, compiled once from its decorators. */
export interface HttpCacheRoute extends HeaderPolicy {
  /** `Controller.handler`, for warnings and errors. */
  readonly name: string;
  readonly disabled: boolean;
  /** The handler takes `@Res()`/`@Next()`: Nest does not send its result, so nothing can be cached. */
  readonly usesResponse: boolean;
  /** The key builder of a `@CacheKey` template, or `undefined` for a factory or `trackBy`. */
  readonly key: RequestKeyBuilder | undefined;
  /** A `@CacheKey` function of the context. */
  readonly keyFactory: HttpCacheKeyFactory | undefined;
  /** Whether the key names the user (authenticated requests may then be cached, privately). */
  readonly perUser: boolean;
  /** Whether the key or ttl needs an async factory per request. */
  readonly dynamic: boolean;
  readonly ttl: number | undefined;
  readonly ttlFactory: HttpCacheTtlFactory | undefined;
  /** The tags of a request, or `undefined` when one of them has no value (the response is then not cached). */
  readonly tags: (request: HttpRequestLike) => string[] | undefined;
  readonly vary: readonly string[];
  readonly notFoundTtl: number | undefined;
}

/** Reads and checks a handler's decorators (handler first, then controller); errors name the handler. */
export function compileRoute(context: ExecutionContext, reflector: Reflector, usesResponse: boolean): HttpCacheRoute {
  const targets = [context.getHandler(), context.getClass()];
  const name = `${context.getClass().name}.${context.getHandler().name}`;
  const read = <T>(metadataKey: string): T | undefined => reflector.getAllAndOverride<T | undefined>(metadataKey, targets);
  const keyOption = read<string | HttpCacheKeyFactory>(HTTP_CACHE_KEY_METADATA);
  const ttlOption = read<Duration | HttpCacheTtlFactory>(HTTP_CACHE_TTL_METADATA);
  const compiledKey = typeof keyOption === 'string' ? compileRequestKey(keyOption, name) : undefined;
  const notFound = read<Duration>(HTTP_CACHE_NOT_FOUND_METADATA);
  const vary = read<string[]>(HTTP_CACHE_VARY_METADATA) ?? [];
  return {
    name,
    disabled: read<boolean>(HTTP_NO_CACHE_METADATA) === true,
    usesResponse,
    key: compiledKey?.build,
    keyFactory: typeof keyOption === 'function' ? keyOption : undefined,
    perUser: compiledKey?.perUser ?? false,
    dynamic: typeof keyOption === 'function' || typeof ttlOption === 'function',
    ttl: ttlOption === undefined || typeof ttlOption === 'function' ? undefined : parseDuration(ttlOption, `@CacheTTL on ${name}`),
    ttlFactory: typeof ttlOption === 'function' ? ttlOption : undefined,
    tags: compileTags(read<string[]>(HTTP_CACHE_TAGS_METADATA) ?? [], name),
    vary,
    varyHeader: vary.length === 0 ? undefined : vary.join(', '),
    notFoundTtl: notFound === undefined ? undefined : notFoundTtl(notFound, name),
  };
}

function compileTags(templates: readonly string[], name: string): (request: HttpRequestLike) => string[] | undefined {
  if (templates.length === 0) return () => [];
  const builders = templates.map((template) => compileRequestKey(template, name).build);
  return (request) => {
    const tags: string[] = [];
    for (const build of builders) {
      const tag = build(request);
      if (tag === undefined) return undefined;
      tags.push(tag);
    }
    return tags;
  };
}

function notFoundTtl(ttl: Duration, name: string): number {
  const parsed = parseDuration(ttl, `@CacheNotFound on ${name}`);
  if (parsed > Math.min(LONGEST_NOT_FOUND_TTL, MAX_DURATION)) {
    throw new TypeError(`nestjs-tiered-cache: @CacheNotFound on ${name}: ttl must be at most 5 minutes, got ${parsed} ms`);
  }
  return parsed;
}
