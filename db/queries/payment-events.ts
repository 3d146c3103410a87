import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** The order (and its workflow) whose card charge a provider's session belongs to, within one tenant. */
export async function findChargeOrder(
  db: Kysely<Database>,
  charge: { tenantId: string; provider: string; sessionId: string },
): Promise<{ order_id: string; workflow_id: string } | undefined> {
  return db
    .selectFrom('payments')
    .innerJoin('orders', 'orders.id', 'payments.order_id')
    .select(['orders.id as order_id', 'orders.workflow_id'])
    .where('payments.provider', '=', charge.provider)
    .where('payments.provider_session_id', '=', charge.sessionId)
    .where('payments.kind', '=', 'charge')
    .where('payments.tenant_id', '=', charge.tenantId)
    .executeTakeFirst();
}

export interface PaymentEventRow {
  tenantId: string;
  provider: string;
  providerEventId: string;
  orderId: string | null;
  type: string;
  rawBody: string;
}

/** Stores a provider's event once per tenant and provider; false when it was stored before. */
export async function storePaymentEvent(db: Kysely<Database>, event: PaymentEventRow): Promise<boolean> {
  const inserted = await db
    .insertInto('payment_events')
    .values({
      id: crypto.randomUUID(),
      provider: event.provider,
      provider_event_id: event.providerEventId,
      tenant_id: event.tenantId,
      order_id: event.orderId,
      type: event.type,
      raw_body: event.rawBody,
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'provider_event_id']).doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}
