/**
 * A cache "instance" in its own Node process, driven over IPC by the multi-process tests.
 * Started by `spawnCacheWorker` with its CacheModule options as JSON in argv[2].
 */
import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { Module } from '@nestjs/common';
import { CacheModule, CacheService, type CacheModuleOptions } from 'nestjs-tiered-cache';

interface WorkerRequest {
  id: number;
  op: string;
  args: unknown[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as CacheModuleOptions;

@Module({ imports: [CacheModule.forRoot(options)] })
class WorkerModule {}

const now = (): number => performance.timeOrigin + performance.now();

async function watchUntilChanged(cache: CacheService, key: string, old: unknown, timeout: number): Promise<number> {
  const deadline = Date.now() + timeout;
  while (Date.now() < deadline) {
    const value = await cache.get(key);
    if (value !== old) return now();
    await new Promise((resolve) => setImmediate(resolve));
  }
  throw new Error(`'${key}' still ${JSON.stringify(old)} after ${timeout}ms`);
}

async function burst(cache: CacheService, count: number, keys: number): Promise<{ seconds: number }> {
  const started = now();
  const batch: Promise<void>[] = [];
  for (let index = 0; index < count; index += 1) {
    batch.push(cache.set(`burst:${index % keys}`, index));
    if (batch.length === 200) await Promise.all(batch.splice(0));
  }
  await Promise.all(batch);
  return { seconds: (now() - started) / 1000 };
}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  const cache = app.get(CacheService);
  const operations: Record<string, (...args: never[]) => Promise<unknown>> = {
    set: async (key: string, value: unknown) => (await cache.set(key, value), now()),
    get: (key: string) => cache.get(key),
    getMany: (keys: string[]) => cache.getMany(keys),
    delete: async (key: string) => (await cache.delete(key), now()),
    invalidateTags: async (tag: string) => (await cache.invalidateTags(tag), now()),
    clear: async () => (await cache.clear(), now()),
    setTagged: async (key: string, value: unknown, tag: string) => (await cache.set(key, value, { tags: [tag] }), now()),
    watch: (key: string, old: unknown, timeout: number) => watchUntilChanged(cache, key, old, timeout),
    burst: (count: number, keys: number) => burst(cache, count, keys),
    stats: async () => cache.stats.snapshot(),
    close: async () => {
      await app.close();
      setImmediate(() => process.exit(0));
    },
  };
  process.on('message', (request: WorkerRequest) => {
    const operation = operations[request.op];
    Promise.resolve()
      .then(() => (operation as (...args: unknown[]) => Promise<unknown>)(...request.args))
      .then(
        (result) => process.send?.({ id: request.id, result }),
        (error: unknown) => process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.send?.({ ready: true });
}

void main();
