import { type Kysely, sql } from 'kysely';
import type { BusinessError } from '../../domain/business-error';
import type { DraftHold } from '../../domain/order-draft';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';
import { batchesOf } from './batches';

// Built once (db/compiled-query.ts): every order takes its seats through them.
type OccurrenceHold = { tenantId: string; occurrenceId: string; quantity: number };
const takeOccurrenceSeats = compiledQuery((db, slot: SlotOf<OccurrenceHold>) =>
  db
    .updateTable('occurrences')
    .set({ seats_taken: sql`seats_taken + ${slot('quantity')}`, updated_at: sql`now()` })
    .where('tenant_id', '=', slot('tenantId'))
    .where('id', '=', slot('occurrenceId'))
    .where('status', '=', 'scheduled')
    .where(sql<boolean>`seats_taken + ${slot('quantity')} <= capacity`)
    .returning('id'),
);

type DateHold = { tenantId: string; productId: string; date: string; quantity: number };
const takeDateSeats = compiledQuery((db, slot: SlotOf<DateHold>) =>
  db
    .updateTable('product_date_inventory')
    .set({ seats_taken: sql`seats_taken + ${slot('quantity')}` })
    .where('tenant_id', '=', slot('tenantId'))
    .where('product_id', '=', slot('productId'))
    .where('date', '=', slot('date'))
    .where(sql<boolean>`seats_taken + ${slot('quantity')} <= capacity`)
    .returning('product_id'),
);

/**
 * Takes seats inside the caller's transaction with one conditional UPDATE per target: the row
 * lock plus `seats_taken + n <= capacity` make overbooking impossible without any
 * read-then-write window. Targets are locked in a fixed order so two orders for the same two
 * occurrences cannot deadlock. The reservations are written first, in one statement: their
 * foreign key takes only a key-share lock on the occurrence, which no other order's seat update
 * waits for (the order's lines took the same one already), and the seat rows, which every order
 * of an event updates, are then held only until the caller's commit (docs/performance.md,
 * eleventh pass). On errors the caller rolls back, reservations included.
 */
export async function holdSeats(
  trx: Kysely<Database>,
  tenantId: string,
  orderId: string,
  holds: DraftHold[],
): Promise<BusinessError[]> {
  const reservations = holds.map((hold) => ({
    id: crypto.randomUUID(),
    tenant_id: tenantId,
    order_id: orderId,
    occurrence_id: hold.occurrenceId,
    product_id: hold.occurrenceId ? null : hold.productId,
    inventory_date: hold.occurrenceId ? null : hold.inventoryDate,
    quantity: hold.quantity,
  }));
  for (const batch of batchesOf(reservations)) await trx.insertInto('reservations').values(batch).execute();
  const errors: BusinessError[] = [];
  for (const hold of inSeatLockOrder(holds, (h) => [h.occurrenceId, h.productId, h.inventoryDate])) {
    if (hold.occurrenceId) {
      const { occurrenceId, quantity } = hold;
      const taken = await takeOccurrenceSeats.first(trx, { tenantId, occurrenceId, quantity });
      if (!taken) {
        errors.push({
          code: 'occurrence_full',
          message: `Not enough seats left on ${hold.occurrenceId} for ${hold.quantity} more`,
          field: 'lines',
        });
      }
    } else if (hold.productId && hold.inventoryDate) {
      await sql`
        INSERT INTO product_date_inventory (tenant_id, product_id, date, capacity)
        SELECT tenant_id, id, ${hold.inventoryDate}::date, daily_capacity FROM products
        WHERE tenant_id = ${tenantId} AND id = ${hold.productId} AND daily_capacity IS NOT NULL
        ON CONFLICT (product_id, date) DO NOTHING`.execute(trx);
      const { productId, inventoryDate: date, quantity } = hold;
      const taken = await takeDateSeats.first(trx, { tenantId, productId, date, quantity });
      if (!taken) {
        errors.push({
          code: 'product_sold_out_for_date',
          message: `Not enough left of ${hold.productId} on ${hold.inventoryDate}`,
          field: 'lines',
        });
      }
    }
  }
  return errors;
}

/**
 * The order in which placements, releases and partial cancellations lock seat rows: by occurrence, then product and
 * date, compared by code unit (not by locale), so that two of them on the same rows cannot deadlock. An order change
 * gives back its old seats and then takes its new ones, two passes in this order each; against a placement it can
 * still deadlock once, and PostgreSQL then aborts one side, whose activity retries.
 */
export function inSeatLockOrder<T>(items: readonly T[], key: (item: T) => (string | null | undefined)[]): T[] {
  const keyOf = (item: T) =>
    key(item)
      .map((part) => part ?? '')
      .join('|');
  return [...items].sort((a, b) => {
    const [ka, kb] = [keyOf(a), keyOf(b)];
    return ka < kb ? -1 : ka > kb ? 1 : 0;
  });
}

/**
 * Releases the order's live reservations exactly once: the status guard in the UPDATE means a
 * retried or concurrent release finds nothing left to give back. The seat rows are given back in
 * the order holdSeats takes them (PostgreSQL returns the reservations in no particular order).
 */
export async function releaseSeats(
  trx: Kysely<Database>,
  orderId: string,
  statuses: ('held' | 'booked')[] = ['held'],
): Promise<number> {
  const released = await trx
    .updateTable('reservations')
    .set({ status: 'released', released_at: sql`now()` })
    .where('order_id', '=', orderId)
    .where('status', 'in', statuses)
    .returning(['occurrence_id', 'product_id', 'inventory_date', 'quantity'])
    .execute();
  for (const r of inSeatLockOrder(released, (row) => [row.occurrence_id, row.product_id, row.inventory_date])) {
    if (r.occurrence_id) {
      await trx
        .updateTable('occurrences')
        .set({ seats_taken: sql`seats_taken - ${r.quantity}`, updated_at: sql`now()` })
        .where('id', '=', r.occurrence_id)
        .execute();
    } else if (r.product_id && r.inventory_date) {
      await trx
        .updateTable('product_date_inventory')
        .set({ seats_taken: sql`seats_taken - ${r.quantity}` })
        .where('product_id', '=', r.product_id)
        .where('date', '=', r.inventory_date)
        .execute();
    }
  }
  return released.reduce((sum, r) => sum + r.quantity, 0);
}
