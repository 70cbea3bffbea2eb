import { Test } from '@nestjs/testing';
import { DemoModule } from '../apps/demo/src/app.module.js';
import { PgliteDatabase } from '../apps/demo/src/database/pglite.database.js';
import { seedProducts } from '../apps/demo/src/products/seed-products.js';

it('probe', async () => {
  const db = new PgliteDatabase();
  await seedProducts(db, 100);
  console.log('before', JSON.stringify(process.getActiveResourcesInfo()));
  const m = await Test.createTestingModule({ imports: [DemoModule.forRoot({ port: 0, redisUrl: 'redis://127.0.0.1:1', databaseUrl: undefined, namespace: 'hx', seedCount: 0 }, db)] }).compile();
  const app = m.createNestApplication({ logger: ['error'] });
  await app.init();
  console.log('inited', JSON.stringify(process.getActiveResourcesInfo()));
  await app.close();
  console.log('closed', JSON.stringify(process.getActiveResourcesInfo()));
  await db.close();
  for (const delay of [0, 1500, 4000]) {
    await new Promise((r) => setTimeout(r, delay));
    console.log(delay, JSON.stringify(process.getActiveResourcesInfo()));
  }
}, 30000);
