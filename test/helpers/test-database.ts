import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { createDb, type Db } from '../../db/database';
import { migrateToLatest } from '../../db/migrate';

export interface TestDatabase {
  url: string;
  name: string;
  db: Db;
  drop(): Promise<void>;
}

async function admin<T>(adminUrl: string, fn: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** A fresh database on the run's PostgreSQL, so test files never see each other's rows. */
export async function createTestDatabase(adminUrl: string, options: { migrate?: boolean } = {}): Promise<TestDatabase> {
  const name = `test_${randomBytes(6).toString('hex')}`;
  await admin(adminUrl, (c) => c.query(`CREATE DATABASE ${name}`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const db = createDb(url.toString(), { maxConnections: 30 });
  if (options.migrate !== false) await migrateToLatest(db);
  return {
    url: url.toString(),
    name,
    db,
    async drop() {
      await db.destroy();
      await admin(adminUrl, (c) => c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`));
    },
  };
}
