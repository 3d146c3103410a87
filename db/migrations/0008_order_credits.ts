import { type Kysely, sql } from 'kysely';

// What cancellations credited, per order line and per order: the base for every later
// cancellation and refund (domain/order-money.ts, docs/payments.md "Money rules").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('order_lines')
    .addColumn('credited', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credited >= 0 AND credited <= incl_vat`))
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('credited', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`credited >= 0`))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('credited').execute();
  await db.schema.alterTable('order_lines').dropColumn('credited').execute();
}
