import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The subscription platform's create_order: a product, one of its periods and a start date. The
// order is priced at the period's price, paid as any order, and when it completes a subscription
// exists with its own number, linked to the order line that bought it. Renewals are still to come.

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
let newspaper: string;
let course: string;

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function product(body: Record<string, unknown>): Promise<string> {
  const created = await call('/v1/catalog/products', { method: 'POST', body: { vat_rate: 25, ...body } });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body.id;
}

async function period(productId: string, body: Record<string, unknown>) {
  const created = await call(`/v1/catalog/products/${productId}/periods`, { method: 'POST', body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
  return created.body;
}

function today(): string {
  return new Date().toISOString().slice(0, 10);
}

async function subscriptionsOf(orderId: string) {
  return stack.database.db
    .selectFrom('subscriptions')
    .selectAll()
    .where('order_id', '=', orderId)
    .orderBy('number')
    .execute();
}

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  newspaper = await product({ type: 'subscription', name: 'Daily News', price: 0 });
  await period(newspaper, {
    code: 'monthly',
    name: 'Monthly',
    length_unit: 'month',
    length_count: 1,
    price: 29_900,
    payment_methods: ['card', 'invoice'],
    physical: true,
  });
  await period(newspaper, {
    code: 'quarterly-invoice',
    name: 'Quarterly',
    length_unit: 'quarter',
    length_count: 1,
    price: 79_900,
    payment_methods: ['invoice'],
  });
  await period(newspaper, {
    code: 'trial',
    name: 'Two free weeks',
    length_unit: 'day',
    length_count: 14,
    price: 0,
    payment_methods: ['free'],
    physical: true,
  });
  course = await product({ type: 'item', name: 'Tote bag', price: 10_000 });
});
afterAll(async () => stack?.stop());

const delivery = { name: 'Kari Nordmann', address: { line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo' } };

describe('buying a subscription', () => {
  it('is priced at the period, paid by card and becomes subscription number 1 when the order completes', async () => {
    const start = today();
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Kari', email: 'kari@example.com' },
      delivery,
      lines: [{ product_id: newspaper, period: 'MONTHLY', start_date: start }],
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    // 299.00 excl. VAT + 25 % = 373.75
    expect(placed.body.totals.incl_vat).toBe(37_375);
    expect(placed.body.lines[0].description).toBe('Daily News — Monthly');
    expect(await subscriptionsOf(placed.body.id)).toEqual([]);

    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    const [subscription, ...more] = await subscriptionsOf(placed.body.id);
    expect(more).toEqual([]);
    const end = new Date(`${start}T00:00:00Z`);
    end.setUTCMonth(end.getUTCMonth() + 1);
    expect(subscription).toMatchObject({
      number: 1,
      status: 'active',
      product_id: newspaper,
      payment_method: 'card',
      customer_email: 'kari@example.com',
      start_date: start,
      current_period_end: end.toISOString().slice(0, 10),
    });
    // The same subscription through the API, with the order that bought it.
    const read = await call(`/v1/subscriptions/${subscription!.id}`);
    expect(read.body).toMatchObject({
      number: 1,
      status: 'active',
      period: { code: 'monthly', length_unit: 'month', length_count: 1 },
      customer: { email: 'kari@example.com' },
      order: { id: placed.body.id, status: 'completed' },
    });
    const listed = await call('/v1/subscriptions?customer_email=KARI@example.com');
    expect(listed.body.data.map((s: { id: string }) => s.id)).toEqual([subscription!.id]);
  });

  it('by invoice starts when the invoice is paid; a free trial at once', async () => {
    const invoiced = await client.placeOrder({
      payment_method: 'invoice',
      booker: { name: 'Ola', email: 'ola@example.com' },
      lines: [{ product_id: newspaper, period: 'quarterly-invoice' }],
    });
    expect(invoiced.status, JSON.stringify(invoiced.body)).toBe(201);
    const order = await client.waitForStatus(invoiced.body.id, 'invoiced');
    expect(await subscriptionsOf(invoiced.body.id)).toEqual([]);
    const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
    const paid = await call(`/v1/invoices/${invoice.id}/paid`, {
      method: 'PUT',
      body: { amount: invoice.total_incl_vat, reference: 'bank-1' },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBeLessThan(300);
    await client.waitForStatus(invoiced.body.id, 'completed');
    expect(await subscriptionsOf(invoiced.body.id)).toEqual([
      expect.objectContaining({ number: 2, start_date: today() }),
    ]);

    const trial = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Per', email: 'per@example.com' },
      delivery,
      lines: [{ product_id: newspaper, period: 'trial' }],
    });
    expect(trial.status, JSON.stringify(trial.body)).toBe(201);
    await client.waitForStatus(trial.body.id, 'completed');
    expect(await subscriptionsOf(trial.body.id)).toEqual([
      expect.objectContaining({ number: 3, payment_method: 'free' }),
    ]);
  });

  it('refuses what the period does not allow, every error at once, holding nothing', async () => {
    const yesterday = new Date(Date.now() - 86_400_000).toISOString().slice(0, 10);
    const refused = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'x@example.com' },
      lines: [
        { product_id: newspaper },
        { product_id: newspaper, period: 'weekly' },
        { product_id: newspaper, period: 'monthly', start_date: yesterday, quantity: 2 },
        { product_id: newspaper, period: 'quarterly-invoice' },
        { product_id: course, period: 'monthly' },
      ],
    });
    expect(refused.status).toBe(422);
    const codes = refused.body.errors.map((e: { code: string; field: string }) => `${e.code} ${e.field}`);
    expect(codes).toEqual(
      expect.arrayContaining([
        'subscription_period_required lines.0.period',
        'subscription_period_invalid lines.1.period',
        'subscription_quantity_invalid lines.2.quantity',
        'subscription_start_date_invalid lines.2.start_date',
        'delivery_address_required delivery.address',
        'payment_method_not_allowed_for_period payment_method',
        'subscription_fields_not_allowed lines.4.period',
      ]),
    );
    const malformed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'x@example.com' },
      lines: [{ product_id: newspaper, period: 'monthly', start_date: 'next monday' }],
    });
    expect(malformed.status).toBe(400);
  });
});
