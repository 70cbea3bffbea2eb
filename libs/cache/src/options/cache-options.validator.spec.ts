import { Redis } from 'ioredis';
import { cacheName, globalFlag, resolveCacheOptions } from './cache-options.validator.js';
import { MAX_DURATION, parseDuration } from './duration.parser.js';
import { InvalidCacheOptionError } from '../cache.errors.js';

describe('parseDuration', () => {
  it.each([
    [250, 250],
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1h', 3_600_000],
    ['1d', 86_400_000],
    ['1.5s', 1_500],
    ['1.1s', 1_100],
    ['0.001s', 1],
    [0, 0],
    [MAX_DURATION, MAX_DURATION],
    ['2147483647ms', MAX_DURATION],
  ])('parses %p as %p ms', (input, expected) => {
    expect(parseDuration(input, 'ttl')).toBe(expected);
  });

  it.each([-1, Number.NaN, Infinity, '5 minutes', '-5s', '', '5', 'm5', null, {}])('rejects %p naming the option', (input) => {
    expect(() => parseDuration(input, 'defaultTtl')).toThrow(InvalidCacheOptionError);
    expect(() => parseDuration(input, 'defaultTtl')).toThrow(/'defaultTtl'/);
  });

  it.each([1e300, MAX_DURATION + 1, '25d', `1${'0'.repeat(400)}ms`, '24.9d'])('rejects %p as longer than the bound', (input) => {
    expect(() => parseDuration(input, 'grace')).toThrow(/'grace'.*at most|'grace'.*from 0 to 2147483647/);
  });

  it.each([4000.7, 0.5, '0.5ms', '1.0001s', '4000.7ms'])('rejects the fractional millisecond %p', (input) => {
    expect(() => parseDuration(input, 'ttl')).toThrow(/'ttl'.*whole number of milliseconds/);
  });
});

describe('globalFlag', () => {
  it.each([[undefined, false], [true, true], [false, false]])('reads %p as %p', (input, expected) => {
    expect(globalFlag(input)).toBe(expected);
  });

  it.each(['no', 'false', 1, 0])('rejects %p', (input) => {
    expect(() => globalFlag(input)).toThrow(/'isGlobal'.*true or false/);
  });
});

describe('cacheName', () => {
  it.each([[undefined, 'default'], ['catalog', 'catalog'], ['eu-1.v2_x', 'eu-1.v2_x']])('reads %p as %p', (input, expected) => {
    expect(cacheName(input)).toBe(expected);
  });

  it.each(['', 'two words', 'a:b', 1, null])('rejects %p, naming the option', (input) => {
    expect(() => cacheName(input, 'cache')).toThrow(/'cache'.*must match/);
  });
});

describe('resolveCacheOptions', () => {
  it('applies defaults', () => {
    const resolved = resolveCacheOptions({ namespace: 'shop' });
    expect(resolved).toMatchObject({ namespace: 'shop', defaultTtl: 300_000, grace: 0, jitter: 0, failureThrottle: 1_000, l2: false, bus: false });
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

  it('resolves jitter and failureThrottle', () => {
    expect(resolveCacheOptions({ namespace: 'shop', jitter: 0.1, failureThrottle: '5s' })).toMatchObject({ jitter: 0.1, failureThrottle: 5_000 });
    expect(resolveCacheOptions({ namespace: 'shop', failureThrottle: 0 }).failureThrottle).toBe(0);
  });

  it.each([
    [{ namespace: 'shop', jitter: 1 }, /'jitter'.*from 0 to below 1/],
    [{ namespace: 'shop', jitter: -0.1 }, /'jitter'/],
    [{ namespace: 'shop', jitter: '0.1' }, /'jitter'/],
    [{ namespace: 'shop', jitter: Number.NaN }, /'jitter'/],
    [{ namespace: 'shop', failureThrottle: '1 second' }, /'failureThrottle'/],
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
    [{ namespace: 'shop', defaultTtl: 1e300 }, /'defaultTtl'.*2147483647/],
    [{ namespace: 'shop', grace: '9'.repeat(400) + 'ms' }, /'grace'.*2147483647/],
    [{ namespace: 'shop', defaultTtl: 4000.7 }, /'defaultTtl'.*whole number/],
    [{ namespace: 'shop', l2: { redis: 'redis://x', lockWait: 100.5 } }, /'l2.lockWait'.*whole number/],
    [{ namespace: 'shop', l1: { max: 2 ** 32 } }, /'l1.max'.*at most 10000000/],
    [{ namespace: 'shop', l1: { max: '100' } }, /'l1.max'.*positive integer/],
    [{ namespace: 'shop', l1: { maxBytes: 1.5 } }, /'l1.maxBytes'/],
    [{ namespace: 'shop', l1: [] }, /'l1'.*object/],
    [{ namespace: 'shop', isGlobal: 'no' }, /'isGlobal'.*true or false/],
    [{ namespace: 'shop', l2: { redis: 'redis://x', breakerThreshold: Infinity } }, /'l2.breakerThreshold'/],
    [{ namespace: 'shop', writeBehind: { redis: 'redis://x', flushOnShutdown: 'false' } }, /'writeBehind.flushOnShutdown'.*true or false/],
    [{ namespace: 'shop', writeBehind: { redis: 'redis://x', concurrency: 1e9 } }, /'writeBehind.concurrency'.*at most/],
    [{ namespace: 10n }, /'namespace'.*10 must match/],
    [{ namespace: 'shop', l2: { redis: [] } }, /'l2.redis'/],
  ])('rejects %p', (options, message) => {
    expect(() => resolveCacheOptions(options as never)).toThrow(message);
  });
});
