import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { Redis } from 'ioredis';

/** A throwaway redis-server started by a test; only what a test started is ever killed. */
export interface RedisServerHandle {
  port: number;
  /** `redis://127.0.0.1:<port>` */
  url: string;
  /** The current process (changes on restart). */
  readonly pid: number | undefined;
  /** SIGTERM, SIGKILL after 2s, resolves once the process has exited. */
  stop(): Promise<void>;
  /** Stops and starts again on the same port (data is gone); `{ crash: true }` SIGKILLs instead of SIGTERM. */
  restart(options?: { crash?: boolean }): Promise<void>;
  /** Sends `signal` to the current process (e.g. `SIGSTOP`/`SIGCONT` to stall it); no-op once it has exited. */
  signal(signal: NodeJS.Signals): void;
  /** SIGKILLs the current process (it may be stopped) and resolves once it has exited. */
  crash(): Promise<void>;
}

const started = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of started) child.kill('SIGKILL');
});

/** A TCP port that was free a moment ago on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port'))));
    });
  });
}

/** Fails with an install hint when the binary is missing. */
export function assertRedisServerInstalled(): void {
  if (spawnSync('redis-server', ['--version']).error) {
    throw new Error('redis-server not found: install it (apt-get install redis-server) or set REDIS_URL');
  }
}

/** Spawns `redis-server` on a free port and waits until it answers PING. */
export async function startRedisServer(options: { args?: string[] } = {}): Promise<RedisServerHandle> {
  assertRedisServerInstalled();
  const port = await freePort();
  let child = await launch(port, options.args ?? []);
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    get pid() {
      return child.pid;
    },
    stop: () => terminate(child),
    async restart({ crash = false } = {}) {
      await (crash ? kill(child) : terminate(child));
      child = await relaunch(port, options.args ?? []);
    },
    signal(signal) {
      if (!hasExited(child)) child.kill(signal);
    },
    crash: () => kill(child),
  };
}

// NOTE: right after an exit the port or a Cluster node's config lock can still be held for a moment on a
// busy machine; a few spaced attempts keep a restart from failing a test for that.
async function relaunch(port: number, args: string[], attempts = 5): Promise<ChildProcess> {
  for (let attempt = 1; ; attempt += 1) {
    try {
      return await launch(port, args);
    } catch (error) {
      if (attempt >= attempts) throw error;
      await new Promise((resolve) => setTimeout(resolve, 300 * attempt));
    }
  }
}

async function launch(port: number, args: string[]): Promise<ChildProcess> {
  const child = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--daemonize', 'no', ...args],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  started.add(child);
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    if (stderr.length < 4_000) stderr += chunk.toString();
  });
  const died = new Promise<never>((_, reject) => {
    const fail = (reason: string): void => reject(new Error(`redis-server on port ${port} ${reason}${stderr ? `: ${stderr.trim()}` : ''}`));
    child.once('error', (error) => fail(`failed to start (${error.message})`));
    child.once('close', (code, signal) => fail(`exited before answering PING (${signal ?? `code ${code}`})`));
  });
  child.once('exit', () => started.delete(child));
  try {
    await Promise.race([waitForPing(port, () => hasExited(child)), died]);
  } catch (error) {
    await terminate(child);
    throw error;
  }
  return child;
}

async function waitForPing(port: number, gone: () => boolean): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline && !gone()) {
    const client = new Redis({ port, host: '127.0.0.1', lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if ((await client.ping()) === 'PONG') return;
    } catch {
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      // disconnect() after a refused connect arms ioredis' 2s disconnectTimeout, which keeps Jest alive
      if (client.status !== 'end') client.disconnect();
    }
  }
  throw new Error(`redis-server on port ${port} did not answer PING within 10s`);
}

async function kill(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGKILL');
  await exited;
}

async function terminate(child: ChildProcess): Promise<void> {
  if (hasExited(child)) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  // NOTE: a stopped (SIGSTOP) server only handles SIGTERM once it runs again.
  child.kill('SIGCONT');
  const timer = setTimeout(() => child.kill('SIGKILL'), 2_000);
  await exited;
  clearTimeout(timer);
}

function hasExited(child: ChildProcess): boolean {
  return child.pid === undefined || child.exitCode !== null || child.signalCode !== null;
}
