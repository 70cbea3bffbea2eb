import { StreamableFile } from '@nestjs/common';
import { Readable } from 'node:stream';
import { of } from 'rxjs';
import { derivedCacheControl, matchesIfNoneMatch } from './http-cache.headers.js';
import type { HttpRequestLike, HttpResponseLike } from './http-cache.platform.js';
import { hasCredentials, isStreamLike, responseBypassReason } from './http-cache.safety.js';

const request = (headers: HttpRequestLike['headers']): HttpRequestLike => ({ method: 'GET', url: '/', headers });
const response = (statusCode: number, headers: Record<string, string> = {}): HttpResponseLike => ({
  statusCode,
  getHeader: (name) => headers[name.toLowerCase()],
  header: () => undefined,
});

describe('HTTP cache safety rules', () => {
  it('treats Authorization and session-like cookies as credentials, other cookies not', () => {
    expect(hasCredentials(request({ authorization: 'Bearer x' }))).toBe(true);
    for (const cookie of ['connect.sid=1', 'theme=dark; sessionid=2', 'JSESSIONID=3', 'auth_token=4', 'jwt=5']) {
      expect(hasCredentials(request({ cookie }))).toBe(true);
    }
    expect(hasCredentials(request({ cookie: 'theme=dark; consent=yes' }))).toBe(false);
    expect(hasCredentials(request({}))).toBe(false);
  });

  it('refuses responses that set a cookie, are private/no-store/no-cache, are not 2xx, or are streams', () => {
    expect(responseBypassReason(response(200), { a: 1 })).toBeUndefined();
    expect(responseBypassReason(response(200, { 'cache-control': 'public, max-age=5' }), {})).toBeUndefined();
    expect(responseBypassReason(response(200, { 'set-cookie': 'a=b' }), {})).toBe('set-cookie');
    for (const value of ['private', 'no-store', 'max-age=0, no-cache', 'private="x"']) {
      expect(responseBypassReason(response(200, { 'cache-control': value }), {})).toBe('cache-control');
    }
    expect(responseBypassReason(response(201), {})).toBeUndefined();
    expect(responseBypassReason(response(302), {})).toBe('status');
    expect(responseBypassReason(response(200), Readable.from(['x']))).toBe('stream');
  });

  it('recognizes stream-like bodies', () => {
    for (const body of [new StreamableFile(Buffer.from('x')), Buffer.from('x'), new Response('x'), of(1), Readable.from([])]) {
      expect(isStreamLike(body)).toBe(true);
    }
    for (const body of ['x', 1, null, { a: 1 }, [1]]) expect(isStreamLike(body)).toBe(false);
  });

  it('matches If-None-Match lists, weak tags and *', () => {
    expect(matchesIfNoneMatch('"a", W/"b"', '"b"')).toBe(true);
    expect(matchesIfNoneMatch('*', '"z"')).toBe(true);
    expect(matchesIfNoneMatch('"a"', '"b"')).toBe(false);
    expect(matchesIfNoneMatch(undefined, '"b"')).toBe(false);
  });

  it('derives Cache-Control from the remaining freshness and grace', () => {
    expect(derivedCacheControl(1_500, { ttl: 60_000, grace: 3_600_000 }, false)).toBe('public, max-age=59, stale-while-revalidate=3600');
    expect(derivedCacheControl(90_000, { ttl: 60_000, grace: 0 }, true)).toBe('private, max-age=0');
  });
});
