import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { unusedPeriodCredit } from '../../domain/subscription-calendar';
import { createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Renewals on the real stack (issue 13): one workflow per subscription renews it by placing the
// period's order — an order workflow of its own — and paying it with the card the buyer agreed to
// keep, or by invoice. A day of the subscription's calendar lasts DAY_MS here (a test-only
// override, as the payment window's), so a three-day period renews every three seconds.

const DAY_MS = 1000;

let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
let newspaper: string;

async function call(path: string, init: { method?: string; body?: unknown } = {}) {
  const response = await fetch(`${stack.baseUrl}${path}`, {
    method: init.method ?? 'GET',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    ...(init.body === undefined ? {} : { body: JSON.stringify(init.body) }),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

async function period(body: Record<string, unknown>) {
  const created = await call(`/v1/catalog/products/${newspaper}/periods`, { method: 'POST', body });
  expect(created.status, JSON.stringify(created.body)).toBe(201);
}

function db() {
  return stack.database.db;
}

async function subscriptionOf(orderId: string) {
  return eventually(() =>
    db().selectFrom('subscriptions').selectAll().where('order_id', '=', orderId).executeTakeFirst(),
  );
}

async function cyclesOf(subscriptionId: string) {
  return db()
    .selectFrom('subscription_cycles as c')
    .leftJoin('orders as o', 'o.id', 'c.order_id')
    .select(['c.sequence', 'c.status', 'c.order_id', 'o.status as order_status', 'o.payment_method'])
    .select((eb) => [eb.ref('o.total_incl_vat').as('total')])
    .where('c.subscription_id', '=', subscriptionId)
    .orderBy('c.sequence')
    .execute();
}

async function mailsOf(subscriptionId: string) {
  const rows = await db()
    .selectFrom('email_outbox')
    .select(['kind', 'recipient', 'text'])
    .where('tenant_id', '=', tenant.id)
    .where('kind', 'like', `subscription_%.${subscriptionId}`)
    .orderBy('created_at')
    .execute();
  return rows.map((r) => ({ ...r, kind: r.kind.replace(`.${subscriptionId}`, '') }));
}

/** Buys the three-day subscription by card and pays on the page, keeping the card (or not). */
async function buyByCard(email: string, card: string, keepCard: boolean) {
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { name: 'Kari Nordmann', email },
    lines: [{ product_id: newspaper, period: 'every-3-days' }],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  const page = await fetch(placed.body.payment.redirect_url).then((r) => r.text());
  expect(page).toContain('charge the renewals of this subscription');
  await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay', card, keepCard ? { save_card: '1' } : {});
  await client.waitForStatus(placed.body.id, 'completed');
  return { order: placed.body, subscription: await subscriptionOf(placed.body.id) };
}

beforeAll(async () => {
  stack = await startTestStack({ subscriptionDayMs: DAY_MS });
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  const created = await call('/v1/catalog/products', {
    method: 'POST',
    body: { type: 'subscription', name: 'Daily News', price: 0, vat_rate: 25 },
  });
  newspaper = created.body.id;
  await period({
    code: 'every-3-days',
    name: 'Three days',
    length_unit: 'day',
    length_count: 3,
    price: 10_000,
    payment_methods: ['card', 'invoice'],
    renewal_notice_days: 1,
  });
  await period({
    code: 'monthly',
    name: 'Monthly',
    length_unit: 'month',
    length_count: 1,
    price: 30_000,
    payment_methods: ['card'],
    renewal_notice_days: 0,
  });
});
afterAll(async () => stack?.stop());

describe('a subscription renews', () => {
  it('by charging the card kept with consent, an order per period, until cancelled at the period end', async () => {
    const { subscription } = await buyByCard('renew-card@example.com', '4242424242424242', true);
    expect(subscription.saved_card_id).not.toBeNull();
    const workflowId = await eventually(async () => {
      const row = await db()
        .selectFrom('subscriptions')
        .select('workflow_id')
        .where('id', '=', subscription.id)
        .executeTakeFirst();
      return row?.workflow_id ?? undefined;
    });
    expect(workflowId).toBe(`subscription-${tenant.slug}-${subscription.number}`);

    // Two renewals, each a completed card order for the period's price (100.00 + 25 % VAT).
    const cycles = await eventually(async () => {
      const rows = await cyclesOf(subscription.id);
      if (rows.filter((c) => c.status === 'paid').length >= 3) return rows;
      throw new Error(JSON.stringify(rows));
    }, 30_000);
    expect(cycles.slice(0, 3).map((c) => [c.sequence, c.status])).toEqual([
      [1, 'paid'],
      [2, 'paid'],
      [3, 'paid'],
    ]);
    for (const renewal of cycles.slice(1, 3)) {
      expect(renewal).toMatchObject({ order_status: 'completed', payment_method: 'card', total: 12_500 });
    }
    const read = await call(`/v1/subscriptions/${subscription.id}`);
    expect(read.status).toBe(200);
    expect(read.body.periods.length).toBeGreaterThanOrEqual(3);

    // Sent as a client may send it: chunked, without a length. A body is a body whatever its encoding.
    const bytes = new TextEncoder().encode(JSON.stringify({ at: 'period_end', reason: 'sent in chunks' }));
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(bytes.slice(0, 7));
        controller.enqueue(bytes.slice(7));
        controller.close();
      },
    });
    const response = await fetch(`${stack.baseUrl}/v1/subscriptions/${subscription.id}/cancel`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: chunked,
      duplex: 'half',
    } as RequestInit);
    const cancelled = { status: response.status, body: await response.json() };
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'active', cancel_at_period_end: true });
    const ended = await eventually(async () => {
      const row = await db()
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', subscription.id)
        .executeTakeFirst();
      return row?.status === 'cancelled' ? row : undefined;
    }, 15_000);
    expect(ended.cancel_reason).toBe('sent in chunks');
    const renewedBeforeTheEnd = (await cyclesOf(subscription.id)).length;
    await new Promise((r) => setTimeout(r, 4 * DAY_MS));
    expect((await cyclesOf(subscription.id)).length).toBe(renewedBeforeTheEnd);

    const kinds = (await mailsOf(subscription.id)).map((m) => m.kind);
    expect(kinds.filter((k) => k === 'subscription_welcome_1')).toHaveLength(1);
    expect(kinds.some((k) => k.startsWith('subscription_renewal_notice_'))).toBe(true);
    expect(kinds.filter((k) => k === 'subscription_cancelled_1')).toHaveLength(1);
  });

  it('by invoice: the renewal order is invoiced and the period runs on', async () => {
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { name: 'Ola', email: 'renew-invoice@example.com' },
      lines: [{ product_id: newspaper, period: 'every-3-days' }],
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    const order = await client.waitForStatus(placed.body.id, 'invoiced');
    const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
    const paid = await call(`/v1/invoices/${invoice.id}/paid`, {
      method: 'PUT',
      body: { amount: invoice.total_incl_vat, reference: 'bank-renewal-1' },
    });
    expect(paid.status, JSON.stringify(paid.body)).toBeLessThan(300);
    await client.waitForStatus(placed.body.id, 'completed');
    const subscription = await subscriptionOf(placed.body.id);

    const renewal = await eventually(async () => {
      const rows = await cyclesOf(subscription.id);
      return rows.find((c) => c.sequence === 2 && c.status === 'paid' && c.order_status === 'invoiced');
    }, 20_000);
    const renewalOrder = await client.getOrder(renewal.order_id);
    expect(renewalOrder.body.documents.map((d: { kind: string }) => d.kind)).toContain('invoice');

    const cancelled = await call(`/v1/subscriptions/${subscription.id}/cancel`, {
      method: 'POST',
      body: { at: 'now', reason: 'moving abroad' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body).toMatchObject({ status: 'cancelled', cancel_reason: 'moving abroad' });
  });

  it('with dunning: a declined renewal charge makes it past due until the customer pays on the link', async () => {
    // This test card is kept, but every charge made without the buyer is declined.
    const { subscription } = await buyByCard('renew-dunning@example.com', '4000000000000341', true);
    const failed = await eventually(async () => {
      const row = await db()
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', subscription.id)
        .executeTakeFirst();
      return row?.status === 'past_due' ? row : undefined;
    }, 15_000);
    expect(failed.current_period_end).toBe(subscription.current_period_end);
    const mail = await eventually(async () =>
      (await mailsOf(subscription.id)).find((m) => m.kind === 'subscription_payment_failed_201'),
    );
    const payUrl = mail.text.match(/https?:\/\/\S+\/psp\/sandbox\/pay\/\S+/)?.[0];
    expect(payUrl, mail.text).toBeDefined();

    await client.actOnPaymentPage(payUrl!, 'pay', '4242424242424242');
    const recovered = await eventually(async () => {
      const row = await db()
        .selectFrom('subscriptions')
        .selectAll()
        .where('id', '=', subscription.id)
        .executeTakeFirst();
      return row?.status === 'active' && row.current_period_end !== subscription.current_period_end ? row : undefined;
    }, 15_000);
    expect(recovered.status).toBe('active');
    const cancelled = await call(`/v1/subscriptions/${subscription.id}/cancel`, {
      method: 'POST',
      body: { at: 'now' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
  });

  it('cancelled at once: the unused days are credited and refunded to the card, to the minor unit', async () => {
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Per', email: 'renew-credit@example.com' },
      lines: [{ product_id: newspaper, period: 'monthly' }],
    });
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    const subscription = await subscriptionOf(placed.body.id);
    await eventually(
      async () =>
        (
          await db()
            .selectFrom('subscriptions')
            .select('workflow_id')
            .where('id', '=', subscription.id)
            .executeTakeFirst()
        )?.workflow_id ?? undefined,
    );

    const cancelled = await call(`/v1/subscriptions/${subscription.id}/cancel`, {
      method: 'POST',
      body: { at: 'now' },
    });
    expect(cancelled.status, JSON.stringify(cancelled.body)).toBe(200);
    expect(cancelled.body.status).toBe('cancelled');
    const { credit } = cancelled.body;
    // The period cost 375.00; which day it is depends on how fast this machine ran, so the credit
    // must be the unused share of one of the first days of the period, exactly.
    const period = { start: subscription.start_date, end: subscription.current_period_end };
    const candidates = [0, 1, 2, 3, 4, 5].map((d) => {
      const asOf = new Date(Date.parse(`${period.start}T00:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
      return unusedPeriodCredit(37_500, period, asOf);
    });
    expect(candidates).toContain(credit.amount);
    expect(credit.amount).toBeGreaterThan(0);
    expect(credit.refund_amount).toBe(credit.amount);
    expect(credit.credit_note_number).toEqual(expect.any(String));

    // The order that paid the period stays completed: only its subscription line's unused days are credited.
    const order = await eventually(async () => {
      const read = await client.getOrder(placed.body.id);
      return read.body.documents.some((d: { kind: string }) => d.kind === 'credit_note') ? read.body : undefined;
    });
    expect(order.status).toBe('completed');
    const creditNote = order.documents.find((d: { kind: string }) => d.kind === 'credit_note');
    expect(Math.abs(creditNote.total_incl_vat)).toBe(credit.amount);
    const refunded = await eventually(async () => {
      const row = await db()
        .selectFrom('payments')
        .select((eb) => eb.fn.sum<string>('amount').as('sum'))
        .where('order_id', '=', placed.body.id)
        .where('kind', '=', 'refund')
        .where('status', '=', 'succeeded')
        .executeTakeFirst();
      return row?.sum ? Math.abs(Number(row.sum)) : undefined;
    });
    expect(refunded).toBe(credit.amount);

    // Ending it again is refused: nothing about a cancelled subscription changes.
    const again = await call(`/v1/subscriptions/${subscription.id}/cancel`, { method: 'POST', body: { at: 'now' } });
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('subscription_cancelled');
  });
});
