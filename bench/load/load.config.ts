/** Settings of `npm run load`, from the environment. */
export interface LoadConfig {
  /** Measured seconds of each scenario (`LOAD_DURATION`, default 20). */
  durationSeconds: number;
  /** The measured time is cut into this many slices, the scenarios taking turns (`LOAD_ROUNDS`, default 4). */
  rounds: number;
  /** Seconds of unmeasured warm-up of each scenario (`LOAD_WARMUP`, default 5). */
  warmupSeconds: number;
  /** Seconds of load with Redis stopped, to count the log lines of an outage (`LOAD_OUTAGE`, default 10; 0: skip). */
  outageSeconds: number;
  /** Keep-alive connections (`LOAD_CONNECTIONS`, default 32). */
  connections: number;
  /** Seed of the request generator (`LOAD_SEED`, default 1). */
  seed: number;
  /** PostgreSQL server for the throwaway database (`LOAD_POSTGRES_URL`); PGlite when it does not answer. */
  postgresUrl: string;
  /** When set (`LOAD_PROFILE=1`), one demo instance is CPU-profiled during the measured slices with 1% writes. */
  profile: boolean;
}

/** Reads the settings; throws naming the variable on a malformed number. */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): LoadConfig {
  return {
    durationSeconds: integer(env, 'LOAD_DURATION', 20, 1, 3_600),
    rounds: integer(env, 'LOAD_ROUNDS', 4, 1, 100),
    warmupSeconds: integer(env, 'LOAD_WARMUP', 5, 0, 3_600),
    outageSeconds: integer(env, 'LOAD_OUTAGE', 10, 0, 3_600),
    connections: integer(env, 'LOAD_CONNECTIONS', 32, 1, 10_000),
    seed: integer(env, 'LOAD_SEED', 1, 0, 2 ** 31),
    postgresUrl: env.LOAD_POSTGRES_URL || 'postgres://postgres@127.0.0.1:5432/postgres',
    profile: env.LOAD_PROFILE === '1',
  };
}

function integer(env: NodeJS.ProcessEnv, name: string, fallback: number, min: number, max: number): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!/^\d+$/.test(raw) || value < min || value > max) throw new Error(`${name} must be an integer from ${min} to ${max}, got '${raw}'`);
  return value;
}
