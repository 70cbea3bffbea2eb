import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CacheModuleOptions } from 'nestjs-tiered-cache';

const workerScript = (name: string): string => fileURLToPath(new URL(`../../dist/test/support/${name}.js`, import.meta.url));

interface WorkerReply {
  id?: number;
  result?: unknown;
  error?: string;
  ready?: boolean;
}

/** A cache instance running in a child process (see cache-worker.ts). */
export interface CacheWorker {
  call<T = unknown>(op: string, ...args: unknown[]): Promise<T>;
  close(): Promise<void>;
  /** SIGKILL, resolves once the process is gone. */
  kill(): Promise<void>;
}

/** Another worker script under test/support (default `cache-worker`) and extra arguments after the options. */
export interface WorkerScript {
  script?: string;
  args?: string[];
}

/** Forks a worker process with `options`; needs `npm run build` first (npm test does it). */
export async function spawnCacheWorker(options: CacheModuleOptions, { script = 'cache-worker', args = [] }: WorkerScript = {}): Promise<CacheWorker> {
  const path = workerScript(script);
  if (!existsSync(path)) throw new Error(`${path} is missing: run 'npm run build' first`);
  const child = fork(path, [JSON.stringify(options), ...args], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const pending = new Map<number, { resolve: (value: unknown) => void; reject: (error: Error) => void }>();
  let nextId = 0;
  await waitForReady(child);
  child.on('message', (reply: WorkerReply) => {
    if (reply.id === undefined) return;
    const waiter = pending.get(reply.id);
    pending.delete(reply.id);
    if (reply.error !== undefined) waiter?.reject(new Error(reply.error));
    else waiter?.resolve(reply.result);
  });
  return {
    call<T>(op: string, ...args: unknown[]): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, op, args });
      });
    },
    async close(): Promise<void> {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.send({ id: ++nextId, op: 'close', args: [] });
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
    async kill(): Promise<void> {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;
    },
  };
}

function waitForReady(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('cache worker did not start within 20s')), 20_000);
    child.once('exit', (code) => reject(new Error(`cache worker exited with ${code}`)));
    child.on('message', (reply: WorkerReply) => {
      if (!reply.ready) return;
      clearTimeout(timer);
      resolve();
    });
  });
}
