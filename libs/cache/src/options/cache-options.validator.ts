import { Cluster, Redis } from 'ioredis';
import type {
  BusOptions,
  CacheModuleOptions,
  ChangeFeedOptions,
  L1Options,
  L2Options,
  RedisConnectionOption,
  WriteBehindOptions,
} from './cache-options.interface.js';
import { parseDuration } from './duration.parser.js';
import { DEFAULT_CACHE_NAME } from './cache-name.js';
import type { ResolvedCacheOptions } from './resolved-options.interface.js';
import { InvalidCacheOptionError } from '../cache.errors.js';

/** Namespaces and cache names. */
const NAMESPACE_PATTERN = /^[A-Za-z0-9_.-]+$/;

/**
 * The most L1 entries: `lru-cache` allocates about 16 bytes per slot up front (10,000,000 → ~160 MB, and
 * 2³² throws a bare `RangeError`).
 */
export const MAX_L1_ENTRIES = 10_000_000;

/** Bound of the small counts (`breakerThreshold`, `attempts`, `concurrency`). */
const MAX_COUNT = 1_000_000;

const ALLOWED_KEYS = {
  root: ['namespace', 'defaultTtl', 'grace', 'jitter', 'failureThrottle', 'l1', 'l2', 'bus', 'writeBehind', 'changeFeed', 'isGlobal', 'name'],
  l1: ['max', 'maxBytes', 'ttl'],
  l2: ['redis', 'commandTimeout', 'breakerThreshold', 'breakerCooldown', 'lockWait'],
  bus: ['redis', 'maxStaleness'],
  writeBehind: ['redis', 'delay', 'attempts', 'concurrency', 'flushOnShutdown', 'enqueueTimeout'],
  changeFeed: ['postgres', 'slot', 'publication', 'retryInterval', 'statusInterval', 'lagInterval', 'maxLagBytes'],
} as const;

/** Replication slot names PostgreSQL accepts. */
const SLOT_PATTERN = /^[a-z0-9_]{1,63}$/;

/** Validates user options once at startup and fills in defaults; throws {@link InvalidCacheOptionError}. */
export function resolveCacheOptions(options: CacheModuleOptions): ResolvedCacheOptions {
  requireObject(options, 'options');
  rejectUnknownKeys(options, ALLOWED_KEYS.root, '');
  if (typeof options.namespace !== 'string' || !NAMESPACE_PATTERN.test(options.namespace)) {
    throw new InvalidCacheOptionError('namespace', `${shown(options.namespace)} must match [A-Za-z0-9_.-]+`);
  }
  const l2 = resolveL2(options.l2);
  globalFlag(options.isGlobal);
  return {
    namespace: options.namespace,
    defaultTtl: positiveDuration(options.defaultTtl ?? '5m', 'defaultTtl'),
    grace: parseDuration(options.grace ?? 0, 'grace'),
    jitter: resolveJitter(options.jitter ?? 0, 'jitter'),
    failureThrottle: parseDuration(options.failureThrottle ?? '1s', 'failureThrottle'),
    l1: resolveL1(options.l1),
    l2,
    bus: l2 ? resolveBus(options.bus) : false,
    writeBehind: resolveWriteBehind(options.writeBehind),
    changeFeed: resolveChangeFeed(options.changeFeed),
  };
}

function resolveL1(l1: L1Options | false | undefined): ResolvedCacheOptions['l1'] {
  if (l1 === false) return false;
  const options = l1 ?? {};
  requireObject(options, 'l1');
  rejectUnknownKeys(options, ALLOWED_KEYS.l1, 'l1.');
  return {
    max: positiveInteger(options.max ?? 10_000, 'l1.max', MAX_L1_ENTRIES),
    maxBytes: options.maxBytes === undefined ? undefined : positiveInteger(options.maxBytes, 'l1.maxBytes', Number.MAX_SAFE_INTEGER),
    ttl: positiveDuration(options.ttl ?? '30s', 'l1.ttl'),
  };
}

function resolveL2(l2: L2Options | false | undefined): ResolvedCacheOptions['l2'] {
  if (l2 === false || l2 === undefined) return false;
  requireObject(l2, 'l2');
  rejectUnknownKeys(l2, ALLOWED_KEYS.l2, 'l2.');
  return {
    redis: validateConnection(l2.redis, 'l2.redis'),
    commandTimeout: positiveDuration(l2.commandTimeout ?? '500ms', 'l2.commandTimeout'),
    breakerThreshold: positiveInteger(l2.breakerThreshold ?? 5, 'l2.breakerThreshold', MAX_COUNT),
    breakerCooldown: positiveDuration(l2.breakerCooldown ?? '2s', 'l2.breakerCooldown'),
    lockWait: parseDuration(l2.lockWait ?? '5s', 'l2.lockWait'),
  };
}

function resolveBus(bus: BusOptions | false | undefined): ResolvedCacheOptions['bus'] {
  if (bus === false) return false;
  const options = bus ?? {};
  requireObject(options, 'bus');
  rejectUnknownKeys(options, ALLOWED_KEYS.bus, 'bus.');
  return {
    redis: options.redis === undefined ? undefined : validateConnection(options.redis, 'bus.redis'),
    maxStaleness: positiveDuration(options.maxStaleness ?? '1s', 'bus.maxStaleness'),
  };
}

