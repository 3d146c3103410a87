import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, Order, OrderLinesTable } from '../schema';
import type { OrderScope } from './order-scope';
import { inSeatLockOrder } from './seat-holds';

// What a cancellation reads and changes of an order: its participants, lines and seats.

export type OrderLineRow = Selectable<OrderLinesTable>;

/** When the order's service starts: its first occurrence, or its first inventory date. */
export async function loadFirstStart(db: Kysely<Database>, orderId: string): Promise<Date | null> {
  const row = await db
    .selectFrom('order_lines')
    .leftJoin('occurrences', 'occurrences.id', 'order_lines.occurrence_id')
    .select(
      sql<Date | null>`min(coalesce(occurrences.starts_at, order_lines.inventory_date::timestamptz))`.as('starts_at'),
    )
    .where('order_lines.order_id', '=', orderId)
    .executeTakeFirstOrThrow();
  return row.starts_at ? new Date(row.starts_at) : null;
}

export async function listParticipantStates(
  db: Kysely<Database>,
  orderId: string,
): Promise<{ id: string; position: number; status: 'active' | 'cancelled' }[]> {
  return db.selectFrom('participants').select(['id', 'position', 'status']).where('order_id', '=', orderId).execute();
}

/** The order row, locked until the transaction ends: one cancellation or settlement at a time. */
export async function lockOrder(trx: Kysely<Database>, scope: OrderScope): Promise<Order> {
  return trx
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .forUpdate()
    .executeTakeFirstOrThrow();
}

export async function listOrderLines(trx: Kysely<Database>, orderId: string): Promise<OrderLineRow[]> {
  return trx.selectFrom('order_lines').selectAll().where('order_id', '=', orderId).orderBy('position').execute();
}

export async function cancelParticipants(trx: Kysely<Database>, participantIds: readonly string[]): Promise<void> {
  if (participantIds.length === 0) return;
  await trx.updateTable('participants').set({ status: 'cancelled' }).where('id', 'in', participantIds).execute();
}

/**
 * One seat per cancelled participant goes back on each occurrence they were booked on: the
 * reservation shrinks, or is released when it held no more than that. Answers the seats released.
 */
export async function releaseParticipantSeats(
  trx: Kysely<Database>,
  orderId: string,
  lines: readonly { occurrence_id: string | null; quantity: number }[],
): Promise<number> {
  let released = 0;
  // In the seats' lock order, as holdSeats takes them and releaseSeats gives them back.
  for (const line of inSeatLockOrder(lines, (l) => [l.occurrence_id])) {
    if (!line.occurrence_id) continue;
    const shrunk = await trx
      .updateTable('reservations')
      .set({ quantity: sql`quantity - ${line.quantity}` })
      .where('order_id', '=', orderId)
      .where('occurrence_id', '=', line.occurrence_id)
      .where('status', 'in', ['held', 'booked'])
      .where('quantity', '>', line.quantity)
      .returning('id')
      .executeTakeFirst();
    if (!shrunk) {
      await trx
        .updateTable('reservations')
        .set({ status: 'released', released_at: sql`now()` })
        .where('order_id', '=', orderId)
        .where('occurrence_id', '=', line.occurrence_id)
        .where('status', 'in', ['held', 'booked'])
        .execute();
    }
    await trx
      .updateTable('occurrences')
      .set({ seats_taken: sql`seats_taken - ${line.quantity}`, updated_at: sql`now()` })
      .where('id', '=', line.occurrence_id)
      .execute();
    released += line.quantity;
  }
  return released;
}
