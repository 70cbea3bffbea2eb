/**
 * A cache instance in its own Node process for the fault suite: it can be SIGKILLed in the middle
 * of a load, and a test can tell whether it survived hostile input. Started by `spawnFaultWorker`
 * with its CacheModule options as JSON in argv[2]; answers requests over IPC.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';

/** A call from the parent: `op(...args)`, answered with the same `id`. */
type FaultWorkerRequest = { id: number; op: string; args: unknown[] };

async function main(): Promise<void> {
  const options = JSON.parse(process.argv[2] ?? '{}') as CacheModuleOptions;
  const logger = process.env.FAULTS_VERBOSE ? undefined : false;
  const app = await NestFactory.createApplicationContext(CacheModule.forRoot(options), { logger });
  const cache = app.get(CacheService);
  const operations: Record<string, (...args: never[]) => Promise<unknown>> = {
    get: (key: string) => cache.get(key),
    set: (key: string, value: unknown) => cache.set(key, value),
    // Tells the parent once its loader runs (so it holds the load lock), then loads for `delay` ms.
    slowLoad: (key: string, value: unknown, delay: number) =>
      cache.getOrSet(key, async () => {
        process.send?.({ event: 'loading', key, pid: process.pid });
        await new Promise((resolve) => setTimeout(resolve, delay));
        return value;
      }),
  };
  process.on('message', (request: FaultWorkerRequest) => {
    const operation = operations[request.op] as ((...args: unknown[]) => Promise<unknown>) | undefined;
    Promise.resolve()
      .then(() => (operation ? operation(...request.args) : Promise.reject(new Error(`unknown op ${request.op}`))))
      .then(
        (result) => process.send?.({ id: request.id, result }),
        (error: unknown) => process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.send?.({ ready: true });
}

void main();
