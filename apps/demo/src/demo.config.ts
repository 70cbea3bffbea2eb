/** Settings of the demo, from the environment by default. */
export interface DemoConfig {
  port: number;
  /** Interface to listen on; all interfaces when absent. */
  host?: string | undefined;
  redisUrl: string;
  /** Real PostgreSQL; embedded PGlite when absent. */
  databaseUrl: string | undefined;
  /** Cache namespace: the prefix of every key the demo writes. */
  namespace: string;
  /** Products seeded at start into an empty table (0: none). */
  seedCount: number;
  /** Invalidate from PostgreSQL's change feed (needs `databaseUrl` with `wal_level = logical`). */
  changeFeed?: boolean;
}

/** Injection token of the {@link DemoConfig}. */
export const DEMO_CONFIG = Symbol('DEMO_CONFIG');

/** Reads `PORT`, `HOST`, `REDIS_URL`, `DATABASE_URL`, `CACHE_NAMESPACE`, `SEED_PRODUCTS`; throws on a malformed number. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    port: integerSetting(env, 'PORT', 3000, 65_535),
    host: env.HOST || undefined,
    redisUrl: env.REDIS_URL || 'redis://127.0.0.1:6379',
    databaseUrl: env.DATABASE_URL || undefined,
    namespace: env.CACHE_NAMESPACE || 'shop',
    seedCount: integerSetting(env, 'SEED_PRODUCTS', 10_000, 10_000_000),
  };
}

function integerSetting(env: NodeJS.ProcessEnv, name: string, fallback: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value > max) throw new Error(`${name} must be an integer from 0 to ${max}, got '${raw}'`);
  return value;
}
