import 'reflect-metadata';
import { Logger, Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './app.module.js';
import { hasLogicalReplication } from './database/wal-level.check.js';
import { configFromEnvironment } from './demo.config.js';
import { MetricsModule } from './metrics.module.js';

const logger = new Logger('Demo');

async function bootstrap(): Promise<void> {
  const config = configFromEnvironment();
  config.changeFeed = config.databaseUrl !== undefined && (await hasLogicalReplication(config.databaseUrl));
  if (!config.changeFeed) logger.log('Change feed off (needs DATABASE_URL on a PostgreSQL with wal_level = logical): SQL changes reach the cache only through the API');
  @Module({ imports: [DemoModule.forRoot(config), MetricsModule] })
  class DemoApplication {}
  const app = await NestFactory.create(DemoApplication);
  app.enableShutdownHooks();
  await (config.host ? app.listen(config.port, config.host) : app.listen(config.port));
  const database = config.databaseUrl ? 'PostgreSQL (DATABASE_URL)' : 'embedded PGlite';
  logger.log(`Catalogue on http://${config.host ?? '127.0.0.1'}:${config.port} (${database}; try GET /products/13, GET /stats, GET /metrics)`);
}

bootstrap().catch((error: unknown) => {
  logger.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
