import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient, paymentFormToken } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 20_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const headers = () => ({ 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' });
const order = (email: string) =>
  client.placeOrder({
    payment_method: 'card',
    booker: { email },
    lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
  });
const completed = (id: string) =>
  eventually(async () => ((await client.getOrder(id)).body.status === 'completed' ? true : undefined));

describe('saved cards', () => {
  it('a card saved on the payment page pays the next order without a redirect', async () => {
    const first = await order('saver@example.com');
    // The customer ticks "save this card" on the provider's page.
    const csrfToken = paymentFormToken(await (await fetch(first.body.payment.redirect_url)).text());
    const paid = await fetch(first.body.payment.redirect_url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        action: 'pay',
        card_number: '5555 5555 5555 4444',
        save_card: '1',
        csrf_token: csrfToken,
      }).toString(),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);
    await completed(first.body.id);

    const customers = await jsonOf(
      await fetch(`${stack.baseUrl}/v1/customers?email=saver@example.com`, { headers: headers() }),
    );
    const customerId = customers.data[0].id;
    const cards = await jsonOf(
      await fetch(`${stack.baseUrl}/v1/customers/${customerId}/saved-cards`, { headers: headers() }),
    );
    expect(cards.data).toEqual([expect.objectContaining({ provider: 'sandbox', brand: 'mastercard', last4: '4444' })]);

    const second = await order('saver@example.com');
    const response = await fetch(`${stack.baseUrl}/v1/orders/${second.body.id}/payments`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ saved_card_id: cards.data[0].id }),
    });
    expect(response.status).toBe(201);
    expect(await jsonOf(response)).toMatchObject({ requires_redirect: false, amount: 25_000 });
    await completed(second.body.id);

    // Somebody else's order cannot use it.
    const other = await order('someone-else@example.com');
    const refused = await fetch(`${stack.baseUrl}/v1/orders/${other.body.id}/payments`, {
      method: 'POST',
      headers: headers(),
      body: JSON.stringify({ saved_card_id: cards.data[0].id }),
    });
    expect(refused.status).toBe(422);
    expect((await jsonOf(refused)).code).toBe('saved_card_invalid');

    const forgotten = await fetch(`${stack.baseUrl}/v1/customers/${customerId}/saved-cards/${cards.data[0].id}`, {
      method: 'DELETE',
      headers: headers(),
    });
    expect(forgotten.status).toBe(204);
    expect(
      (await jsonOf(await fetch(`${stack.baseUrl}/v1/customers/${customerId}/saved-cards`, { headers: headers() })))
        .data,
    ).toEqual([]);
  });
});
