import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/**
 * The order's event with this key, if it was written: activities keyed by an event (a change,
 * a cancellation, a settlement) find here what their first attempt did.
 */
export async function findOrderEvent(
  db: Kysely<Database>,
  orderId: string,
  eventKey: string,
): Promise<{ data: unknown } | undefined> {
  return db
    .selectFrom('order_events')
    .select('data')
    .where('order_id', '=', orderId)
    .where('event_key', '=', eventKey)
    .executeTakeFirst();
}
