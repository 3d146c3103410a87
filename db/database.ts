import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { withPreparedStatements } from './prepared-statements';
import type { Database } from './schema';

// int8 (bigint, count(*)) as JS number: amounts and counters stay far below 2^53.
pg.types.setTypeParser(pg.types.builtins.INT8, (value) => Number(value));
// `date` stays a plain 'YYYY-MM-DD' string: no time-zone shift through JS Date.
pg.types.setTypeParser(pg.types.builtins.DATE, (value) => value);

export type Db = Kysely<Database>;

export interface PoolOptions {
  maxConnections?: number;
  /** How long a query waits for a free connection before it fails (0 = forever; pg's meaning). */
  connectionTimeoutMs?: number;
  /** How long an unused connection stays open (0 = until the pool ends). */
  idleTimeoutMs?: number;
  /** Parameterised statements as named prepared statements (off behind a pooler that cannot keep them). */
  preparedStatements?: boolean;
}

export function createDb(databaseUrl: string, options: PoolOptions = {}): Db {
  const pool = new pg.Pool({
    connectionString: databaseUrl,
    max: options.maxConnections ?? 10,
    connectionTimeoutMillis: options.connectionTimeoutMs ?? 5_000,
    idleTimeoutMillis: options.idleTimeoutMs ?? 30_000,
  });
  // An idle client that loses its server must not crash the process.
  pool.on('error', () => undefined);
  const prepared = options.preparedStatements ?? true;
  return new Kysely<Database>({
    dialect: new PostgresDialect({ pool: prepared ? withPreparedStatements(pool) : pool }),
  });
}
