import { type Kysely, sql } from 'kysely';

// A manual-approval hold (the training-management system's manual processing): per tenant or per
// product, an order is taken with its seats held and waits for an operator's approve or reject
// until a deadline, after which it is rejected or escalated (tenant setting).
const STATUSES_BEFORE = [
  'received',
  'rejected',
  'reserved',
  'awaiting_payment',
  'payment_failed',
  'paid',
  'booked',
  'invoiced',
  'completed',
  'expired',
  'cancelled',
  'needs_attention',
];
const list = (values: string[]) => sql.raw(values.map((v) => `'${v}'`).join(', '));

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders DROP CONSTRAINT orders_status_check`.execute(db);
  await sql`ALTER TABLE orders ADD CONSTRAINT orders_status_check
    CHECK (status IN (${list([...STATUSES_BEFORE, 'awaiting_approval'])}))`.execute(db);
  await db.schema.alterTable('orders').addColumn('approval_until', 'timestamptz').execute();
  await db.schema
    .alterTable('tenants')
    .addColumn('approval_required', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('approval_deadline_hours', 'integer', (c) =>
      c.notNull().defaultTo(48).check(sql`approval_deadline_hours BETWEEN 1 AND 720`),
    )
    .addColumn('approval_deadline_action', 'text', (c) =>
      c.notNull().defaultTo('reject').check(sql`approval_deadline_action IN ('reject', 'escalate')`),
    )
    .execute();
  await db.schema
    .alterTable('products')
    .addColumn('requires_approval', 'boolean', (c) => c.notNull().defaultTo(false))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('products').dropColumn('requires_approval').execute();
  await db.schema
    .alterTable('tenants')
    .dropColumn('approval_required')
    .dropColumn('approval_deadline_hours')
    .dropColumn('approval_deadline_action')
    .execute();
  await db.schema.alterTable('orders').dropColumn('approval_until').execute();
  await sql`UPDATE orders SET status = 'cancelled' WHERE status = 'awaiting_approval'`.execute(db);
  await sql`ALTER TABLE orders DROP CONSTRAINT orders_status_check`.execute(db);
  await sql`ALTER TABLE orders ADD CONSTRAINT orders_status_check CHECK (status IN (${list(STATUSES_BEFORE)}))`.execute(
    db,
  );
}
