import { type Kysely, sql } from 'kysely';

// The periods a subscription product is sold in (issue 13, point 1; seed 002's `period_id`): a
// length, a price per period and the payment methods it allows. The rules that keep a period
// sellable live here too, so no code path can store a free period with a price or a period
// nobody can pay for.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('subscription_periods')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('code', 'text', (c) => c.notNull().check(sql`code ~ '^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$'`))
    .addColumn('name', 'text', (c) => c.notNull().check(sql`length(btrim(name)) BETWEEN 1 AND 200`))
    .addColumn('length_unit', 'text', (c) => c.notNull().check(sql`length_unit IN ('day', 'month', 'quarter', 'year')`))
    .addColumn('length_count', 'integer', (c) => c.notNull().check(sql`length_count BETWEEN 1 AND 1000`))
    .addColumn('price', 'bigint', (c) => c.notNull().check(sql`price >= 0`))
    .addColumn('payment_methods', sql`text[]`, (c) => c.notNull())
    .addColumn('trial_days', 'integer', (c) => c.notNull().defaultTo(0).check(sql`trial_days BETWEEN 0 AND 3660`))
    .addColumn('physical', 'boolean', (c) => c.notNull().defaultTo(false))
    .addColumn('renewal_notice_days', 'integer', (c) =>
      c.notNull().defaultTo(7).check(sql`renewal_notice_days BETWEEN 0 AND 366`),
    )
    .addColumn('active', 'boolean', (c) => c.notNull().defaultTo(true))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    // The composite key is the tenant check: a period can only hang under a product of its tenant.
    .addForeignKeyConstraint('subscription_periods_product_fk', ['tenant_id', 'product_id'], 'products', [
      'tenant_id',
      'id',
    ])
    // For the subscriptions and order lines that will refer to a period (tenant_id, period_id).
    .addUniqueConstraint('subscription_periods_tenant_id_id_key', ['tenant_id', 'id'])
    .addCheckConstraint(
      'subscription_periods_payment_methods_known',
      sql`cardinality(payment_methods) BETWEEN 1 AND 3
        AND payment_methods <@ ARRAY['card', 'invoice', 'free']::text[]`,
    )
    // A price of 0 is paid by nobody ('free' alone); a price is never 'free'.
    .addCheckConstraint(
      'subscription_periods_free_iff_zero_price',
      sql`(price = 0 AND payment_methods = ARRAY['free']::text[])
        OR (price > 0 AND NOT ('free' = ANY (payment_methods)))`,
    )
    .execute();
  // Codes are matched case-insensitively (a client may send "MONTHLY" for "monthly"); the index
  // also serves the listing of a product's periods by code.
  await sql`CREATE UNIQUE INDEX subscription_periods_product_code_key
    ON subscription_periods (tenant_id, product_id, lower(code))`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscription_periods').execute();
}
