import { describe, expect, it } from 'vitest';
import { placeOrder } from '../../activities/intake/place-order';
import { databaseWithTenant } from '../helpers/database-with-tenant';
import { validatedPlacement } from '../helpers/order-placement';

// The placement activity retried after its first try committed (the answer was lost): the order row is found in the
// same transaction that would write it again, so nothing is written twice and nothing is taken back.
const setup = databaseWithTenant();

describe('placing an order twice', () => {
  it('the retry answers ok, holds no second seat and writes no second row', async () => {
    const db = setup.database.db;
    const { input, occurrenceId: occurrence } = await validatedPlacement(db, setup.tenant.id, {
      paymentMethod: 'invoice',
      quantity: 2,
      capacity: 5,
    });

    expect(await placeOrder(db, input)).toEqual({ ok: true });
    expect(await placeOrder(db, input)).toEqual({ ok: true });

    const seats = await db
      .selectFrom('occurrences')
      .select('seats_taken')
      .where('id', '=', occurrence)
      .executeTakeFirstOrThrow();
    expect(seats.seats_taken).toBe(2);
    const count = async (table: 'orders' | 'reservations' | 'order_lines' | 'order_events') => {
      const column = table === 'orders' ? 'id' : 'order_id';
      const rows = await db.selectFrom(table).select(column).where(column, '=', input.orderId).execute();
      return rows.length;
    };
    expect(await count('orders')).toBe(1);
    expect(await count('reservations')).toBe(1);
    expect(await count('order_lines')).toBe(1);
    expect(await count('order_events')).toBe(1);
  });
});
