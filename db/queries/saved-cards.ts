import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

// Cards the payment provider keeps for a customer: we store only its token, brand and last digits.

/** The id of the customer's card, unless it is unknown, another customer's or forgotten. */
export async function findUsableSavedCard(
  db: Kysely<Database>,
  tenantId: string,
  customerId: string,
  cardId: string,
): Promise<string | undefined> {
  const card = await db
    .selectFrom('saved_cards')
    .select('id')
    .where('id', '=', cardId)
    .where('tenant_id', '=', tenantId)
    .where('customer_id', '=', customerId)
    .where('deleted_at', 'is', null)
    .executeTakeFirst();
  return card?.id;
}

/** The customer's cards that are not forgotten, oldest first. */
export async function listSavedCards(db: Kysely<Database>, customerId: string) {
  return db
    .selectFrom('saved_cards')
    .select(['id', 'provider', 'brand', 'last4', 'created_at'])
    .where('customer_id', '=', customerId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at')
    .execute();
}

/** Forgets the card; false when the customer has no such card (or it was forgotten already). */
export async function forgetSavedCard(db: Kysely<Database>, customerId: string, cardId: string): Promise<boolean> {
  const deleted = await db
    .updateTable('saved_cards')
    .set({ deleted_at: sql`now()` })
    .where('id', '=', cardId)
    .where('customer_id', '=', customerId)
    .where('deleted_at', 'is', null)
    .returning('id')
    .executeTakeFirst();
  return deleted !== undefined;
}

export interface SandboxCardToSave {
  tenantId: string;
  /** The sandbox session the card paid: its order names the customer. */
  sessionId: string;
  token: string;
  brand: string;
  last4: string;
}

/**
 * Remembers a card the customer asked to keep for the customer of the order the session paid.
 * Nothing happens for an order without a customer, or for a token that is already saved.
 */
export async function saveSandboxCard(db: Kysely<Database>, card: SandboxCardToSave): Promise<void> {
  await sql`
    INSERT INTO saved_cards (id, tenant_id, customer_id, provider, provider_token, brand, last4, order_id)
    SELECT ${crypto.randomUUID()}, o.tenant_id, o.customer_id, 'sandbox', ${card.token}, ${card.brand}, ${card.last4},
      o.id
    FROM payments p JOIN orders o ON o.id = p.order_id
    WHERE p.provider = 'sandbox' AND p.provider_session_id = ${card.sessionId} AND p.tenant_id = ${card.tenantId}
      AND o.customer_id IS NOT NULL
    LIMIT 1
    ON CONFLICT (provider, provider_token) DO NOTHING`.execute(db);
}
