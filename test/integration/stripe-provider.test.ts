import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { stripeSecretKeyVariable, stripeWebhookSecretVariable } from '../../payments/stripe-provider';
import type { Db } from '../../db/database';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { postStripeWebhook, signStripeWebhook, type StripeStub, startStripeStub } from '../helpers/stripe-stub';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Card payments of a Stripe tenant through the real stack (API, worker, Temporal, PostgreSQL),
// with the official SDK talking to a local Stripe stub: no network.

const suffix = randomBytes(3).toString('hex');
const shop = { slug: `stripe-shop-${suffix}`, key: `sk_test_shop_${suffix}`, webhookSecret: `whsec_shop_${suffix}` };
const deadlineShop = { slug: `stripe-dl-${suffix}`, key: `sk_test_dl_${suffix}`, webhookSecret: `whsec_dl_${suffix}` };
const unconfigured = { slug: `stripe-none-${suffix}` };

let stub: StripeStub;
let stack: TestStack;
let deadlineStack: TestStack;
const savedEnv = { ...process.env };

async function stripeTenant(db: Db, slug: string): Promise<TestTenant> {
  const tenant = await createTenant(db, { slug });
  await db.updateTable('tenants').set({ payment_provider: 'stripe' }).where('id', '=', tenant.id).execute();
  return tenant;
}

function waiter(client: ReturnType<typeof orderClient>) {
  return (id: string, status: string) =>
    eventually(async () => {
      const { body } = await client.getOrder(id);
      return body.status === status ? body : undefined;
    });
}

beforeAll(async () => {
  stub = await startStripeStub({ apiKeys: [shop.key, deadlineShop.key] });
  // Configuration is read by the worker and the API: set before the stacks are built.
  process.env.STRIPE_API_BASE = stub.url;
  for (const t of [shop, deadlineShop]) {
    process.env[stripeSecretKeyVariable(t.slug)] = t.key;
    process.env[stripeWebhookSecretVariable(t.slug)] = t.webhookSecret;
  }
  [stack, deadlineStack] = await Promise.all([startTestStack(), startTestStack({ preliminaryWindowMs: 6_000 })]);
});

afterAll(async () => {
  await Promise.all([stack?.stop(), deadlineStack?.stop()]);
  await stub?.stop();
  for (const key of Object.keys(process.env)) if (!(key in savedEnv)) delete process.env[key];
});

