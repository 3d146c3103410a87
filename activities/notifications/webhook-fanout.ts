import type { Db } from '../../db/database';
import {
  enabledEndpointsOf,
  type FanoutEvent,
  insertDeliveries,
  lockFanoutCursor,
  moveFanoutCursor,
  type NewDelivery,
  readEventsAfter,
} from '../../db/queries/webhook-fanout';
import { publicWebhookEvent, type WebhookEventType } from '../../domain/webhook-events';

// order_events is the transactional outbox of outbound webhooks: each order fact is written there
// once, in the transaction that made it true. This turns new events into deliveries — one per
// enabled endpoint of the tenant that wants the event's public type — and moves the cursor in the
// same transaction, under the cursor row's lock (a second worker skips the round).

/** The body every endpoint receives for an event (docs/webhooks-outbound.md, "Payload"). */
export function webhookPayload(type: WebhookEventType, event: FanoutEvent): Record<string, unknown> {
  return {
    type,
    timestamp: event.created_at.toISOString(),
    data: {
      event_id: String(event.id),
      order: {
        id: event.order_id,
        number: event.order_number,
        status: event.order_status,
        currency: event.currency,
        totals: {
          discounts: event.total_discounts,
          excl_vat: event.total_excl_vat,
          vat: event.total_vat,
          incl_vat: event.total_incl_vat,
          credited: event.credited,
        },
      },
      ...eventDetails(type, event.data),
    },
  };
}

/** The few facts of the internal event a receiver can use (never internal ids of providers' sessions). */
function eventDetails(type: WebhookEventType, data: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case 'order.paid':
      return typeof data.amount === 'number' ? { payment: { amount: data.amount, currency: data.currency } } : {};
    case 'order.refunded':
      return { refund: { id: data.refund_id ?? null } };
    case 'invoice.issued':
      return { invoice: { id: data.invoice_id, number: data.document_number } };
    case 'invoice.paid':
      return { invoice: { id: data.invoice_id }, payment: { amount: data.amount, reference: data.reference } };
    default:
      return {};
  }
}

/** One round: up to `limit` events fanned out. Resolves how many events were read (limit = maybe more). */
export async function fanOutOrderEvents(db: Db, limit: number): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const cursor = await lockFanoutCursor(trx);
    if (!cursor) return 0;
    const events = await readEventsAfter(trx, cursor, limit);
    const last = events.at(-1);
    if (!last) return 0;

    const endpoints = await enabledEndpointsOf(trx, [...new Set(events.map((e) => e.tenant_id))]);
    const deliveries: NewDelivery[] = [];
    for (const event of events) {
      const type = publicWebhookEvent(event);
      if (!type) continue;
      for (const endpoint of endpoints) {
        if (endpoint.tenant_id !== event.tenant_id || !endpoint.event_types.includes(type)) continue;
        // An endpoint hears of what happens after it was created, not of the tenant's history.
        if (endpoint.created_at > event.created_at) continue;
        deliveries.push({
          tenantId: event.tenant_id,
          endpointId: endpoint.id,
          orderEventId: event.id,
          eventType: type,
          payload: webhookPayload(type, event),
        });
      }
    }
    await insertDeliveries(trx, deliveries);
    await moveFanoutCursor(trx, { lastTxId: last.tx_id, lastEventId: last.id });
    return events.length;
  });
}
