/**
 * A write-behind instance in its own Node process (caller and worker of the queue), driven over IPC by
 * the write-behind outage and crash tests. argv[2]: CacheModule options; argv[3]: the store settings.
 */
import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, WriteBehindQueue, type CacheModuleOptions } from 'nestjs-tiered-cache';
import { AppendOnlyStore } from './write-behind-store.js';
import { SequenceWriter, writerSettings } from './write-behind-writer.js';

interface WorkerRequest {
  id: number;
  op: string;
  args: unknown[];
}

const options = JSON.parse(process.argv[2] ?? '{}') as CacheModuleOptions;
const store = JSON.parse(process.argv[3] ?? '{}') as { file: string; fenced?: boolean };

@Module({ imports: [CacheModule.forRoot(options)], providers: [SequenceWriter] })
class WorkerModule {}

async function main(): Promise<void> {
  Logger.overrideLogger(['error']);
  Object.assign(writerSettings, { store: new AppendOnlyStore(store.file), fenced: store.fenced ?? false });
  const app = await NestFactory.createApplicationContext(WorkerModule, { logger: ['error'] });
  const writer = app.get(SequenceWriter);
  const operations: Record<string, (...args: never[]) => Promise<unknown>> = {
    save: (key: string, seq: number) => writer.save(key, seq),
    drain: (timeout: number) => app.get(WriteBehindQueue).drain(timeout),
    close: async () => {
      await app.close();
      setImmediate(() => process.exit(0));
    },
  };
  process.on('message', (request: WorkerRequest) => {
    const operation = operations[request.op] as (...args: unknown[]) => Promise<unknown>;
    Promise.resolve()
      .then(() => operation(...request.args))
      .then(
        (result) => process.send?.({ id: request.id, result }),
        (error: unknown) => process.send?.({ id: request.id, error: error instanceof Error ? error.message : String(error) }),
      );
  });
  process.send?.({ ready: true });
}

void main();
