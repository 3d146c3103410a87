import { type Kysely, sql } from 'kysely';

// What DELETE /v1/orders/{id} (and the cancel POST) does to an order money was taken for: 'refund'
// cancels it and refunds (what every tenant had so far, so the default), 'refuse' answers 409
// `paid_order_not_deletable`, as facility-booking systems refuse to delete a debited order.
//
// Also card registrations (POST /v1/customers/{id}/saved-cards): a customer saves a card on the
// provider's page without paying. The row is ours (who asked, where the buyer goes next, which card
// came of it); with the sandbox provider it is also the page's session, reached by its page token.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('tenants')
    .addColumn('paid_order_deletion', 'text', (c) =>
      c.notNull().defaultTo('refund').check(sql`paid_order_deletion IN ('refund', 'refuse')`),
    )
    .execute();
  await db.schema
    .createTable('card_registrations')
    .addColumn('id', 'uuid', (c) => c.primaryKey())
    .addColumn('tenant_id', 'uuid', (c) => c.notNull().references('tenants.id').onDelete('cascade'))
    .addColumn('customer_id', 'uuid', (c) => c.notNull().references('customers.id').onDelete('cascade'))
    .addColumn('provider', 'text', (c) => c.notNull())
    .addColumn('page_token', 'text', (c) => c.notNull().unique())
    .addColumn('form_token', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull().defaultTo('open').check(sql`status IN ('open', 'completed')`))
    .addColumn('success_url', 'text')
    .addColumn('failure_url', 'text')
    .addColumn('saved_card_id', 'uuid', (c) => c.references('saved_cards.id').onDelete('set null'))
    .addColumn('created_at', 'timestamptz', (c) => c.notNull().defaultTo(sql`now()`))
    .addColumn('expires_at', 'timestamptz', (c) => c.notNull())
    .addColumn('completed_at', 'timestamptz')
    .execute();
  await db.schema
    .createIndex('card_registrations_customer_idx')
    .on('card_registrations')
    .columns(['tenant_id', 'customer_id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('card_registrations').ifExists().execute();
  await db.schema.alterTable('tenants').dropColumn('paid_order_deletion').execute();
}
