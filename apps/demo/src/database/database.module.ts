import { Inject, Module, type DynamicModule, type OnApplicationShutdown } from '@nestjs/common';
import { createDatabase } from './create-database.js';
import { DATABASE, type Database } from './database.interface.js';

const OWNS_DATABASE = Symbol('OWNS_DATABASE');

/** Options of {@link DatabaseModule.forRoot}. */
export interface DatabaseModuleOptions {
  /** Real PostgreSQL; embedded PGlite when absent. */
  databaseUrl: string | undefined;
  /** A database opened by the caller (tests share one between instances); never closed by the module. */
  shared?: Database;
}

/** Provides the {@link Database}: a shared one passed in, or one it opens (by factory) and closes at shutdown. */
@Module({})
export class DatabaseModule implements OnApplicationShutdown {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(OWNS_DATABASE) private readonly ownsDatabase: boolean,
  ) {}

  /** A global module exporting the `DATABASE` token. */
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    const databaseProvider = options.shared
      ? { provide: DATABASE, useValue: options.shared }
      : { provide: DATABASE, useFactory: () => createDatabase(options.databaseUrl) };
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
