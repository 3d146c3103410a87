import { Kysely, PostgresDialect, sql } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb } from '../../db/database';
import { withPreparedStatements } from '../../db/prepared-statements';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// One connection per pool, so pg_prepared_statements (a session's own view) shows what the statements left behind.
let database: TestDatabase;
let admin: pg.Client;

beforeAll(async () => {
  database = await createTestDatabase(inject('adminDatabaseUrl'), { migrate: false });
  admin = new pg.Client({ connectionString: database.url });
  await admin.connect();
  await admin.query('CREATE TABLE things (id int PRIMARY KEY, label text NOT NULL)');
  await admin.query("INSERT INTO things VALUES (1, 'one'), (2, 'two'), (3, 'three')");
});
afterAll(async () => {
  await admin.end();
  await database.drop();
});

// The test's own tables are not in the application's schema.
type AnyDb = Kysely<any>;

const label = (db: AnyDb, id: number) =>
  db.selectFrom('things').select('label').where('id', '=', id).executeTakeFirstOrThrow();

async function preparedOnSession(db: AnyDb): Promise<string[]> {
  const { rows } = await sql<{
    statement: string;
  }>`SELECT statement FROM pg_prepared_statements ORDER BY statement`.execute(db);
  return rows.map((row) => row.statement);
}

function onePool(url: string): pg.Pool {
  return new pg.Pool({ connectionString: url, max: 1 });
}

describe('named prepared statements', () => {
  it('a parameterised statement is prepared once per connection and answers as before', async () => {
    const db = createDb(database.url, { maxConnections: 1 }) as unknown as AnyDb;
    try {
      expect(await label(db, 1)).toEqual({ label: 'one' });
      expect(await label(db, 2)).toEqual({ label: 'two' });
      const prepared = await preparedOnSession(db);
      expect(prepared).toHaveLength(1);
      expect(prepared[0]).toContain('from "things"');
    } finally {
      await db.destroy();
    }
  });

  it('statements without parameters, multi-statement scripts included, stay on the simple protocol', async () => {
    const db = createDb(database.url, { maxConnections: 1 }) as unknown as AnyDb;
    try {
      await sql`SELECT 1; SELECT 2`.execute(db);
      await db.selectFrom('things').select('id').execute();
      expect(await preparedOnSession(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('turned off, nothing is prepared', async () => {
    const db = createDb(database.url, { maxConnections: 1, preparedStatements: false }) as unknown as AnyDb;
    try {
      expect(await label(db, 3)).toEqual({ label: 'three' });
      expect(await preparedOnSession(db)).toEqual([]);
    } finally {
      await db.destroy();
    }
  });

  it('past the bound, further statements run unnamed', async () => {
    const db: AnyDb = new Kysely({
      dialect: new PostgresDialect({ pool: withPreparedStatements(onePool(database.url), 2) }),
    });
    try {
      await db.selectFrom('things').select('id').where('id', '=', 1).execute();
      await db.selectFrom('things').select('label').where('id', '=', 1).execute();
      const third = await db.selectFrom('things').select(['id', 'label']).where('id', '=', 2).execute();
      expect(third).toEqual([{ id: 2, label: 'two' }]);
      expect(await preparedOnSession(db)).toHaveLength(2);
    } finally {
      await db.destroy();
    }
  });

  it('a statement first prepared in a transaction that rolled back is still usable after it', async () => {
    const db = createDb(database.url, { maxConnections: 1 }) as unknown as AnyDb;
    try {
      await expect(
        db.transaction().execute(async (trx) => {
          await label(trx, 1);
          throw new Error('abandon');
        }),
      ).rejects.toThrow('abandon');
      expect(await label(db, 2)).toEqual({ label: 'two' });
    } finally {
      await db.destroy();
    }
  });

  it('after a migration changes what `select *` returns: answered at once, in a transaction refused once', async () => {
    await admin.query('CREATE TABLE widgets (id int PRIMARY KEY)');
    await admin.query('INSERT INTO widgets VALUES (1)');
    const db = createDb(database.url, { maxConnections: 1 }) as unknown as AnyDb;
    const everything = (on: AnyDb) => on.selectFrom('widgets').selectAll().where('id', '=', 1).executeTakeFirst();
    try {
      expect(await everything(db)).toEqual({ id: 1 });
      await admin.query("ALTER TABLE widgets ADD COLUMN colour text NOT NULL DEFAULT 'red'");
      expect(await everything(db)).toEqual({ id: 1, colour: 'red' });

      await admin.query('ALTER TABLE widgets ADD COLUMN size int NOT NULL DEFAULT 3');
      // In a transaction the failed statement has already aborted it: the caller's retry gets a fresh plan.
      await expect(db.transaction().execute((trx) => everything(trx))).rejects.toThrow(/cached plan/);
      expect(await db.transaction().execute((trx) => everything(trx))).toEqual({ id: 1, colour: 'red', size: 3 });
    } finally {
      await db.destroy();
    }
  });
});
