import { createHash } from 'node:crypto';

/** A response as the HTTP cache stores it. Times are epoch milliseconds. */
export interface HttpCachedResponse {
  /** 200 (or another 2xx), or 404 when the handler opted into caching not-found answers. */
  readonly status: number;
  /** What the handler returned (or the 404's body). */
  readonly body: unknown;
  /** Strong validator, quoted: a digest of the serialized body. */
  readonly etag: string;
  /** When the handler produced it. */
  readonly storedAt: number;
  /** Freshness and grace it was stored with, in milliseconds. */
  readonly ttl: number;
  readonly grace: number;
  /** The handler's own `Cache-Control`, replayed on hits instead of the derived one. */
  readonly cacheControl?: string;
}

/** A handler result the cache must not store (the response itself is sent as usual). */
export interface UncacheableResponse {
  readonly uncacheable: true;
  readonly body: unknown;
}

/** Builds the stored form of a response. */
export function cachedResponse(
  status: number,
  body: unknown,
  timing: { ttl: number; grace: number },
  cacheControl: string | undefined,
): HttpCachedResponse {
  const response: HttpCachedResponse = { status, body, etag: strongEtag(body), storedAt: Date.now(), ttl: timing.ttl, grace: timing.grace };
  return cacheControl === undefined ? response : { ...response, cacheControl };
}

/** Whether a value read from the cache is a stored response (anything else under an HTTP key is ignored). */
export function isCachedResponse(value: unknown): value is HttpCachedResponse {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as HttpCachedResponse).etag === 'string' &&
    typeof (value as HttpCachedResponse).storedAt === 'number' &&
    typeof (value as HttpCachedResponse).status === 'number'
  );
}

// NOTE: the digest covers the body as Express and Fastify serialize it (a string as is, anything else as
// JSON), so equal bodies get equal ETags on every instance and a changed body a new one.
function strongEtag(body: unknown): string {
  const serialized = typeof body === 'string' ? body : (JSON.stringify(body) ?? '');
  return `"${createHash('sha256').update(serialized).digest('base64url').slice(0, 27)}"`;
}
