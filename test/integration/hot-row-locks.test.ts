import { Kysely, PostgresDialect } from 'kysely';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { issueDocumentInTransaction } from '../../activities/documents/issue-document';
import { placeOrder } from '../../activities/intake/place-order';
import type { Db } from '../../db/database';
import type { Database } from '../../db/schema';
import { releaseSeats } from '../../db/queries/seat-holds';
import { releaseParticipantSeats } from '../../db/queries/cancellations';
import { databaseWithTenant } from '../helpers/database-with-tenant';
import { createOccurrence, createProduct } from '../helpers/fixtures';
import { validatedPlacement } from '../helpers/order-placement';

// Every order of an event updates its occurrence's row, and every document of a tenant takes the next number from one
// counter row. Each is locked until its transaction commits, so it is taken last: after the seats only the order's
// campaign and voucher codes, if it has any (their reservation is written before them), after the number only the
// document and its timeline entry. Under load the wait for these rows was most of an intake's time in PostgreSQL
// (docs/performance.md, "eighth pass" and "eleventh pass").
const setup = databaseWithTenant();
let statements: string[] = [];
let occurrenceUpdates: string[] = [];
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
      if (event.level !== 'query') return;
      statements.push(event.query.sql);
      if (/^update "occurrences"/.test(event.query.sql))
        occurrenceUpdates.push(String(event.query.parameters.find((p) => /^[0-9a-f-]{36}$/.test(String(p)))));
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

// Two transactions that lock the same seat rows in opposite orders deadlock; PostgreSQL then aborts one of them. Every
// transaction that takes or gives back seats goes through them in one order (db/queries/seat-holds.ts).
describe('seat rows are given back in the order they are taken', () => {
  /** An order whose reservations were written in descending occurrence order, the reverse of the lock order. */
  async function orderHoldingThreeOccurrences(): Promise<{ orderId: string; sorted: string[] }> {
    const { orderId } = await placedOrder();
    const db = setup.database.db;
    const product = await createProduct(db, setup.tenant.id, { price: 1_000, name: 'Three dates' });
    const occurrences: string[] = [];
    for (let i = 0; i < 3; i += 1)
      occurrences.push(await createOccurrence(db, setup.tenant.id, product, { capacity: 9 }));
    const sorted = [...occurrences].sort();
    await db.deleteFrom('reservations').where('order_id', '=', orderId).execute();
    for (const occurrenceId of [...sorted].reverse()) {
      await db
        .insertInto('reservations')
        .values({
          id: crypto.randomUUID(),
          tenant_id: setup.tenant.id,
          order_id: orderId,
          occurrence_id: occurrenceId,
          quantity: 1,
        })
        .execute();
    }
    await db.updateTable('occurrences').set({ seats_taken: 1 }).where('id', 'in', sorted).execute();
    return { orderId, sorted };
  }

  it('releaseSeats updates the occurrences in the lock order, whatever order its reservations come in', async () => {
    const { orderId, sorted } = await orderHoldingThreeOccurrences();
    occurrenceUpdates = [];
    const released = await logged.transaction().execute((trx) => releaseSeats(trx, orderId));
    expect(released).toBe(3);
    expect(occurrenceUpdates).toEqual(sorted);
  });

  it('a partial cancellation gives its lines back in the lock order', async () => {
    const { orderId, sorted } = await orderHoldingThreeOccurrences();
    occurrenceUpdates = [];
    const lines = [...sorted].reverse().map((occurrence_id) => ({ occurrence_id, quantity: 1 }));
    await logged.transaction().execute((trx) => releaseParticipantSeats(trx, orderId, lines));
    expect(occurrenceUpdates).toEqual(sorted);
  });
});
