import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { CacheModuleOptions } from 'nestjs-tiered-cache';

const WORKER_SCRIPT = fileURLToPath(new URL('../../../dist/test/faults/support/fault-worker.js', import.meta.url));

interface WorkerMessage {
  id?: number;
  result?: unknown;
  error?: string;
  ready?: boolean;
  event?: string;
}

/** A cache instance in a child process (see fault-worker.ts); killed only through its own pid. */
export interface FaultWorker {
  readonly pid: number;
  /** Calls `op`; rejects after `timeout` ms or when the process has exited (a crash). */
  call<T = unknown>(op: string, args: unknown[], timeout?: number): Promise<T>;
  /** Resolves on the next `{ event }` message the worker sends. */
  next(event: string): Promise<void>;
  /** Whether the process is gone, and how. */
  readonly exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  kill(signal: NodeJS.Signals): Promise<void>;
}

const workers = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of workers) child.kill('SIGKILL');
});

/** Forks a worker with `options`; needs `npm run build` first (npm test does it). */
export async function spawnFaultWorker(options: CacheModuleOptions): Promise<FaultWorker> {
  if (!existsSync(WORKER_SCRIPT)) throw new Error(`${WORKER_SCRIPT} is missing: run 'npm run build' first`);
  const child = fork(WORKER_SCRIPT, [JSON.stringify(options)], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  workers.add(child);
  let exit: FaultWorker['exit'];
  const exited = new Promise<void>((resolve) =>
    child.once('exit', (code, signal) => {
      exit = { code, signal };
      workers.delete(child);
      resolve();
    }),
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('fault worker did not start within 20s')), 20_000);
    void exited.then(() => reject(new Error(`fault worker exited at startup (${JSON.stringify(exit)})`)));
    child.on('message', (message: WorkerMessage) => {
      if (!message.ready) return;
      clearTimeout(timer);
      resolve();
    });
  });
  let nextId = 0;
  return {
    pid: child.pid ?? 0,
    get exit() {
      return exit;
    },
    call<T>(op: string, args: unknown[], timeout = 5_000): Promise<T> {
      const id = ++nextId;
      return new Promise<T>((resolve, reject) => {
        const timer = setTimeout(() => finish(() => reject(new Error(`fault worker did not answer '${op}' within ${timeout}ms`))), timeout);
        const onMessage = (message: WorkerMessage): void => {
          if (message.id !== id) return;
          finish(() => (message.error === undefined ? resolve(message.result as T) : reject(new Error(message.error))));
        };
        const finish = (settle: () => void): void => {
          clearTimeout(timer);
          child.off('message', onMessage);
          settle();
        };
        void exited.then(() => finish(() => reject(new Error(`fault worker exited (${JSON.stringify(exit)}) before answering '${op}'`))));
        child.on('message', onMessage);
        if (exit === undefined) child.send({ id, op, args });
      });
    },
    next(event: string): Promise<void> {
      return new Promise((resolve) => {
        const onMessage = (message: WorkerMessage): void => {
          if (message.event !== event) return;
          child.off('message', onMessage);
          resolve();
        };
        child.on('message', onMessage);
      });
    },
    async kill(signal: NodeJS.Signals) {
      if (exit !== undefined) return;
      child.kill(signal);
      await exited;
    },
  };
}
