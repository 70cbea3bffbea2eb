import { Logger } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConnectionOption } from '../options/cache-options.interface.js';

/** A Redis connection and whether the module created it (and so must close it). */
export interface ManagedConnection {
  client: Redis | Cluster;
  owned: boolean;
}

const RECONNECT_CEILING = 2_000;

/**
 * Opens a connection the module owns, or wraps one the application passed in (never closed by us).
 * Owned connections fail fast while disconnected instead of queueing, so a dead Redis costs callers
 * nothing but a fallback to L1 and the loader; `overrides` adjust that for other users (BullMQ).
 */
export function connectRedis(option: RedisConnectionOption, name: string, logger: Logger, overrides: RedisOptions = {}): ManagedConnection {
  if (option instanceof Redis || option instanceof Cluster) return { client: watchErrors(option, name, logger), owned: false };
  const defaults: RedisOptions = {
    // NOTE: commands issued in one tick share one socket write: at high concurrency the write syscall,
    // not Redis, is the bottleneck (see bench/).
    enableAutoPipelining: true,
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectionName: name,
    retryStrategy: (times) => Math.min(times * 100, RECONNECT_CEILING),
    // NOTE: untyped ioredis option (default 2s): how long a disconnect waits for a socket that never opened.
    ...{ disconnectTimeout: 100 },
    ...overrides,
  };
  const client = typeof option === 'string' ? new Redis(option, defaults) : new Redis({ ...defaults, ...option });
  return { client: watchErrors(client, name, logger), owned: true };
}

/** Opens a second connection to the same server(s), e.g. for pub/sub. */
export function duplicateConnection(source: Redis | Cluster, name: string, logger: Logger): ManagedConnection {
  const client = source instanceof Cluster ? source.duplicate() : source.duplicate();
  return { client: watchErrors(client, name, logger), owned: true };
}

/** Resolves once the connection is ready, or after `timeout` ms (the caller degrades meanwhile). */
export async function awaitReady(client: Redis | Cluster, timeout: number): Promise<boolean> {
  if (client.status === 'ready') return true;
  return new Promise((resolve) => {
    const timer = setTimeout(() => finish(false), timeout);
    const onReady = (): void => finish(true);
    function finish(ready: boolean): void {
      clearTimeout(timer);
      client.off('ready', onReady);
      resolve(ready);
    }
    client.once('ready', onReady);
  });
}

/** Closes a connection the module owns. */
export async function closeConnection(connection: ManagedConnection): Promise<void> {
  if (!connection.owned) return;
  if (connection.client.status !== 'ready') {
    connection.client.disconnect();
    return;
  }
  try {
    await connection.client.quit();
  } catch {
    connection.client.disconnect();
  }
}

// NOTE: an 'error' event without a listener crashes the process; we log once per outage instead.
function watchErrors<T extends Redis | Cluster>(client: T, name: string, logger: Logger): T {
  let reported = false;
  client.on('error', (error: Error) => {
    if (reported) return;
    reported = true;
    logger.warn(`Redis connection '${name}' failed (${error.message}); serving from L1 and loaders until it is back`);
  });
  client.on('ready', () => {
    if (reported) logger.log(`Redis connection '${name}' is back`);
    reported = false;
  });
  return client;
}
