/**
 * An instance running the PostgreSQL change feed in its own Node process, so a test can SIGKILL it.
 * Started with its CacheModule options as JSON in argv[2]; reports `{ ready }` and then `{ role }` on
 * every change of its feed role over IPC. Invalidates `product:<id>` on changes of `products`.
 */
import 'reflect-metadata';
import { Injectable, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheStats, OnTableChange, type CacheModuleOptions, type TableChange } from 'nestjs-tiered-cache';

const options = JSON.parse(process.argv[2] ?? '{}') as CacheModuleOptions;

@Injectable()
class ProductKeys {
  @OnTableChange('products')
  onProduct(change: TableChange): { keys: string[] } {
    return { keys: [change.key, change.previousKey].flatMap((key) => (key?.id ? [`product:${key.id}`] : [])) };
  }
}

@Module({ imports: [CacheModule.forRoot(options)], providers: [ProductKeys] })
class WorkerModule {}

async function main(): Promise<void> {
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  const stats = app.get(CacheStats);
  let role: string | undefined;
  setInterval(() => {
    const current = stats.changeFeed?.role;
    if (current === role) return;
    role = current;
    process.send?.({ role });
  }, 5);
  process.on('message', () => void app.close().then(() => process.exit(0)));
  process.send?.({ ready: true });
}

void main();
