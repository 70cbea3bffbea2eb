import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CacheModuleOptions } from 'nestjs-tiered-cache';

const WORKER_SCRIPT = fileURLToPath(new URL('../../dist/test/support/cache-worker.js', import.meta.url));

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
}

/** Forks a worker process with `options`; needs `npm run build` first (npm test does it). */
export async function spawnCacheWorker(options: CacheModuleOptions): Promise<CacheWorker> {
  if (!existsSync(WORKER_SCRIPT)) throw new Error(`${WORKER_SCRIPT} is missing: run 'npm run build' first`);
  const child = fork(WORKER_SCRIPT, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
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
