import { Redis } from 'ioredis';
import { resolveCacheOptions } from './cache-options.validator.js';
import { InvalidCacheOptionError, parseDuration } from './duration.parser.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    [0, 0],
  ])('parses %p as %p ms', (input, expected) => {
    expect(parseDuration(input, 'ttl')).toBe(expected);
  });

  it.each([-1, Number.NaN, Infinity, '5 minutes', '-5s', '', '5', 'm5', null, {}])('rejects %p naming the option', (input) => {
    expect(() => parseDuration(input, 'defaultTtl')).toThrow(InvalidCacheOptionError);
    expect(() => parseDuration(input, 'defaultTtl')).toThrow(/'defaultTtl'/);
  });
});

describe('resolveCacheOptions', () => {
  it('applies defaults', () => {
    const resolved = resolveCacheOptions({ namespace: 'shop' });
    expect(resolved).toMatchObject({ namespace: 'shop', defaultTtl: 300_000, grace: 0, l2: false, bus: false });
    expect(resolved.l1).toEqual({ max: 10_000, maxBytes: undefined, ttl: 30_000 });
  });

  it('resolves L2 and the bus from a URL', () => {
    const resolved = resolveCacheOptions({ namespace: 'shop', grace: '1h', l2: { redis: 'redis://127.0.0.1:6379' } });
    expect(resolved.grace).toBe(3_600_000);
    expect(resolved.l2).toMatchObject({ redis: 'redis://127.0.0.1:6379', commandTimeout: 500 });
    expect(resolved.bus).toMatchObject({ maxStaleness: 1_000 });
  });

  it('accepts an existing connection without touching it', () => {
    const redis = new Redis({ lazyConnect: true });
    expect(resolveCacheOptions({ namespace: 'shop', l2: { redis } }).l2).toMatchObject({ redis });
    redis.disconnect();
  });

  it.each([
    [{ namespace: 'shop', colour: 'red' }, /'colour'.*allowed: namespace/],
    [{ namespace: 'a b' }, /'namespace'.*\[A-Za-z0-9_.-\]\+/],
    [{ namespace: '' }, /'namespace'/],
    [{ namespace: 'shop', defaultTtl: -5 }, /'defaultTtl'/],
    [{ namespace: 'shop', defaultTtl: '5 minutes' }, /'defaultTtl'.*'30s'/],
    [{ namespace: 'shop', grace: 'soon' }, /'grace'/],
    [{ namespace: 'shop', l1: { max: 0 } }, /'l1.max'.*positive integer/],
    [{ namespace: 'shop', l1: { size: 5 } }, /'l1.size'.*allowed: max, maxBytes, ttl/],
    [{ namespace: 'shop', l2: { redis: 'http://localhost' } }, /'l2.redis'.*redis:\/\//],
    [{ namespace: 'shop', l2: { redis: 'not a url' } }, /'l2.redis'/],
    [{ namespace: 'shop', l2: { redis: 42 } }, /'l2.redis'/],
    [{ namespace: 'shop', l2: { redis: 'redis://x', commandTimeout: '0ms' } }, /'l2.commandTimeout'.*greater than zero/],
  ])('rejects %p', (options, message) => {
    expect(() => resolveCacheOptions(options as never)).toThrow(message);
  });
});
