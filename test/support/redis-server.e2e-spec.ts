import { Redis } from 'ioredis';
import { startRedisServer, type RedisServerHandle } from './redis-server.js';
import { startTcpProxy, type TcpProxy } from './tcp-proxy.js';
import { redisUrl, uniqueNamespace, waitFor } from './test-redis.js';

/** A client that fails fast instead of queueing or retrying while Redis is unreachable. */
function impatientClient(url: string): Redis {
  const client = new Redis(url, { enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 300, retryStrategy: () => 50 });
  client.on('error', () => undefined);
  return client;
}

const isAlive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('test support: throwaway redis-server and TCP proxy', () => {
  let server: RedisServerHandle;
  let proxy: TcpProxy | undefined;
  const clients: Redis[] = [];

  beforeAll(async () => {
    server = await startRedisServer();
  });
  afterEach(async () => {
    await Promise.all(clients.splice(0).map((client) => (client.status === 'ready' ? client.quit() : client.disconnect())));
    await proxy?.close();
    proxy = undefined;
  });
  afterAll(() => server.stop());

  it('the global setup provides a Redis, and namespaces are unique and key-safe', async () => {
    const client = new Redis(redisUrl());
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
    const namespace = uniqueNamespace('spec');
    expect(namespace).toMatch(/^spec[A-Za-z0-9_.-]+$/);
    expect(uniqueNamespace()).not.toBe(uniqueNamespace());
  });

  it('starts a server that stores and returns values', async () => {
    expect(server.url).toBe(`redis://127.0.0.1:${server.port}`);
    const client = new Redis(server.url);
    clients.push(client);
    await client.set('greeting', 'hello');
    expect(await client.get('greeting')).toBe('hello');
  });

  it('restarts on the same port', async () => {
    const { port, pid } = server;
    await server.restart();
    expect(server.port).toBe(port);
    expect(server.pid).not.toBe(pid);
    const client = new Redis(server.url);
    clients.push(client);
    expect(await client.ping()).toBe('PONG');
  });

  it('cutting the proxy makes commands fail, restoring makes them work again', async () => {
    proxy = await startTcpProxy(server.port);
    const client = impatientClient(proxy.url);
    clients.push(client);
    await waitFor(() => client.status === 'ready');
    await client.set('through-proxy', 'kept');

    proxy.cut();
    await expect(client.get('through-proxy')).rejects.toThrow();

    proxy.restore();
    await waitFor(async () => (await client.get('through-proxy').catch(() => null)) === 'kept', { timeout: 5_000, interval: 50 });
  });

  it('stop ends the process', async () => {
    const pid = server.pid;
    expect(pid).toBeDefined();
    await server.stop();
    expect(isAlive(pid as number)).toBe(false);
  });

  it('fails fast with the reason when redis-server cannot start', async () => {
    await expect(startRedisServer({ args: ['--no-such-option', 'x'] })).rejects.toThrow(/exited before answering PING/);
  });

  it('waitFor gives up with a message', async () => {
    await expect(waitFor(() => false, { timeout: 50 })).rejects.toThrow(/within 50ms/);
  });
});
