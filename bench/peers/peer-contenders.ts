/**
 * The contenders of the peers benchmark: each gives a `getOrSet(index)` over its own keys, set up for
 * one tier. `l1`: in-process hits; `l2`: hits read from Redis, nothing kept in process.
 */
import 'reflect-metadata';
import { CacheModule as TheirCacheModule, CACHE_MANAGER, type Cache } from '@nestjs/cache-manager';
import KeyvRedis from '@keyv/redis';
import { Injectable, Module, type INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { BentoCache, bentostore } from 'bentocache';
import { memoryDriver } from 'bentocache/drivers/memory';
import { redisDriver } from 'bentocache/drivers/redis';
import { Cacheable as CacheableCache } from 'cacheable';
import { Redis } from 'ioredis';
import Keyv from 'keyv';
import { LRUCache } from 'lru-cache';
import { Cacheable, CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';

export type Tier = 'l1' | 'l2';

/** One contender, ready to be hit. */
export interface Contender {
  getOrSet(index: number): Promise<unknown>;
  close(): Promise<void>;
}

/** The tiers a contender has a configuration for, and how to start it for one of them. */
interface ContenderSpec {
  tiers: readonly Tier[];
  start(tier: Tier, redisUrl: string): Promise<Contender>;
}

const BOTH: readonly Tier[] = ['l1', 'l2'];

export const KEYS = 10_000;
const TTL_MS = 3_600_000;

/** A JSON-friendly value, so every contender stores the same thing. */
export function product(id: number): Record<string, unknown> {
  return {
    id,
    name: `Product ${id}`,
    price: 19.99 + id,
    category: `category-${id % 20}`,
    tags: ['sale', 'new'],
    description: 'A product of the catalogue, described in a sentence or two so the value is not trivially small.',
  };
}

const keyOf = (index: number): string => `product:${index % KEYS}`;

@Injectable()
class ProductsService {
  @Cacheable({ key: 'product:{0}', ttl: '1h' })
  async findOne(id: number): Promise<Record<string, unknown>> {
    return product(id);
  }
}

async function nestContext(imports: NonNullable<Parameters<typeof Module>[0]['imports']>, providers: Parameters<typeof Module>[0]['providers'] = []): Promise<INestApplicationContext> {
  @Module({ imports, providers })
  class PeerBenchModule {}
  return NestFactory.createApplicationContext(PeerBenchModule, { logger: ['error'] });
}

function ourOptions(tier: Tier, redisUrl: string, namespace: string): CacheModuleOptions {
  return tier === 'l1'
    ? { namespace, l1: { max: KEYS * 2, ttl: '1h' } }
    : { namespace, l1: false, bus: false, l2: { redis: redisUrl } };
}

const GET_OR_SET_OPTIONS = { ttl: '1h' } as const;

export const CONTENDERS: Record<string, ContenderSpec> = {
  'bare lru-cache': { tiers: ['l1'], start: async () => bareLruCache() },

  'bare ioredis GET': { tiers: ['l2'], start: (_tier, redisUrl) => bareIoredis(redisUrl, 'bare-raw', false) },

  'bare ioredis GET + JSON.parse': { tiers: ['l2'], start: (_tier, redisUrl) => bareIoredis(redisUrl, 'bare-json', true) },

  '@nestjs/cache-manager': {
    tiers: BOTH,
    start: async (tier, redisUrl) => {
      const stores = tier === 'l1' ? undefined : [new Keyv({ store: new KeyvRedis(redisUrl), namespace: 'peer-cache-manager' })];
      const app = await nestContext([TheirCacheModule.register({ ttl: TTL_MS, ...(stores ? { stores } : {}) })]);
      const cache = app.get<Cache>(CACHE_MANAGER);
      return {
        getOrSet: (index) => cache.wrap(keyOf(index), async () => product(index), TTL_MS),
        close: async () => {
          await cache.disconnect();
          await app.close();
        },
      };
    },
  },

  bentocache: {
    tiers: BOTH,
    start: async (tier, redisUrl) => {
      const store =
        tier === 'l1' ? bentostore().useL1Layer(memoryDriver({ maxItems: KEYS * 2 })) : bentostore().useL2Layer(redisDriver({ connection: connectionOptions(redisUrl) }));
      const bento = new BentoCache({ default: 'cache', prefix: 'peer-bento', stores: { cache: store } });
      return {
        getOrSet: (index) => bento.getOrSet({ key: keyOf(index), factory: () => product(index), ttl: '1h' }),
        close: () => bento.disconnectAll(),
      };
    },
  },

  cacheable: {
    tiers: BOTH,
    start: async (tier, redisUrl) => {
      const redisStore = tier === 'l2' ? new KeyvRedis(redisUrl) : undefined;
      const cache = new CacheableCache({ ttl: TTL_MS, ...(redisStore ? { primary: new Keyv({ store: redisStore, namespace: 'peer-cacheable' }) } : {}) });
      return {
        getOrSet: (index) => cache.getOrSet(keyOf(index), async () => product(index)),
        close: async () => void (await cache.disconnect()),
      };
    },
  },

  'ours getOrSet': {
    tiers: BOTH,
    start: async (tier, redisUrl) => {
      const app = await nestContext([CacheModule.forRoot(ourOptions(tier, redisUrl, 'peer-ours'))]);
      const cache = app.get(CacheService);
      return {
        getOrSet: (index) => cache.getOrSet(keyOf(index), () => product(index), GET_OR_SET_OPTIONS),
        close: () => app.close(),
      };
    },
  },

  'ours @Cacheable': {
    tiers: BOTH,
    start: async (tier, redisUrl) => {
      const app = await nestContext([CacheModule.forRoot(ourOptions(tier, redisUrl, 'peer-ours-decorated'))], [ProductsService]);
      const products = app.get(ProductsService);
      return {
        getOrSet: (index) => products.findOne(index % KEYS),
        close: () => app.close(),
      };
    },
  },
};

function bareLruCache(): Contender {
  const lru = new LRUCache<string, Record<string, unknown>>({ max: KEYS * 2, ttl: TTL_MS });
  return {
    getOrSet: async (index) => {
      const key = keyOf(index);
      const hit = lru.get(key);
      if (hit !== undefined) return hit;
      const value = product(index);
      lru.set(key, value);
      return value;
    },
    close: async () => undefined,
  };
}

async function bareIoredis(redisUrl: string, prefix: string, parse: boolean): Promise<Contender> {
  const redis = new Redis(redisUrl);
  return {
    getOrSet: async (index) => {
      const key = `${prefix}:${keyOf(index)}`;
      const raw = await redis.get(key);
      if (raw !== null) return parse ? (JSON.parse(raw) as unknown) : raw;
      const value = product(index);
      await redis.set(key, JSON.stringify(value), 'PX', TTL_MS);
      return value;
    },
    close: async () => void (await redis.quit()),
  };
}

function connectionOptions(redisUrl: string): { host: string; port: number } {
  const url = new URL(redisUrl);
  return { host: url.hostname, port: Number(url.port || 6379) };
}
