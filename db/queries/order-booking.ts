import { type Kysely, sql } from 'kysely';
import type { DraftHold } from '../../domain/order-draft';
import type { Database } from '../schema';
import type { OrderScope } from './order-scope';

/**
 * Held seats become bookings, each participant gets a booking id and the order is booked.
 * Answers how many seats this call booked; a repeat books none and changes nothing.
 */
export async function bookHeldSeats(trx: Kysely<Database>, scope: OrderScope): Promise<number> {
  const booked = await trx
    .updateTable('reservations')
    .set({ status: 'booked', booked_at: sql`now()` })
    .where('order_id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .where('status', '=', 'held')
    .returning('quantity')
    .execute();
  await trx
    .updateTable('participants')
    .set({ booking_id: sql`gen_random_uuid()` })
    .where('order_id', '=', scope.orderId)
    .where('booking_id', 'is', null)
    .execute();
  await trx
    .updateTable('orders')
    .set({ status: 'booked', updated_at: sql`now()` })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .where('status', 'in', ['reserved', 'awaiting_payment', 'payment_failed', 'paid'])
    .execute();
  return booked.reduce((n, r) => n + r.quantity, 0);
}

/** The seats an expired order gave back, as holds to take again. */
export async function loadReleasedHolds(trx: Kysely<Database>, orderId: string): Promise<DraftHold[]> {
  const released = await trx
    .selectFrom('reservations')
    .select(['occurrence_id', 'product_id', 'inventory_date', 'quantity'])
    .where('order_id', '=', orderId)
    .where('status', '=', 'released')
    .execute();
  return released.map((r) => ({
    occurrenceId: r.occurrence_id,
    productId: r.product_id,
    inventoryDate: r.inventory_date,
    quantity: r.quantity,
  }));
}

/** The released reservations go once the seats are held again under new ones. */
export async function deleteReleasedReservations(trx: Kysely<Database>, orderId: string): Promise<void> {
  await trx.deleteFrom('reservations').where('order_id', '=', orderId).where('status', '=', 'released').execute();
}
