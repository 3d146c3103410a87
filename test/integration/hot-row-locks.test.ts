import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDocumentInTransaction } from '../../activities/documents/issue-document';
import { placeOrder } from '../../activities/intake/place-order';
import type { Db } from '../../db/database';
import type { Database } from '../../db/schema';
import { databaseWithTenant } from '../helpers/database-with-tenant';
import { validatedPlacement } from '../helpers/order-placement';

// Every order of an event updates its occurrence's row, and every document of a tenant takes the next number from one
// counter row. Each is locked until its transaction commits, so it is taken last: after the seats only the order's
// campaign and voucher codes, if it has any (their reservation is written before them), after the number only the
// document and its timeline entry. Under load the wait for these rows was most of an intake's time in PostgreSQL
// (docs/performance.md, "eighth pass" and "eleventh pass").
const setup = databaseWithTenant();
let statements: string[] = [];
let logged: Db;

beforeAll(() => {
  const pool = new pg.Pool({ connectionString: setup.database.url, max: 2 });
  // The file's database is dropped with FORCE when it ends: a connection idle or still closing then hears of it, in
  // the pool or on its own (as createDb's pool, db/database.ts).
  pool.on('error', () => undefined);
  pool.on('connect', (client) => client.on('error', () => undefined));
  logged = new Kysely<Database>({
    dialect: new PostgresDialect({ pool }),
    log: (event) => {
      if (event.level === 'query') statements.push(event.query.sql);
    },
  });
});
afterAll(() => logged?.destroy());

/** What ran after the first statement matching `hot`, up to the end of the transaction. */
function statementsAfter(hot: RegExp): string[] {
  const at = statements.findIndex((sql) => hot.test(sql));
  if (at < 0) throw new Error(`no statement matched ${hot}: ${statements.join('\n')}`);
  return statements
    .slice(at + 1)
    .filter((sql) => !/^(begin|commit)$/i.test(sql.trim()))
    .map((sql) => sql.split(' (')[0] ?? sql);
}

async function placedOrder(): Promise<{ orderId: string }> {
  const { input } = await validatedPlacement(setup.database.db, setup.tenant.id, {
    paymentMethod: 'invoice',
    quantity: 1,
  });
  statements = [];
  expect(await placeOrder(logged, input)).toEqual({ ok: true });
  return { orderId: input.orderId };
}

describe('rows that every order shares are locked last', () => {
  it('placing an order updates its occurrence last, after its reservation', async () => {
    await placedOrder();
    const after = statementsAfter(/^update "occurrences"/);
    expect(after).toEqual([]);
    expect(statementsAfter(/^insert into "reservations"/).map((sql) => sql.split(' set ')[0])).toEqual([
      'update "occurrences"',
    ]);
  });

  it('issuing a document takes the number after its reads; then only the document and its timeline entry', async () => {
    const { orderId } = await placedOrder();
    statements = [];
    const issued = await logged
      .transaction()
      .execute((trx) => issueDocumentInTransaction(trx, { tenantId: setup.tenant.id, orderId, kind: 'invoice' }));
    expect(issued.documentNumber).toBeTruthy();
    const after = statementsAfter(/^insert into "invoice_series"/);
    expect(after).toEqual(['insert into "invoices"', 'insert into "order_events"']);
  });
});
