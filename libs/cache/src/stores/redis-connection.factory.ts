import { Logger } from '@nestjs/common';
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import type { RedisConnectionOption } from '../options/cache-options.interface.js';
import { withTimeout } from '../timing/with-timeout.js';

/** A Redis connection, whether the module created it (and so must close it), and how to remove our listeners. */
export interface ManagedConnection {
  client: Redis | Cluster;
  owned: boolean;
  /** Removes the listeners the module added (a connection passed in outlives the module). */
  detach(): void;
}

const RECONNECT_CEILING = 2_000;
const QUIT_TIMEOUT = 1_000;

/**
 * Opens a connection the module owns, or wraps one the application passed in (never closed by us).
 * Owned connections fail fast while disconnected instead of queueing, so a dead Redis costs callers
 * nothing but a fallback to L1 and the loader; `overrides` adjust that for other users (BullMQ).
 */
export function connectRedis(option: RedisConnectionOption, name: string, logger: Logger, overrides: RedisOptions = {}): ManagedConnection {
  if (option instanceof Redis || option instanceof Cluster) return watchErrors(option, false, name, logger);
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
  return watchErrors(client, true, name, logger);
}

/** Opens a second connection to the same server(s), e.g. for pub/sub. */
export function duplicateConnection(source: Redis | Cluster, name: string, logger: Logger): ManagedConnection {
  const client = source instanceof Cluster ? source.duplicate() : source.duplicate();
  return watchErrors(client, true, name, logger);
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

/** Removes the module's listeners; closes the connection if the module owns it. */
export async function closeConnection(connection: ManagedConnection): Promise<void> {
  connection.detach();
  if (!connection.owned) return;
  if (connection.client.status !== 'ready') {
    connection.client.disconnect();
    return;
  }
  const quitting = connection.client.quit();
  // NOTE: QUIT waits for Redis; a stalled server must not hold up shutdown.
  quitting.catch(() => undefined);
  try {
    await withTimeout(quitting, QUIT_TIMEOUT, 'QUIT unanswered');
  } catch {
    connection.client.disconnect();
  }
}

// NOTE: an 'error' event without a listener crashes the process; we log once per outage instead.
function watchErrors(client: Redis | Cluster, owned: boolean, name: string, logger: Logger): ManagedConnection {
  let reported = false;
  const onError = (error: Error): void => {
    if (reported) return;
    reported = true;
    logger.warn(`Redis connection '${name}' failed (${error.message}); serving from L1 and loaders until it is back`);
  };
  const onReady = (): void => {
    if (reported) logger.log(`Redis connection '${name}' is back`);
    reported = false;
  };
  client.on('error', onError);
  client.on('ready', onReady);
  // NOTE: an owned connection keeps its error listener: a late socket error after quit must not crash.
  const detach = (): void => {
    client.off('ready', onReady);
    if (!owned) client.off('error', onError);
  };
  return { client, owned, detach };
}
