import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { createDatabase } from './create-database.js';
import { DATABASE, type Database } from './database.interface.js';
import { seedProducts } from '../products/seed-products.js';

const OWNS_DATABASE = Symbol('OWNS_DATABASE');

/** Provides the {@link Database}: a shared one passed in (tests), or one it opens, seeds and closes. */
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(OWNS_DATABASE) private readonly ownsDatabase: boolean,
  ) {}

  static forRoot(options: { databaseUrl: string | undefined; seedCount: number; shared?: Database }): DynamicModule {
    const databaseProvider = options.shared
      ? { provide: DATABASE, useValue: options.shared }
      : {
          provide: DATABASE,
          useFactory: async () => {
            const database = createDatabase(options.databaseUrl);
            await seedProducts(database, options.seedCount);
            return database;
          },
        };
    return {
      module: DatabaseModule,
      global: true,
      providers: [databaseProvider, { provide: OWNS_DATABASE, useValue: !options.shared }],
      exports: [DATABASE],
    };
  }

  async onApplicationShutdown(): Promise<void> {
    if (this.ownsDatabase) await this.database.close();
  }
}
