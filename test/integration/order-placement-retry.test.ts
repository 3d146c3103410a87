import { describe, expect, it } from 'vitest';
import { placeOrder } from '../../activities/intake/place-order';
import { validateOrder } from '../../activities/intake/validate-order';
import type { OrderRequest } from '../../domain/order-request';
import { createOccurrence, createProduct } from '../helpers/fixtures';
import { databaseWithTenant } from '../helpers/database-with-tenant';

// The placement activity retried after its first try committed (the answer was lost): the order row is found in the
// same transaction that would write it again, so nothing is written twice and nothing is taken back.
const setup = databaseWithTenant();

describe('placing an order twice', () => {
  it('the retry answers ok, holds no second seat and writes no second row', async () => {
    const db = setup.database.db;
    const course = await createProduct(db, setup.tenant.id, { price: 5_000, name: 'Retried placement' });
    const occurrence = await createOccurrence(db, setup.tenant.id, course, { capacity: 5 });
    const request = {
      payment_method: 'invoice',
      booker: { email: 'retry@example.com', firstname: 'Re', lastname: 'Try' },
      lines: [{ occurrence_id: occurrence, quantity: 2 }],
    } as OrderRequest;
    const submission = { request, requestHash: 'retry', canOverridePrice: false };
    const validated = await validateOrder(db, { tenantId: setup.tenant.id, submission });
    if (!validated.ok) throw new Error(JSON.stringify(validated.errors));
    const input = {
      tenantId: setup.tenant.id,
      orderId: crypto.randomUUID(),
      orderNumber: 4242,
      workflowId: 'order-retry-test',
      submission,
      draft: validated.draft,
      paymentMethod: 'invoice' as const,
      preliminaryUntil: null,
    };

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