function resolveWriteBehind(writeBehind: WriteBehindOptions | undefined): ResolvedCacheOptions['writeBehind'] {
  if (writeBehind === undefined) return undefined;
  requireObject(writeBehind, 'writeBehind');
  rejectUnknownKeys(writeBehind, ALLOWED_KEYS.writeBehind, 'writeBehind.');
  return {
    redis: validateConnection(writeBehind.redis, 'writeBehind.redis'),
    delay: parseDuration(writeBehind.delay ?? '1s', 'writeBehind.delay'),
    attempts: positiveInteger(writeBehind.attempts ?? 8, 'writeBehind.attempts', MAX_COUNT),
    concurrency: positiveInteger(writeBehind.concurrency ?? 4, 'writeBehind.concurrency', MAX_COUNT),
    flushOnShutdown: booleanOption(writeBehind.flushOnShutdown ?? false, 'writeBehind.flushOnShutdown'),
    enqueueTimeout: positiveDuration(writeBehind.enqueueTimeout ?? '1s', 'writeBehind.enqueueTimeout'),
  };
}

function resolveChangeFeed(changeFeed: ChangeFeedOptions | undefined): ResolvedCacheOptions['changeFeed'] {
  if (changeFeed === undefined) return undefined;
  requireObject(changeFeed, 'changeFeed');
  rejectUnknownKeys(changeFeed, ALLOWED_KEYS.changeFeed, 'changeFeed.');
  const { postgres, slot, publication } = changeFeed;
  const isUrl = typeof postgres === 'string' && /^postgres(ql)?:\/\//.test(postgres);
  if (!isUrl && (postgres === null || typeof postgres !== 'object' || Array.isArray(postgres))) {
    throw new InvalidCacheOptionError('changeFeed.postgres', `${shown(postgres)} must be a postgres:// URL or pg client settings`);
  }
  if (typeof slot !== 'string' || !SLOT_PATTERN.test(slot)) throw new InvalidCacheOptionError('changeFeed.slot', `${shown(slot)} must match [a-z0-9_]{1,63}`);
  if (typeof publication !== 'string' || !/^[A-Za-z0-9_]{1,63}$/.test(publication)) {
    throw new InvalidCacheOptionError('changeFeed.publication', `${shown(publication)} must match [A-Za-z0-9_]{1,63}`);
  }
  return {
    postgres,
    slot,
    publication,
    retryInterval: positiveDuration(changeFeed.retryInterval ?? '2s', 'changeFeed.retryInterval'),
    statusInterval: positiveDuration(changeFeed.statusInterval ?? '10s', 'changeFeed.statusInterval'),
    lagInterval: positiveDuration(changeFeed.lagInterval ?? '15s', 'changeFeed.lagInterval'),
    maxLagBytes:
      changeFeed.maxLagBytes === undefined ? undefined : positiveInteger(changeFeed.maxLagBytes, 'changeFeed.maxLagBytes', Number.MAX_SAFE_INTEGER),
  };
}

function validateConnection(redis: RedisConnectionOption | undefined, option: string): RedisConnectionOption {
  if (redis instanceof Redis || redis instanceof Cluster) return redis;
  if (typeof redis === 'string') {
    if (!isRedisUrl(redis)) {
      throw new InvalidCacheOptionError(option, `${shown(redis)} is not a redis:// or rediss:// URL`);
    }
    return redis;
  }
  if (redis !== null && typeof redis === 'object' && !Array.isArray(redis)) return redis;
  throw new InvalidCacheOptionError(option, 'expected a redis:// URL, ioredis options, or a Redis or Cluster instance');
}

function isRedisUrl(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '';
  } catch {
    return false;
  }
}

/** Checks a ttl jitter (module or per call): a fraction from 0 to below 1. */
export function resolveJitter(value: unknown, option: string): number {
  if (typeof value === 'number' && value >= 0 && value < 1) return value;
  throw new InvalidCacheOptionError(option, `${shown(value)} must be a number from 0 to below 1 (0.1 = up to ±10 %)`);
}

function positiveDuration(value: unknown, option: string): number {
  const milliseconds = parseDuration(value, option);
  if (milliseconds > 0) return milliseconds;
  throw new InvalidCacheOptionError(option, 'must be greater than zero');
}

function positiveInteger(value: unknown, option: string, max: number): number {
  if (typeof value === 'number' && Number.isInteger(value) && value > 0 && value <= max) return value;
  throw new InvalidCacheOptionError(option, `${shown(value)} must be a positive integer, at most ${max}`);
}

/**
 * Checks `isGlobal` (of `forRoot` or `forRootAsync`); called when the module is declared, since Nest
 * reads it before any provider runs.
 */
export function globalFlag(value: unknown): boolean {
  return booleanOption(value ?? false, 'isGlobal');
}

/**
 * Checks a cache name (`forRoot`/`forRootAsync`'s `name`, a decorator's `cache`) where it is declared;
 * `undefined` is the default cache.
 */
export function cacheName(value: unknown, option = 'name'): string {
  if (value === undefined) return DEFAULT_CACHE_NAME;
  if (typeof value === 'string' && NAMESPACE_PATTERN.test(value)) return value;
  throw new InvalidCacheOptionError(option, `${shown(value)} must match [A-Za-z0-9_.-]+`);
}

function booleanOption(value: unknown, option: string): boolean {
  if (typeof value === 'boolean') return value;
  throw new InvalidCacheOptionError(option, `${shown(value)} must be true or false`);
}

/** The value, for an error message; never throws (`JSON.stringify` would on a BigInt or a cycle). */
function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 60 ? `${value.slice(0, 60)}…` : value);
  if (typeof value === 'function') return 'a function';
  return value !== null && typeof value === 'object' ? 'an object' : String(value);
}

// NOTE: an array is an object too, and `l1: []` would silently mean "defaults".
function requireObject(value: unknown, option: string): asserts value is object {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidCacheOptionError(option, 'expected an object');
  }
}

function rejectUnknownKeys(value: object, allowed: readonly string[], prefix: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.includes(key)) {
      throw new InvalidCacheOptionError(`${prefix}${key}`, `unknown option; allowed: ${allowed.join(', ')}`);
    }
  }
}
