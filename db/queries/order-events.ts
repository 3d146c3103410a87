import type { Kysely } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

export interface OrderEventInput {
  tenantId: string;
  orderId: string;
  /** Unique per order: a retried activity appends the same event once. */
  eventKey: string;
  type: string;
  message: string;
  data?: Record<string, unknown>;
}

type OrderEventRow = {
  tenantId: string;
  orderId: string;
  eventKey: string;
  type: string;
  message: string;
  data: string;
};
const insertOrderEvent = compiledQuery((db, slot: SlotOf<OrderEventRow>) =>
  db
    .insertInto('order_events')
    .values({
      tenant_id: slot('tenantId'),
      order_id: slot('orderId'),
      event_key: slot('eventKey'),
      type: slot('type'),
      message: slot('message'),
      data: slot('data'),
    })
    .onConflict((oc) => oc.columns(['order_id', 'event_key']).doNothing()),
);

/** Appends the event once; true when it was new (false: a retry's repeat, nothing written). */
export async function appendOrderEvent(db: Kysely<Database>, event: OrderEventInput): Promise<boolean> {
  const { tenantId, orderId, eventKey, type, message } = event;
  const data = JSON.stringify(event.data ?? {});
  return (await insertOrderEvent.affected(db, { tenantId, orderId, eventKey, type, message, data })) > 0;
}
