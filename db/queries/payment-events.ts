import type { Kysely } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

const chargeOrder = compiledQuery((db, slot: SlotOf<{ tenantId: string; provider: string; sessionId: string }>) =>
  db
    .selectFrom('payments')
    .innerJoin('orders', 'orders.id', 'payments.order_id')
    .select(['orders.id as order_id', 'orders.workflow_id'])
    .where('payments.provider', '=', slot('provider'))
    .where('payments.provider_session_id', '=', slot('sessionId'))
    .where('payments.kind', '=', 'charge')
    .where('payments.tenant_id', '=', slot('tenantId')),
);

/** The order (and its workflow) whose card charge a provider's session belongs to, within one tenant. */
export async function findChargeOrder(
  db: Kysely<Database>,
  charge: { tenantId: string; provider: string; sessionId: string },
): Promise<{ order_id: string; workflow_id: string } | undefined> {
  const { tenantId, provider, sessionId } = charge;
  return chargeOrder.first(db, { tenantId, provider, sessionId });
}

export interface PaymentEventRow {
  tenantId: string;
  provider: string;
  providerEventId: string;
  orderId: string | null;
  type: string;
  rawBody: string;
}

// Spelled out as a type alias: compiledQuery's values are a Record, which an interface is not.
type PaymentEventValues = { [K in keyof PaymentEventRow]: PaymentEventRow[K] } & { id: string };
const paymentEvent = compiledQuery((db, slot: SlotOf<PaymentEventValues>) =>
  db
    .insertInto('payment_events')
    .values({
      id: slot('id'),
      provider: slot('provider'),
      provider_event_id: slot('providerEventId'),
      tenant_id: slot('tenantId'),
      order_id: slot('orderId'),
      type: slot('type'),
      raw_body: slot('rawBody'),
    })
    .onConflict((oc) => oc.columns(['tenant_id', 'provider', 'provider_event_id']).doNothing())
    .returning('id'),
);

/** Stores a provider's event once per tenant and provider; false when it was stored before. */
export async function storePaymentEvent(db: Kysely<Database>, event: PaymentEventRow): Promise<boolean> {
  const { tenantId, provider, providerEventId, type, rawBody } = event;
  // A missing order id was left out before, which wrote the column's default: null.
  const orderId = event.orderId ?? null;
  const values = { id: crypto.randomUUID(), tenantId, provider, providerEventId, orderId, type, rawBody };
  return (await paymentEvent.first(db, values)) !== undefined;
}
