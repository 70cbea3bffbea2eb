import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './app.module.js';
import { configFromEnvironment } from './demo.config.js';

const logger = new Logger('Demo');

async function bootstrap(): Promise<void> {
  const config = configFromEnvironment();
  const app = await NestFactory.create(DemoModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port);
  const database = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
  logger.log(`Catalogue on http://127.0.0.1:${config.port} (${database}; try GET /products/13, GET /stats)`);
}

bootstrap().catch((error: unknown) => {
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
