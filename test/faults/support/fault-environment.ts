import type { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from '../../support/redis-server.js';
import { FaultApps } from './fault-apps.js';
import { rawClient } from './redis-inspect.js';

/** What each test of a fault spec gets: its own redis-server, a raw client to it, and its cache instances. */
export interface FaultEnvironment {
  readonly server: RedisServerHandle;
  readonly direct: Redis;
  readonly apps: FaultApps;
}

/**
 * Registers beforeEach/afterEach hooks that start a fresh redis-server (with `args`) for every test
 * and, after it, close its instances and stop that server (resumed first, in case a test stopped it).
 */
export function useFaultEnvironment(args: string[] = []): FaultEnvironment {
  const apps = new FaultApps();
  let server: RedisServerHandle | undefined;
  let direct: Redis | undefined;
  beforeEach(async () => {
    server = await startRedisServer({ args });
    direct = rawClient(server.url);
  });
  afterEach(async () => {
    server?.signal('SIGCONT');
    await apps.closeAll();
    direct?.disconnect();
    await server?.stop();
  });
  const started = <T>(value: T | undefined): T => {
    if (value === undefined) throw new Error('the fault environment is only available inside a test');
    return value;
  };
  return {
    get server() {
      return started(server);
    },
    get direct() {
      return started(direct);
    },
    apps,
  };
}
