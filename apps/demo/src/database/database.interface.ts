/** The little the demo needs from a SQL database: parameterized queries returning rows. */
export interface Database {
  query<T>(sql: string, params?: unknown[]): Promise<T[]>;
  close(): Promise<void>;
}

/** Injection token of the {@link Database}. */
export const DATABASE = Symbol('DATABASE');
