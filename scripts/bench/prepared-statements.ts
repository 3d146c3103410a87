// PostgreSQL's CPU per statement with and without named prepared statements (docs/performance.md, sixth pass):
// an insert … returning and a two-table read, alternately, on one connection, in a database of its own.
// Run: DATABASE_URL=… npx tsx scripts/bench/prepared-statements.ts [statements]
import { readFileSync } from 'node:fs';
import { type Generated, type Kysely, sql } from 'kysely';
import pg from 'pg';
import { createDb } from '../../db/database';

interface Tables {
  bench_orders: { id: Generated<number>; tenant: number; email: string; status: string; total: number; paid: boolean };
  bench_lines: { id: Generated<number>; order_id: number; quantity: number; price: number };
}

const adminUrl = process.env.DATABASE_URL;
if (!adminUrl) throw new Error('DATABASE_URL must name a PostgreSQL server');
const statements = Number(process.argv[2] ?? 6000);
const name = `bench_prepared_${Date.now().toString(36)}`;

/** A backend's utime + stime in ms (it runs on this machine, as in the bench). */
function backendCpuMs(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
}

async function measure(url: string, prepared: boolean): Promise<string> {
  const db = createDb(url, { maxConnections: 1, preparedStatements: prepared }) as unknown as Kysely<Tables>;
  const { rows } = await sql<{ pid: number }>`SELECT pg_backend_pid() AS pid`.execute(db);
  const pid = rows[0]?.pid ?? 0;
  const client0 = process.cpuUsage();
  const backend0 = backendCpuMs(pid);
  const started = performance.now();
  for (let i = 0; i < statements / 2; i++) {
    await db
      .insertInto('bench_orders')
      .values({ tenant: i % 100, email: `b${i}@example.com`, status: 'completed', total: i, paid: true })
      .returning(['id', 'status'])
      .executeTakeFirstOrThrow();
    await db
      .selectFrom('bench_orders as o')
      .innerJoin('bench_lines as l', 'l.order_id', 'o.id')
      .select(['o.id', 'o.email', 'o.total', 'l.quantity', 'l.price'])
      .where('o.tenant', '=', i % 100)
      .where('o.paid', '=', true)
      .limit(5)
      .execute();
  }
  const wallMs = performance.now() - started;
  const backendMs = backendCpuMs(pid) - backend0;
  const client = process.cpuUsage(client0);
  await db.destroy();
  const per = (ms: number) => (ms / statements).toFixed(3);
  const label = prepared ? 'named  ' : 'unnamed';
  const clientMs = (client.user + client.system) / 1000;
  return `${label}: PostgreSQL ${per(backendMs)} ms, client ${per(clientMs)} ms CPU, wall ${per(wallMs)} ms each`;
}

const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
try {
  const setup = createDb(url.toString(), { maxConnections: 1 }) as unknown as Kysely<Tables>;
  await setup.schema
    .createTable('bench_orders')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('tenant', 'integer', (c) => c.notNull())
    .addColumn('email', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('total', 'integer', (c) => c.notNull())
    .addColumn('paid', 'boolean', (c) => c.notNull())
    .execute();
  await setup.schema.createIndex('bench_orders_tenant').on('bench_orders').column('tenant').execute();
  await setup.schema
    .createTable('bench_lines')
    .addColumn('id', 'bigserial', (c) => c.primaryKey())
    .addColumn('order_id', 'bigint', (c) => c.notNull().references('bench_orders.id'))
    .addColumn('quantity', 'integer', (c) => c.notNull())
    .addColumn('price', 'integer', (c) => c.notNull())
    .execute();
  await sql`INSERT INTO bench_orders (tenant, email, status, total, paid)
    SELECT i % 100, 'seed@example.com', 'completed', i, true FROM generate_series(1, 5000) i`.execute(setup);
  await sql`INSERT INTO bench_lines (order_id, quantity, price) SELECT id, 1, total FROM bench_orders`.execute(setup);
  await setup.destroy();
  // Alternating, so a machine that speeds up or slows down during the run touches both alike.
  for (let round = 0; round < 3; round++) {
    console.log(await measure(url.toString(), false));
    console.log(await measure(url.toString(), true));
  }
} finally {
  await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
  await admin.end();
}
