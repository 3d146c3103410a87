import { type Kysely, sql } from 'kysely';

// Which payment service provider takes a tenant's card payments. Only the choice is stored:
// the provider's secrets (API key, webhook signing secret) come from configuration, per tenant,
// and never sit in a column (see docs/payments.md "Stripe").
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('payment_provider', 'text', (c) =>
      c.notNull().defaultTo('sandbox').check(sql`payment_provider IN ('sandbox', 'stripe')`),
    )
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('tenants').dropColumn('payment_provider').execute();
}
