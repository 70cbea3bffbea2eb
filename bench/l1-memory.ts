/**
 * `npm run build && node --expose-gc dist/bench/l1-memory.js`: the heap L1 really holds per entry,
 * against what `l1.maxBytes` counts (the estimate, also `cache_memory_bytes`), for several value shapes.
 */
import 'reflect-metadata';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { CacheModule, CacheService } from 'nestjs-tiered-cache';

const ENTRIES = 20_000;

const SHAPES: Record<string, (index: number) => unknown> = {
  product: (index) => ({
    id: index,
    name: `Product ${index}`,
    price: 19.99 + index,
    category: `category-${index % 20}`,
    tags: ['sale', 'new'],
    createdAt: new Date(1_700_000_000_000 + index),
  }),
  'list of 20 objects': (index) => Array.from({ length: 20 }, (_, item) => ({ id: index * 100 + item, ok: true, n: item })),
  'ASCII text 1.2 KB': (index) => ({ id: index, body: 'lorem ipsum '.repeat(100) + index }),
  'non-Latin-1 text': (index) => ({ id: index, body: 'ééé 😀 '.repeat(100) + index }),
  '10 Dates': (index) => Array.from({ length: 10 }, (_, item) => new Date(index * 1_000 + item)),
  'Map of 10': (index) => new Map(Array.from({ length: 10 }, (_, item) => [`k${item}`, { v: index + item }])),
  '100 doubles': (index) => Array.from({ length: 100 }, (_, item) => index + item + 0.5),
  'object of 200 fields': (index) => Object.fromEntries(Array.from({ length: 200 }, (_, item) => [`field${item}`, index + item])),
  'small integer': (index) => index,
  'BigInt': (index) => 2n ** 100n + BigInt(index),
  '32-byte Buffer': (index) => ({ id: index, bytes: Buffer.alloc(32, index) }),
  '4 KB Buffer': (index) => Buffer.alloc(4_096, index),
};

function collect(): number {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run with node --expose-gc');
  gc();
  gc();
  const usage = process.memoryUsage();
  return usage.heapUsed + usage.external;
}

async function main(): Promise<void> {
  @Module({ imports: [CacheModule.forRoot({ namespace: 'bench-memory', l1: { max: ENTRIES * 2, maxBytes: 2 ** 40, ttl: '1h' } })] })
  class MemoryModule {}
  const app = await NestFactory.createApplicationContext(MemoryModule, { logger: ['error'] });
  const cache = app.get(CacheService);
  process.stdout.write(`node ${process.version}, ${ENTRIES} entries per shape, L1 only\n\n`);
  for (const [name, make] of Object.entries(SHAPES)) {
    await cache.clear();
    const before = collect();
    for (let index = 0; index < ENTRIES; index += 1) await cache.set(`key:${index}`, make(index));
    const held = collect() - before;
    const counted = cache.stats.l1Size?.bytes() ?? 0;
    process.stdout.write(
      `${name.padEnd(22)} held ${(held / ENTRIES).toFixed(0).padStart(6)} B/entry   counted ${(counted / ENTRIES).toFixed(0).padStart(6)} B/entry   held/counted ${(held / counted).toFixed(2)}\n`,
    );
  }
  await app.close();
}

void main();
