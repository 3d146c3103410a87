import { type Kysely, sql } from 'kysely';

// Per-tenant rules the order workflow applies after placement: how late a client may cancel
// and at what fee, when an invoice falls due and how often it is chased.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('cancellation_deadline_hours', 'integer', (c) =>
      c.notNull().defaultTo(24).check(sql`cancellation_deadline_hours >= 0`),
    )
    .addColumn('cancellation_fee_percent', sql`numeric(5, 2)`, (c) =>
      c.notNull().defaultTo(0).check(sql`cancellation_fee_percent BETWEEN 0 AND 100`),
    )
    .addColumn('invoice_due_days', 'integer', (c) => c.notNull().defaultTo(14).check(sql`invoice_due_days > 0`))
    .addColumn('invoice_reminder_interval_days', 'integer', (c) =>
      c.notNull().defaultTo(7).check(sql`invoice_reminder_interval_days > 0`),
    )
    .execute();
  await db.schema
    .alterTable('orders')
    .addColumn('cancellation_reason', 'text')
    .addColumn('cancelled_at', 'timestamptz')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('orders').dropColumn('cancellation_reason').dropColumn('cancelled_at').execute();
  await db.schema
    .alterTable('tenants')
    .dropColumn('cancellation_deadline_hours')
    .dropColumn('cancellation_fee_percent')
    .dropColumn('invoice_due_days')
    .dropColumn('invoice_reminder_interval_days')
    .execute();
}
