import { StreamableFile } from '@nestjs/common';
import { isObservable } from 'rxjs';
import { requestHeader, type HttpRequestLike, type HttpResponseLike } from './http-cache.platform.js';

/** Why a request or response is not cached; used in one-time warnings and tests. */
export type BypassReason = 'credentials' | 'set-cookie' | 'cache-control' | 'status' | 'stream' | 'no-key' | 'empty';

// NOTE: cookie names that usually carry a session or a token (matched anywhere in the name, erring on the
// side of not caching): a request with one is treated like one with
// `Authorization` (its response may be personal) unless the key names the user.
const SESSION_COOKIE = /sess|sid|auth|token|jwt/i;
const UNCACHEABLE_CACHE_CONTROL = /(^|[\s,])(private|no-store|no-cache)(\s*[,=]|\s*$)/i;

/** Only `GET` and `HEAD` are cached (HEAD shares GET's entry). */
export function isCacheableMethod(request: HttpRequestLike): boolean {
  return request.method === 'GET' || request.method === 'HEAD';
}

/** Whether the request carries credentials: `Authorization`, or a cookie that looks like a session. */
export function hasCredentials(request: HttpRequestLike): boolean {
  if (requestHeader(request, 'authorization') !== undefined) return true;
  const cookie = requestHeader(request, 'cookie');
  if (cookie === undefined) return false;
  return cookie.split(';').some((pair) => SESSION_COOKIE.test(pair.split('=', 1)[0].trim()));
}

/** Why the handler's response must not be stored, or `undefined` when it may. */
export function responseBypassReason(response: HttpResponseLike, body: unknown): BypassReason | undefined {
  if (isStreamLike(body)) return 'stream';
  if (response.getHeader('Set-Cookie') !== undefined) return 'set-cookie';
  const cacheControl = response.getHeader('Cache-Control');
  if (typeof cacheControl === 'string' && UNCACHEABLE_CACHE_CONTROL.test(cacheControl)) return 'cache-control';
  if (response.statusCode < 200 || response.statusCode >= 300) return 'status';
  return undefined;
}

/** Values sent as streams (or not serializable): files, Node and web streams, buffers, web responses, Observables. */
export function isStreamLike(body: unknown): boolean {
  if (typeof body !== 'object' || body === null) return false;
  if (body instanceof StreamableFile || Buffer.isBuffer(body) || body instanceof Response || body instanceof ReadableStream) return true;
  if (isObservable(body)) return true;
  return typeof (body as { pipe?: unknown }).pipe === 'function' || Symbol.asyncIterator in body;
}
