/**
 * Entry of the load benchmark's reference apps (child processes): `LOAD_APP=baseline` (the demo's routes
 * without the cache, on `DATABASE_URL` or PGlite) or `LOAD_APP=floor` (constant answers). Listens on
 * `127.0.0.1:$PORT`.
 */
import 'reflect-metadata';
import { NestFactory } from '@nestjs/core';
import { BaselineModule } from './baseline.module.js';
import { FloorModule } from './floor.module.js';

async function bootstrap(): Promise<void> {
  const kind = process.env.LOAD_APP;
  if (kind !== 'baseline' && kind !== 'floor') throw new Error(`LOAD_APP must be 'baseline' or 'floor', got '${kind}'`);
  const module = kind === 'floor' ? FloorModule : BaselineModule.forRoot(process.env.DATABASE_URL || undefined, 10_000);
  const app = await NestFactory.create(module, { logger: ['error', 'warn'] });
  app.enableShutdownHooks();
  await app.listen(Number(process.env.PORT), '127.0.0.1');
}

bootstrap().catch((error: unknown) => {
  process.stderr.write(`${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
