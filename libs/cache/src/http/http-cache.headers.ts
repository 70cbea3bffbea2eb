import type { HttpCachedResponse } from './http-cached-response.js';
import { setResponseHeader, type HttpResponseLike } from './http-cache.platform.js';

/** How a response was served, sent as `X-Cache`. */
export type HttpCacheStatus = 'HIT' | 'MISS' | 'STALE';

/** What the headers need to know about the route: whether it is keyed per user, and its `Vary` header. */
export interface HeaderPolicy {
  readonly perUser: boolean;
  /** The request headers of `@CacheVary`, joined for the `Vary` response header; `undefined` when none. */
  readonly varyHeader: string | undefined;
}

/**
 * Sets `X-Cache`, `ETag`, `Age`, `Vary` (the `@CacheVary` headers, unless the handler set its own) and
 * `Cache-Control` (the handler's own, else derived from the entry).
 */
export function applyCacheHeaders(
  response: HttpResponseLike,
  entry: HttpCachedResponse,
  status: HttpCacheStatus,
  policy: HeaderPolicy,
  now: number,
): void {
  const age = Math.max(0, now - entry.storedAt);
  setResponseHeader(response, 'X-Cache', status);
  setResponseHeader(response, 'ETag', entry.etag);
  setResponseHeader(response, 'Age', String(Math.floor(age / 1000)));
  if (policy.varyHeader !== undefined && response.getHeader('Vary') === undefined) setResponseHeader(response, 'Vary', policy.varyHeader);
  if (response.getHeader('Cache-Control') !== undefined) return;
  setResponseHeader(response, 'Cache-Control', entry.cacheControl ?? derivedCacheControl(age, entry, policy.perUser));
}

/**
 * `public, max-age=<remaining freshness>, stale-while-revalidate=<grace>` (seconds, remaining freshness rounded up);
 * `private` for a response keyed per user.
 */
export function derivedCacheControl(age: number, { ttl, grace }: { ttl: number; grace: number }, perUser: boolean): string {
  const maxAge = Math.max(0, Math.ceil((ttl - age) / 1000));
  const scope = perUser ? 'private' : 'public';
  const swr = Math.floor(grace / 1000);
  return swr > 0 ? `${scope}, max-age=${maxAge}, stale-while-revalidate=${swr}` : `${scope}, max-age=${maxAge}`;
}

/** Whether `If-None-Match` (a list, `*`, weak or strong tags) matches `etag` (weak comparison, RFC 9110 13.1.2). */
export function matchesIfNoneMatch(header: string | undefined, etag: string): boolean {
  if (header === undefined) return false;
  if (header.trim() === '*') return true;
  for (const candidate of header.split(',')) {
    const tag = candidate.trim();
    if (tag === etag || (tag.startsWith('W/') && tag.slice(2) === etag)) return true;
  }
  return false;
}
