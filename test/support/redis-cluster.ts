import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';
import { waitFor } from './test-redis.js';

const SLOTS = 16_384;

/** A throwaway Redis Cluster of `masters` redis-server processes, slots spread evenly. */
export interface RedisClusterHandle {
  nodes: { host: string; port: number }[];
  stop(): Promise<void>;
  /** Restarts the node on `port` (it keeps its cluster config; its data only with AOF in `args`). */
  restart(port: number): Promise<void>;
  /** Sends `signal` to the node on `port` (e.g. `SIGSTOP`/`SIGCONT` to stall it). */
  signal(port: number, signal: NodeJS.Signals): void;
}

/** `args` go to every node (e.g. AOF for a queue cluster). */
export async function startRedisCluster(masters = 3, args: string[] = []): Promise<RedisClusterHandle> {
  const servers: RedisServerHandle[] = [];
  for (let index = 0; index < masters; index += 1) {
    const dir = mkdtempSync(join(tmpdir(), 'tiered-cache-cluster-'));
    servers.push(await startRedisServer({ args: ['--cluster-enabled', 'yes', '--cluster-config-file', 'nodes.conf', '--dir', dir, ...args] }));
  }
  const clients = servers.map((server) => new Redis(server.port, '127.0.0.1'));
  try {
    await Promise.all(
      clients.map((client, index) => {
        const first = Math.floor((SLOTS * index) / masters);
        const last = Math.floor((SLOTS * (index + 1)) / masters) - 1;
        return client.call('CLUSTER', 'ADDSLOTSRANGE', first, last);
      }),
    );
    for (const server of servers.slice(1)) await clients[0].call('CLUSTER', 'MEET', '127.0.0.1', server.port);
    await waitFor(
      async () => {
        const states = await Promise.all(clients.map((client) => client.call('CLUSTER', 'INFO') as Promise<string>));
        return states.every((info) => info.includes('cluster_state:ok') && info.includes(`cluster_known_nodes:${masters}`));
      },
      { timeout: 15_000, interval: 100 },
    );
  } finally {
    clients.forEach((client) => client.disconnect());
  }
  return {
    nodes: servers.map((server) => ({ host: '127.0.0.1', port: server.port })),
    stop: async () => {
      await Promise.all(servers.map((server) => server.stop()));
    },
    restart: async (port) => {
      await servers.find((server) => server.port === port)?.restart();
    },
    signal: (port, signal) => {
      servers.find((server) => server.port === port)?.signal(signal);
    },
  };
}
