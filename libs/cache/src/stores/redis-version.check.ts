import type { Logger } from '@nestjs/common';
import type { Cluster, Redis } from 'ioredis';
import { errorMessage } from '../cache.errors.js';

/** The oldest Redis the module runs on: tag lifetimes are extended with `PEXPIRE ... GT` (Redis 7.0). */
export const MINIMUM_REDIS_VERSION = '7.0.0';

type VersionSource = Pick<Redis, 'info'>;

// NOTE: a server that accepts the connection but does not answer must not hold startup forever.
const INFO_TIMEOUT = 5_000;

/**
 * Checks that every Redis (each master of a Cluster) is at least {@link MINIMUM_REDIS_VERSION}.
 * Connected (`ready`): throws, so startup fails with a clear message instead of every tagged write
 * failing later. Not yet connected: checks on the first `ready` and logs an error. A server that refuses
 * `INFO` is logged as unchecked, not rejected.
 */
export async function requireRedisVersion(client: Redis | Cluster, ready: boolean, logger: Logger): Promise<void> {
  if (!ready) {
    client.once('ready', () => {
      oldRedisProblem(client, logger).then(
        (problem) => problem && logger.error(problem),
        () => undefined,
      );
    });
    return;
  }
  const problem = await oldRedisProblem(client, logger);
  if (problem) throw new Error(problem);
}

/** Why the servers behind `client` are too old, or `undefined` when they are not (or cannot be asked). */
export async function oldRedisProblem(client: Redis | Cluster, logger: Logger): Promise<string | undefined> {
  const servers: VersionSource[] = isCluster(client) ? client.nodes('master') : [client];
  const versions = await Promise.all(servers.map((server) => serverVersion(server, logger)));
  const old = versions.filter((version): version is string => version !== undefined && !isSupportedVersion(version));
  if (old.length === 0) return undefined;
  return `nestjs-tiered-cache: Redis ${MINIMUM_REDIS_VERSION} or newer is required (PEXPIRE ... GT); found ${old.join(', ')}`;
}

/** Whether `version` (`'7.2.4'`) is at least {@link MINIMUM_REDIS_VERSION}. */
export function isSupportedVersion(version: string): boolean {
  const [major = 0] = version.split('.').map(Number);
  const [minimumMajor = 0] = MINIMUM_REDIS_VERSION.split('.').map(Number);
  return major >= minimumMajor;
}

async function serverVersion(server: VersionSource, logger: Logger): Promise<string | undefined> {
  try {
    const info = await withTimeout(server.info('server'), INFO_TIMEOUT);
    const version = /^redis_version:([^\r\n]+)/m.exec(info)?.[1];
    if (version === undefined) logger.warn('Could not read the Redis version from INFO server; not checked');
    return version;
  } catch (error) {
    logger.warn(`Could not check the Redis version (INFO server failed: ${errorMessage(error)})`);
    return undefined;
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no reply within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

function isCluster(client: Redis | Cluster): client is Cluster {
  return typeof (client as Partial<Cluster>).nodes === 'function';
}
