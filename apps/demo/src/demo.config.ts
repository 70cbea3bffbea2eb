/** Settings of the demo, from the environment by default. */
export interface DemoConfig {
  port: number;
  redisUrl: string;
  /** Real PostgreSQL; embedded PGlite when absent. */
  databaseUrl: string | undefined;
  namespace: string;
  /** Products seeded at start. */
  seedCount: number;
}

/** Reads `PORT`, `REDIS_URL`, `DATABASE_URL`, `CACHE_NAMESPACE`, `SEED_PRODUCTS`. */
export function configFromEnvironment(env: NodeJS.ProcessEnv = process.env): DemoConfig {
  return {
    port: Number(env.PORT ?? 3000),
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    databaseUrl: env.DATABASE_URL || undefined,
    namespace: env.CACHE_NAMESPACE ?? 'shop',
    seedCount: Number(env.SEED_PRODUCTS ?? 10_000),
  };
}