describe('card orders of a Stripe tenant', () => {
  let tenant: TestTenant;
  let occurrenceId: string;
  let client: ReturnType<typeof orderClient>;
  let waitForStatus: ReturnType<typeof waiter>;
  let webhookUrl: string;

  beforeAll(async () => {
    tenant = await stripeTenant(stack.database.db, shop.slug);
    const course = await createProduct(stack.database.db, tenant.id, {
      price: 100_000,
      vatRateBp: 2500,
      name: 'Sailing course',
    });
    occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20, startsInDays: 10 });
    client = orderClient(stack, tenant.apiKey);
    waitForStatus = waiter(client);
    webhookUrl = `${stack.baseUrl}/v1/webhooks/stripe/${shop.slug}`;
  });

  const cardOrder = (email = 'jane@example.com') => ({
    payment_method: 'card',
    booker: { name: 'Jane Doe', email },
    payment_complete_url: 'https://shop.example/thanks',
    payment_cancel_url: 'https://shop.example/cart',
    lines: [
      {
        occurrence_id: occurrenceId,
        participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
      },
    ],
  });

  async function payViaWebhook(sessionId: string) {
    stub.markPaid(sessionId);
    const event = stub.checkoutEvent('checkout.session.completed', sessionId);
    const response = await postStripeWebhook(webhookUrl, event, shop.webhookSecret);
    expect(response.status).toBe(200);
    return event;
  }

  it("opens a Checkout Session with the order's amount and completes on the signed webhook", async () => {
    const placed = await client.placeOrder(cardOrder('checkout@example.com'));
    expect(placed.status).toBe(201);
    const orderId: string = placed.body.id;
    const sessionId: string = placed.body.payment.session_id;
    expect(sessionId).toMatch(/^cs_test_/);
    expect(placed.body.payment.redirect_url).toBe(`${stub.url}/c/pay/${sessionId}`);

    const session = stub.sessions.get(sessionId)!;
    expect(session).toMatchObject({
      mode: 'payment',
      status: 'open',
      amount_total: placed.body.totals.incl_vat,
      currency: 'nok',
      client_reference_id: orderId,
      metadata: { order_id: orderId, tenant: shop.slug },
      success_url: 'https://shop.example/thanks',
      cancel_url: 'https://shop.example/cart',
    });
    expect(session.line_items).toEqual([
      {
        name: expect.stringContaining(String(placed.body.number)),
        unit_amount: placed.body.totals.incl_vat,
        quantity: 1,
      },
    ]);
    expect(session.expires_at).toBeGreaterThan(Math.floor(Date.now() / 1000) + 30 * 60);
    const creates = stub.requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/checkout/sessions' && r.params.client_reference_id === orderId,
    );
    expect(creates).toEqual([
      expect.objectContaining({ apiKey: shop.key, idempotencyKey: `${orderId}:charge:1`, status: 200 }),
    ]);

    const event = await payViaWebhook(sessionId);
    const order = await waitForStatus(orderId, 'completed');
    expect(order.payments).toEqual([
      expect.objectContaining({
        kind: 'charge',
        provider: 'stripe',
        session_id: sessionId,
        status: 'succeeded',
        amount: placed.body.totals.incl_vat,
      }),
    ]);
    expect(order.documents).toEqual([expect.objectContaining({ kind: 'receipt', status: 'paid' })]);
    expect(order.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['payment.session_created', 'payment.succeeded', 'order.booked', 'order.completed']),
    );
    const stored = await stack.database.db
      .selectFrom('payment_events')
      .selectAll()
      .where('provider', '=', 'stripe')
      .where('provider_event_id', '=', event.id)
      .execute();
    expect(stored).toEqual([
      expect.objectContaining({
        order_id: orderId,
        type: 'checkout.session.completed',
        raw_body: JSON.stringify(event, null, 2),
      }),
    ]);
    await eventually(async () => (await stack.mail()).find((m) => m.to.includes('checkout@example.com')));
  });

  it('the same webhook three times makes one payment, one receipt, one email', async () => {
    const placed = await client.placeOrder(cardOrder('thrice@example.com'));
    const sessionId: string = placed.body.payment.session_id;
    stub.markPaid(sessionId);
    const event = stub.checkoutEvent('checkout.session.completed', sessionId);
    const answers = [];
    for (let i = 0; i < 3; i++) {
      const response = await postStripeWebhook(webhookUrl, event, shop.webhookSecret);
      expect(response.status).toBe(200);
      answers.push(await jsonOf(response));
    }
    expect(answers).toEqual([
      { received: true, duplicate: false },
      { received: true, duplicate: true },
      { received: true, duplicate: true },
    ]);
    await waitForStatus(placed.body.id, 'completed');
    await new Promise((r) => setTimeout(r, 500));
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'charge')).toHaveLength(1);
    expect(order.documents).toHaveLength(1);
    const events = await stack.database.db
      .selectFrom('payment_events')
      .select('id')
      .where('provider_event_id', '=', event.id)
      .execute();
    expect(events).toHaveLength(1);
    const mails = (await stack.mail()).filter((m) => m.to.includes('thrice@example.com'));
    expect(mails).toHaveLength(1);
  });

  it(
    'a declined attempt (payment_intent.payment_failed) leaves the order payable; a ' + 'payment then completes it',
    async () => {
      const placed = await client.placeOrder(cardOrder('declined@example.com'));
      const sessionId: string = placed.body.payment.session_id;
      const failed = await postStripeWebhook(webhookUrl, stub.paymentFailedEvent(sessionId), shop.webhookSecret);
      expect(failed.status).toBe(200);
      await waitForStatus(placed.body.id, 'payment_failed');
      await payViaWebhook(sessionId);
      const order = await waitForStatus(placed.body.id, 'completed');
      expect(order.payments[0]).toMatchObject({ provider: 'stripe', status: 'succeeded' });
    },
  );

  it('a cancellation refunds through Stripe once, with our idempotency key', async () => {
    const placed = await client.placeOrder(cardOrder('refund@example.com'));
    const orderId: string = placed.body.id;
    const sessionId: string = placed.body.payment.session_id;
    await payViaWebhook(sessionId);
    await waitForStatus(orderId, 'completed');
    const paymentIntent = stub.sessions.get(sessionId)!.payment_intent!;

    const response = await fetch(`${stack.baseUrl}/v1/orders/${orderId}/cancel`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ reason: 'cannot attend' }),
    });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({
      status: 'cancelled',
      full: true,
      refund_amount: placed.body.totals.incl_vat,
      refund_via: 'card',
    });

    const refundCalls = stub.requests.filter(
      (r) => r.method === 'POST' && r.path === '/v1/refunds' && r.params.payment_intent === paymentIntent,
    );
    expect(refundCalls).toEqual([
      expect.objectContaining({
        apiKey: shop.key,
        idempotencyKey: `${orderId}:refund:${sessionId}:cancellation-1`,
        status: 200,
        params: { payment_intent: paymentIntent, amount: String(placed.body.totals.incl_vat) },
      }),
    ]);
    const refunds = stub.refunds.filter((r) => r.payment_intent === paymentIntent);
    expect(refunds).toEqual([expect.objectContaining({ amount: placed.body.totals.incl_vat, status: 'succeeded' })]);
    const order = (await client.getOrder(orderId)).body;
    expect(order.status).toBe('cancelled');
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'refund')).toEqual([
      expect.objectContaining({ provider: 'stripe', amount: placed.body.totals.incl_vat, status: 'succeeded' }),
    ]);
    const refundRow = await stack.database.db
      .selectFrom('payments')
      .select('provider_payment_id')
      .where('order_id', '=', orderId)
      .where('kind', '=', 'refund')
      .executeTakeFirstOrThrow();
    expect(refundRow.provider_payment_id).toBe(refunds[0]!.id);
  });

  it('refuses a forged, tampered or misaddressed webhook and changes nothing', async () => {
    const placed = await client.placeOrder(cardOrder('forged@example.com'));
    const sessionId: string = placed.body.payment.session_id;
    const event = stub.checkoutEvent('checkout.session.completed', sessionId);
    (event.data.object as { payment_status: string }).payment_status = 'paid';
    const body = JSON.stringify(event);

    const wrongSecret = await postStripeWebhook(webhookUrl, body, 'whsec_not_the_tenants');
    expect(wrongSecret.status).toBe(401);
    expect((await jsonOf(wrongSecret)).code).toBe('webhook_signature_invalid');

    const tampered = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': signStripeWebhook(body.replace('"livemode":false', '"livemode":true'), shop.webhookSecret),
      },
      body,
    });
    expect(tampered.status).toBe(401);
    const stale = await fetch(webhookUrl, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Stripe-Signature': signStripeWebhook(body, shop.webhookSecret, Math.floor(Date.now() / 1000) - 301),
      },
      body,
    });
    expect(stale.status).toBe(401);
    const unsigned = await fetch(webhookUrl, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
    expect(unsigned.status).toBe(401);
    // Another tenant's endpoint does not take this tenant's secret.
    const otherTenant = await postStripeWebhook(
      `${stack.baseUrl}/v1/webhooks/stripe/${deadlineShop.slug}`,
      body,
      shop.webhookSecret,
    );
    expect(otherTenant.status).toBe(401);
    const unknownTenant = await postStripeWebhook(
      `${stack.baseUrl}/v1/webhooks/stripe/no-such-tenant`,
      body,
      shop.webhookSecret,
    );
    expect(unknownTenant.status).toBe(401);

    await new Promise((r) => setTimeout(r, 300));
    expect((await client.getOrder(placed.body.id)).body.status).toBe('awaiting_payment');
    const stored = await stack.database.db
      .selectFrom('payment_events')
      .select('id')
      .where('provider_event_id', '=', event.id)
      .execute();
    expect(stored).toEqual([]);
  });

  it('acknowledges an event type it does not act on without storing it', async () => {
    const event = {
      id: `evt_test_other_${suffix}`,
      object: 'event',
      type: 'customer.created',
      created: Math.floor(Date.now() / 1000),
      data: { object: { id: 'cus_1', object: 'customer' } },
    };
    const response = await postStripeWebhook(webhookUrl, JSON.stringify(event), shop.webhookSecret);
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toEqual({ received: true, duplicate: false, ignored: true });
    const stored = await stack.database.db
      .selectFrom('payment_events')
      .select('id')
      .where('provider_event_id', '=', event.id)
      .execute();
    expect(stored).toEqual([]);
  });

  it('a Stripe tenant without a configured secret key: the order is refused and nothing is held', async () => {
    const other = await stripeTenant(stack.database.db, unconfigured.slug);
    const course = await createProduct(stack.database.db, other.id, { price: 50_000 });
    const occurrence = await createOccurrence(stack.database.db, other.id, course, { capacity: 3 });
    const otherClient = orderClient(stack, other.apiKey);
    const placed = await otherClient.placeOrder({
      payment_method: 'card',
      booker: { email: 'nokey@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 2 }],
    });
    expect(placed.status).toBe(503);
    expect(placed.body.code).toBe('order_intake_unavailable');
    expect((await otherClient.occurrence(occurrence)).seats_left).toBe(3);
    const orders = await stack.database.db
      .selectFrom('orders')
      .select('id')
      .where('tenant_id', '=', other.id)
      .execute();
    expect(orders).toEqual([]);
  });
});

