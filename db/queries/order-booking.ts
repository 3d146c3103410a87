import { type Kysely, sql } from 'kysely';
import type { DraftHold } from '../../domain/order-draft';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';
import type { OrderScope } from './order-scope';

type Scope = { tenantId: string; orderId: string };

const bookHeldReservations = compiledQuery((db, slot: SlotOf<Scope>) =>
  db
    .updateTable('reservations')
    .set({ status: 'booked', booked_at: sql`now()` })
    .where('order_id', '=', slot('orderId'))
    .where('tenant_id', '=', slot('tenantId'))
    .where('status', '=', 'held')
    .returning('quantity'),
);

const giveBookingIds = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db
    .updateTable('participants')
    .set({ booking_id: sql`gen_random_uuid()` })
    .where('order_id', '=', slot('orderId'))
    .where('booking_id', 'is', null),
);

const markOrderBooked = compiledQuery((db, slot: SlotOf<Scope>) =>
  db
    .updateTable('orders')
    .set({ status: 'booked', updated_at: sql`now()` })
    .where('id', '=', slot('orderId'))
    .where('tenant_id', '=', slot('tenantId'))
    .where('status', 'in', ['reserved', 'awaiting_payment', 'payment_failed', 'paid']),
);

/**
 * Held seats become bookings, each participant gets a booking id and the order is booked.
 * Answers how many seats this call booked; a repeat books none and changes nothing.
 */
export async function bookHeldSeats(trx: Kysely<Database>, scope: OrderScope): Promise<number> {
  const booked = await bookHeldReservations.all(trx, scope);
  await giveBookingIds.affected(trx, scope);
  await markOrderBooked.affected(trx, scope);
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
