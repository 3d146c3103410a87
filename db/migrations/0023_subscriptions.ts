import { type Kysely, sql } from 'kysely';

// A subscription bought through an order (issue 13, point 2): the order line names the product's
// period and the start date; when the order completes, a subscription exists with its own
// per-tenant number, linked to the order and line that bought it.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('order_lines')
    .addColumn('subscription_period_id', 'uuid')
    .addColumn('start_date', 'date')
    .execute();
  await db.schema
    .alterTable('tenants')
    .addColumn('subscription_counter', 'bigint', (c) => c.notNull().defaultTo(0).check(sql`subscription_counter >= 0`))
    .execute();
  await db.schema
    .createTable('subscriptions')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id'))
    .addColumn('number', 'bigint', (c) => c.notNull())
    .addColumn('product_id', 'uuid', (c) => c.notNull())
    .addColumn('period_id', 'uuid', (c) => c.notNull())
    .addColumn('order_id', 'uuid', (c) => c.notNull())
    .addColumn('order_line_id', 'uuid', (c) => c.notNull().unique())
    .addColumn('customer_id', 'uuid')
    .addColumn('customer_email', 'text')
    .addColumn('status', 'text', (c) =>
      c.notNull().defaultTo('active').check(sql`status IN ('active', 'paused', 'suspended', 'cancelled')`),
    )
    .addColumn('payment_method', 'text', (c) => c.notNull())
    .addColumn('start_date', 'date', (c) => c.notNull())
    .addColumn('current_period_end', 'date', (c) => c.notNull())
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('updated_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addUniqueConstraint('subscriptions_tenant_number_key', ['tenant_id', 'number'])
    .addForeignKeyConstraint('subscriptions_period_fk', ['tenant_id', 'period_id'], 'subscription_periods', [
      'tenant_id',
      'id',
    ])
    .addForeignKeyConstraint('subscriptions_order_fk', ['tenant_id', 'order_id'], 'orders', ['tenant_id', 'id'])
    .execute();
  await db.schema
    .createIndex('subscriptions_tenant_created')
    .on('subscriptions')
    .columns(['tenant_id', 'created_at', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('subscriptions').execute();
  await db.schema.alterTable('tenants').dropColumn('subscription_counter').execute();
  await db.schema.alterTable('order_lines').dropColumn('subscription_period_id').dropColumn('start_date').execute();
}