describe('the deadline of a Stripe card order (6 s window)', () => {
  let tenant: TestTenant;
  let occurrenceId: string;
  let client: ReturnType<typeof orderClient>;
  let waitForStatus: ReturnType<typeof waiter>;

  beforeAll(async () => {
    tenant = await stripeTenant(deadlineStack.database.db, deadlineShop.slug);
    const course = await createProduct(deadlineStack.database.db, tenant.id, { price: 40_000, name: 'Course' });
    occurrenceId = await createOccurrence(deadlineStack.database.db, tenant.id, course, { capacity: 5 });
    client = orderClient(deadlineStack, tenant.apiKey);
    waitForStatus = waiter(client);
  });

  const cardOrder = (email: string) => ({
    payment_method: 'card',
    booker: { name: 'Jane', email },
    lines: [{ occurrence_id: occurrenceId, quantity: 2 }],
  });

  it('a lost webhook never expires a paid order: Stripe refuses to expire a paid session', async () => {
    const placed = await client.placeOrder(cardOrder('lost@example.com'));
    expect(placed.status).toBe(201);
    const sessionId: string = placed.body.payment.session_id;
    // The order asks Stripe before its "order received" notice (a third of the window in): not paid yet.
    const sessionPath = `/v1/checkout/sessions/${sessionId}`;
    await eventually(async () => stub.requests.find((r) => r.method === 'GET' && r.path === sessionPath));
    // Then the customer paid, and Stripe's webhook never reached us: the deadline finds the payment.
    stub.markPaid(sessionId);
    const order = await waitForStatus(placed.body.id, 'completed');
    expect(order.payments[0]).toMatchObject({
      provider: 'stripe',
      status: 'succeeded',
      amount: placed.body.totals.incl_vat,
    });
    expect(order.reservations[0].status).toBe('booked');
    expect(order.timeline.map((e: { type: string }) => e.type)).not.toContain('order.expired');
    const expireCalls = stub.requests.filter((r) => r.path === `/v1/checkout/sessions/${sessionId}/expire`);
    expect(expireCalls).toEqual([expect.objectContaining({ apiKey: deadlineShop.key, status: 400 })]);
    expect(stub.sessions.get(sessionId)!.status).toBe('complete');
  });

  it('an unpaid order expires and its Checkout Session is expired at Stripe', async () => {
    const before = (await client.occurrence(occurrenceId)).seats_left;
    const placed = await client.placeOrder(cardOrder('unpaid@example.com'));
    expect(placed.status).toBe(201);
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(before - 2);
    const sessionId: string = placed.body.payment.session_id;
    const order = await waitForStatus(placed.body.id, 'expired');
    expect(order.reservations).toEqual([expect.objectContaining({ status: 'released', quantity: 2 })]);
    expect(stub.sessions.get(sessionId)!.status).toBe('expired');
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(before);
    // Stripe then reports the expiry; it changes nothing.
    const late = await postStripeWebhook(
      `${deadlineStack.baseUrl}/v1/webhooks/stripe/${deadlineShop.slug}`,
      stub.checkoutEvent('checkout.session.expired', sessionId),
      deadlineShop.webhookSecret,
    );
    expect(late.status).toBe(200);
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.getOrder(placed.body.id)).body.status).toBe('expired');
  });
});
