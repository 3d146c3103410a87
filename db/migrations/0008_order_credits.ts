import { type Kysely, sql } from 'kysely';

// What cancellations credited, per order line and per order: the base for every later
// cancellation and refund (domain/order-money.ts, docs/payments.md "Money rules"). And the
// order request as it now reads, so a change is applied to what the database holds rather
// than to a copy kept in the workflow.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('order_lines')
    .addColumn('credited', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credited >= 0 AND credited <= incl_vat`))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('credited', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credited >= 0`))
    .addColumn('request', 'jsonb')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('request').execute();
  await db.schema.alterTable('orders').dropColumn('credited').execute();
  await db.schema.alterTable('order_lines').dropColumn('credited').execute();
}
