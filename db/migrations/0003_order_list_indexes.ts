import { type Kysely, sql } from 'kysely';

// GET /v1/orders filters, customers by participant, and voucher redemptions.
//
// The list itself walks orders_tenant_created_idx (tenant_id, created_at, id) backwards; the
// indexes below make the selective filters (customer email or id, occurrence) start from the few
// matching orders instead of scanning the tenant's orders in date order.

export async function up(db: Kysely<unknown>): Promise<void> {
  await sql`CREATE INDEX orders_tenant_booker_email_idx ON orders (tenant_id, lower(booker_email))`.execute(db);
  await sql`CREATE INDEX orders_tenant_customer_idx ON orders (tenant_id, customer_id)`.execute(db);
  await sql`CREATE INDEX participants_tenant_email_idx ON participants (tenant_id, lower(email))`.execute(db);
  await sql`CREATE INDEX participants_tenant_customer_idx ON participants (tenant_id, customer_id)`.execute(db);
  await sql`CREATE INDEX order_lines_tenant_occurrence_idx ON order_lines (tenant_id, occurrence_id)`.execute(db);

  // POST /v1/vouchers/{code}/redeem writes one row per redemption (order_id is null for a
  // redemption without an order, e.g. a voucher used up at a till or a gate).
  await db.schema
    .createTable('voucher_redemptions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('voucher_id', 'uuid', (c) => c.notNull().references('vouchers.id').onDelete('cascade'))
    .addColumn('amount', 'bigint', (c) => c.check(sql`amount > 0`))
    .addColumn('order_id', 'uuid')
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addForeignKeyConstraint('voucher_redemptions_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createIndex('voucher_redemptions_voucher_idx')
    .on('voucher_redemptions')
    .columns(['voucher_id', 'created_at'])
    .execute();

  // Participants of orders placed before this migration are connected to customer records by
  // email, as placeOrder does for every new order (unless the order opted out with
  // config.allow_customer_autoconnect = false).
  await sql`
    INSERT INTO customers (id, tenant_id, email, name)
    SELECT DISTINCT ON (p.tenant_id, lower(p.email))
      gen_random_uuid(), p.tenant_id, lower(p.email), trim(p.firstname || ' ' || p.lastname)
    FROM participants p
    JOIN orders o ON o.id = p.order_id
    WHERE p.email IS NOT NULL AND p.email <> '' AND p.customer_id IS NULL
      AND o.config -> 'allow_customer_autoconnect' IS DISTINCT FROM 'false'::jsonb
    ORDER BY p.tenant_id, lower(p.email), o.created_at
    ON CONFLICT (tenant_id, lower(email)) DO NOTHING`.execute(db);
  await sql`
    UPDATE participants p SET customer_id = c.id
    FROM orders o, customers c
    WHERE o.id = p.order_id AND c.tenant_id = p.tenant_id AND lower(c.email) = lower(p.email)
      AND p.customer_id IS NULL AND p.email IS NOT NULL
      AND o.config -> 'allow_customer_autoconnect' IS DISTINCT FROM 'false'::jsonb`.execute(db);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  // Connected participants and the customers created for them stay: they are data, not schema.
  await db.schema.dropTable('voucher_redemptions').ifExists().execute();
  for (const index of [
    'order_lines_tenant_occurrence_idx',
    'participants_tenant_customer_idx',
    'participants_tenant_email_idx',
    'orders_tenant_customer_idx',
    'orders_tenant_booker_email_idx',
  ]) {
    await db.schema.dropIndex(index).ifExists().execute();
  }
}
