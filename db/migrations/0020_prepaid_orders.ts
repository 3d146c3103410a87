import { type Kysely, sql } from 'kysely';

// Orders paid through another provider before they reach us (the training-management system's
// payment details): a payment method of their own, and the payment's details kept in the ledger
// row that records it. A transaction code pays one order of a tenant, never two.
export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check`.execute(db);
  await sql`ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check
    CHECK (payment_method IN ('card', 'invoice', 'free', 'prepaid'))`.execute(db);
  await db.schema
    .alterTable('payments')
    .addColumn('method', 'text')
    .addColumn('external_provider', 'text')
    .addColumn('paid_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('payments_prepayment_transaction_code')
    .on('payments')
    .columns(['tenant_id', 'provider_payment_id'])
    .unique()
    .where(sql.ref('provider'), '=', 'prepaid')
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropIndex('payments_prepayment_transaction_code').execute();
  await db.schema
    .alterTable('payments')
    .dropColumn('method')
    .dropColumn('external_provider')
    .dropColumn('paid_at')
    .execute();
  await sql`DELETE FROM orders WHERE payment_method = 'prepaid'`.execute(db);
  await sql`ALTER TABLE orders DROP CONSTRAINT orders_payment_method_check`.execute(db);
  await sql`ALTER TABLE orders ADD CONSTRAINT orders_payment_method_check
    CHECK (payment_method IN ('card', 'invoice', 'free'))`.execute(db);
}
