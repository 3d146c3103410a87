import type { Kysely } from 'kysely';
import type { Database } from '../schema';

// Lookups of an order's charge rows (payments of kind 'charge') made by the API.

/** The provider session of the order's newest Stripe charge, or null when it has none. */
export async function findLatestStripeChargeSession(
  db: Kysely<Database>,
  tenantId: string,
  orderId: string,
): Promise<string | null> {
  const charge = await db
    .selectFrom('payments')
    .select('provider_session_id')
    .where('order_id', '=', orderId)
    .where('tenant_id', '=', tenantId)
    .where('provider', '=', 'stripe')
    .where('kind', '=', 'charge')
    .orderBy('created_at', 'desc')
    .executeTakeFirst();
  return charge?.provider_session_id ?? null;
}
