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

    // Completed: no more payments.
    const after = await startPayment(placed.body.id);
    expect(after.status).toBe(409);
    expect((await jsonOf(after)).code).toBe('order_not_payable');
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
