import type { Kysely } from 'kysely';

// A charge made with a card the customer had kept (POST /v1/orders/{id}/payments with
// saved_card_id) remembers which card it was, so a subscription bought that way renews on the
// same card, as one bought on the payment page with the "keep this card" box does.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('payments')
    .addColumn('saved_card_id', 'uuid', (c) => c.references('saved_cards.id'))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('payments').dropColumn('saved_card_id').execute();
}
