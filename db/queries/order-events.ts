import type { Kysely } from 'kysely';
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

/** Appends the event once; true when it was new (false: a retry's repeat, nothing written). */
export async function appendOrderEvent(db: Kysely<Database>, event: OrderEventInput): Promise<boolean> {
  const result = await db
    .insertInto('order_events')
    .values({
      tenant_id: event.tenantId,
      order_id: event.orderId,
      event_key: event.eventKey,
      type: event.type,
      message: event.message,
      data: JSON.stringify(event.data ?? {}),
    })
    .onConflict((oc) => oc.columns(['order_id', 'event_key']).doNothing())
    .executeTakeFirst();
  return Number(result.numInsertedOrUpdatedRows ?? 0) > 0;
}
