import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const startPayment = (id: string) =>
  fetch(`${stack.baseUrl}/v1/orders/${id}/payments`, { method: 'POST', headers: { 'X-API-Key': tenant.apiKey } });

describe('POST /v1/orders/{id}/payments', () => {
  it('opens a new attempt (201 + Location), closes the old page, and the new one completes the order', async () => {
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'again@example.com' },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    const response = await startPayment(placed.body.id);
    expect(response.status).toBe(201);
    const body = await jsonOf(response);
    expect(response.headers.get('location')).toBe(body.redirect_url);
    expect(body).toMatchObject({ amount: 50_000, currency: 'nok' });
    expect(body.session_id).not.toBe(placed.body.payment.session_id);
    expect((await fetch(placed.body.payment.redirect_url)).status).toBe(410);
    await client.actOnPaymentPage(body.redirect_url, 'pay');
    const order = await eventually(async () => {
      const { body: o } = await client.getOrder(placed.body.id);
      return o.status === 'completed' ? o : undefined;
    });
    expect(
      order.payments
        .filter((p: { kind: string; status: string }) => p.kind === 'charge')
        .map((p: { status: string }) => p.status),
    ).toEqual(['cancelled', 'succeeded']);
    expect(order.left_to_pay).toBe(0);

    // Completed and paid in full: nothing left to pay, which is an answer, not a conflict.
    const after = await startPayment(placed.body.id);
    expect(after.status).toBe(200);
    expect(await jsonOf(after)).toEqual({ left_to_pay: 0 });
  });

  it('a free order has nothing to pay: 200 {left_to_pay: 0}, no session opened', async () => {
    const free = await createProduct(stack.database.db, tenant.id, { price: 0, name: 'Open day' });
    const freeOccurrence = await createOccurrence(stack.database.db, tenant.id, free, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'free@example.com' },
      lines: [{ occurrence_id: freeOccurrence, quantity: 1 }],
    });
    await eventually(async () =>
      (await client.getOrder(placed.body.id)).body.status === 'completed' ? true : undefined,
    );
    const answer = await startPayment(placed.body.id);
    expect(answer.status).toBe(200);
    expect(await jsonOf(answer)).toEqual({ left_to_pay: 0 });
    expect((await client.getOrder(placed.body.id)).body.payments).toEqual([]);
  });

  it('an invoice order is refused with order_not_payable; an unknown order is 404', async () => {
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'inv@example.com' },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    await eventually(async () =>
      (await client.getOrder(placed.body.id)).body.status === 'invoiced' ? true : undefined,
    );
    const refused = await startPayment(placed.body.id);
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).code).toBe('order_not_payable');
    expect((await startPayment(crypto.randomUUID())).status).toBe(404);
  });
});
