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
  admin.on('error', () => undefined);
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
  const pool = new pg.Pool({ connectionString: url, max: 1 });
  // The file's database is dropped with FORCE when it ends: a connection still closing then hears of it (as in
  // hot-row-locks.test.ts and createDb's pool, db/database.ts).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  return pool;
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

  describe("a transaction's BEGIN travels with its first statement", () => {
    /** A pool of one connection that counts what reaches pg's client (each call is one round trip). */
    function countingDb(): { db: AnyDb; sent: string[] } {
      const pool = onePool(database.url);
      const sent: string[] = [];
      const connect = pool.connect.bind(pool);
      pool.connect = (async () => {
        const client = await connect();
        const tagged = client as pg.PoolClient & { counted?: boolean };
        if (!tagged.counted) {
          tagged.counted = true;
          const query = client.query.bind(client) as (...args: unknown[]) => unknown;
          (client as { query: unknown }).query = (first: unknown, ...rest: unknown[]) => {
            const text = typeof first === 'string' ? first : (first as { text?: string }).text;
            sent.push((text ?? '').trim().slice(0, 30).toLowerCase());
            return query(first, ...rest);
          };
        }
        return client;
      }) as typeof pool.connect;
      return { db: new Kysely({ dialect: new PostgresDialect({ pool: withPreparedStatements(pool) }) }), sent };
    }

    const xact = (on: AnyDb, n: number) =>
      sql<{ id: string }>`SELECT (pg_current_xact_id()::text::bigint + ${n})::text AS id`
        .execute(on)
        .then((r) => BigInt(r.rows[0]!.id) - BigInt(n));

    it('one round trip fewer once the statement is prepared, and both statements share one transaction', async () => {
      const { db, sent } = countingDb();
      try {
        await xact(db, 0);
        sent.length = 0;
        const [first, second] = await db.transaction().execute(async (trx) => [await xact(trx, 1), await xact(trx, 2)]);
        expect(first).toBe(second);
        expect(sent).toEqual([expect.stringContaining('select'), expect.stringContaining('select'), 'commit']);
        // Outside a transaction each statement has its own.
        expect(await xact(db, 3)).not.toBe(await xact(db, 4));
      } finally {
        await db.destroy();
      }
    });

    it('a statement not prepared yet is preceded by BEGIN on its own; an empty transaction sends nothing', async () => {
      const { db, sent } = countingDb();
      try {
        const row = await db.transaction().execute((trx) => label(trx, 1));
        expect(row).toEqual({ label: 'one' });
        expect(sent).toEqual(['begin', expect.stringContaining('select'), 'commit']);
        sent.length = 0;
        await db.transaction().execute(async () => undefined);
        expect(sent).toEqual([]);
      } finally {
        await db.destroy();
      }
    });

    it('what the transaction wrote is rolled back with it, and an error in the first statement fails it', async () => {
      const { db } = countingDb();
      const insert = (on: AnyDb, id: number) =>
        on
          .insertInto('things')
          .values({ id, label: `n${id}` })
          .execute();
      try {
        await insert(db, 10);
        await expect(
          db.transaction().execute(async (trx) => {
            await insert(trx, 11);
            throw new Error('abandon');
          }),
        ).rejects.toThrow('abandon');
        // The insert is prepared now: BEGIN travels with it, and its unique violation fails the transaction.
        await expect(db.transaction().execute((trx) => insert(trx, 10))).rejects.toThrow(/duplicate key/);
        const ids = await db.selectFrom('things').select('id').where('id', '>=', 10).orderBy('id').execute();
        expect(ids).toEqual([{ id: 10 }]);
        // The connection is usable and not left inside a transaction.
        const inTransaction = await sql<{ open: boolean }>`SELECT now() <> statement_timestamp() AS open`.execute(db);
        expect(inTransaction.rows[0]!.open).toBe(false);
      } finally {
        await db.destroy();
      }
    });
  });
});
