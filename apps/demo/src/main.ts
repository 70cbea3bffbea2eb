import 'reflect-metadata';
import { Logger } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { DemoModule } from './app.module.js';
import { configFromEnvironment } from './demo.config.js';

async function bootstrap(): Promise<void> {
  const config = configFromEnvironment();
  const app = await NestFactory.create(DemoModule.forRoot(config));
  app.enableShutdownHooks();
  await app.listen(config.port);
  new Logger('Demo').log(`Catalogue on http://127.0.0.1:${config.port} (try GET /products/13, GET /stats)`);
}

void bootstrap();
