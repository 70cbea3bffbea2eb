import { compileRequestKey, defaultRequestKey, withVary } from './http-cache.key.js';
import type { HttpRequestLike } from './http-cache.platform.js';

const request = (url: string, extra: Partial<HttpRequestLike> = {}): HttpRequestLike => ({ method: 'GET', url, headers: {}, ...extra });

describe('HTTP cache keys', () => {
  it('keys by path and the query sorted by name, whatever the order or the platform field', () => {
    expect(defaultRequestKey(request('/p?b=2&a=1&a=0'))).toBe('/p?a=0&a=1&b=2');
    expect(defaultRequestKey(request('/p?a=0&b=2&a=1'))).toBe('/p?a=0&a=1&b=2');
    expect(defaultRequestKey(request('/mounted?x=1', { originalUrl: '/api/mounted?x=1' }))).toBe('/api/mounted?x=1');
    expect(defaultRequestKey(request(`/p?q=${'x'.repeat(600)}`))).toMatch(/^#[\w-]{43}$/);
  });

  it('interpolates params, query, headers and user, escaped; a missing value leaves the request uncached', () => {
    const { build, perUser } = compileRequestKey('p:{params.id}:{query.page}:{headers.Accept-Language}', 'C.m');
    expect(perUser).toBe(false);
    const full = request('/p/1?page=2', { params: { id: 'a:b' }, headers: { 'accept-language': 'fr' } });
    expect(build(full)).toBe('p:a%3Ab:2:fr');
    expect(build(request('/p/1', { params: { id: '1' } }))).toBeUndefined();
    expect(compileRequestKey('me:{user.id}', 'C.m').build(request('/me', { user: { id: 7 } }))).toBe('me:7');
  });

  it('knows a key that names the user', () => {
    expect(compileRequestKey('me:{user.id}', 'C.m').perUser).toBe(true);
    expect(compileRequestKey('me:{headers.authorization}', 'C.m').perUser).toBe(true);
    expect(compileRequestKey('me:{headers.x-user}', 'C.m').perUser).toBe(false);
  });

  it('rejects a malformed template, naming it and the handler', () => {
    expect(() => compileRequestKey('p:{id}', 'C.m')).toThrow(/'p:\{id\}' on C\.m: placeholder '\{id\}'/);
    expect(() => compileRequestKey('p:{user.__proto__}', 'C.m')).toThrow(/placeholder/);
    expect(() => compileRequestKey('p:{params.id', 'C.m')).toThrow(/unbalanced/);
  });

  it('adds Vary-like headers, escaped, so two languages are two entries', () => {
    const fr = request('/p', { headers: { 'accept-language': 'fr' } });
    expect(withVary('k', fr, ['accept-language'])).toBe('k|accept-language=fr');
    expect(withVary('k', request('/p'), ['accept-language'])).toBe('k|accept-language=');
  });
});
