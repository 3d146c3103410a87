import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { createOrderStatusListener, type OrderStatusListener } from '../../db/order-status-listener';
import { waitForOrderStatus } from '../../api/order-status-wait';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let examId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, {
    price: 125_000,
    vatRateBp: 2500,
    name: 'First aid',
  });
  examId = await createProduct(stack.database.db, tenant.id, {
    price: 10_000,
    vatRateBp: 2500,
    name: 'Exam',
    type: 'item',
  });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, {
    capacity: 10,
    name: 'First aid — Oslo',
  });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function cardOrder(participants = [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }]) {
  return {
    payment_method: 'card',
    booker: { name: 'Jane Doe', email: 'jane@example.com' },
    payment_complete_url: 'https://shop.example/thanks',
    payment_cancel_url: 'https://shop.example/cart',
    lines: [{ occurrence_id: occurrenceId, participants }],
  };
}

describe('card order through the sandbox provider', () => {
  it('is priced, holds seats and answers with the payment redirect', async () => {
    const placed = await client.placeOrder(
      cardOrder([
        {
          firstname: 'John',
          lastname: 'Doe',
          email: 'john@example.com',
          products: [{ id: examId, discount_percent: 50 }],
        } as never,
      ]),
    );
    expect(placed.status).toBe(201);
    expect(placed.location).toBe(`/v1/orders/${placed.body.id}`);
    expect(placed.body).toMatchObject({
      status: 'awaiting_payment',
      currency: 'nok',
      // 1250.00 course + 100.00 exam at 50 % → 1300.00 excl. VAT, 25 % VAT 325.00
      totals: { before_discounts: 135_000, discounts: 5_000, excl_vat: 130_000, vat: 32_500, incl_vat: 162_500 },
      vat_summary: [{ rate: 25, base: 130_000, amount: 32_500 }],
      number_of_participants: 1,
      payment: { method: 'card', requires_redirect: true },
    });
    expect(placed.body.payment.redirect_url).toContain('/psp/sandbox/pay/');
    // The participant's booking reference is in the answer at once and stays the same once booked.
    expect(placed.body.participants).toEqual([{ index: 0, booking_id: expect.stringMatching(/^[0-9a-f-]{36}$/) }]);
    expect(Date.parse(placed.body.preliminary_until)).toBeGreaterThan(Date.now() + 25 * 60_000);
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(9);

    const paid = await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    expect(paid).toEqual({ status: 303, location: 'https://shop.example/thanks' });

    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order.participants[0].booking_id).toBe(placed.body.participants[0].booking_id);
    expect(order.reservations).toEqual([
      expect.objectContaining({ occurrence_id: occurrenceId, quantity: 1, status: 'booked' }),
    ]);
    expect(order.payments).toEqual([expect.objectContaining({ kind: 'charge', status: 'succeeded', amount: 162_500 })]);
    expect(order.documents).toEqual([expect.objectContaining({ kind: 'receipt', status: 'paid' })]);
    expect(order.amount_paid).toBe(162_500);
    expect(order.left_to_pay).toBe(0);
    const timeline = order.timeline.map((e: { type: string }) => e.type);
    expect(timeline).toEqual(
      expect.arrayContaining([
        'order.placed',
        'payment.session_created',
        'payment.succeeded',
        'order.booked',
        'document.receipt_issued',
        'order.completed',
      ]),
    );

    const receipt = await eventually(async () => (await stack.mail()).find((m) => m.to.includes('jane@example.com')));
    expect(receipt.subject).toContain(String(placed.body.number));
    expect(receipt.text).toContain('1625.00');
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(9);
  });

  it('stays payable after a decline, then completes on payment', async () => {
    const placed = await client.placeOrder(cardOrder());
    expect(placed.status).toBe(201);
    const declined = await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay', '4000 0000 0000 0002');
    expect(declined.status).toBe(303);
    expect(declined.location).toContain('declined=1');
    await client.waitForStatus(placed.body.id, 'payment_failed');
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order.payments[0].status).toBe('succeeded');
  });

  it('a repeated webhook changes nothing the second time', async () => {
    const placed = await client.placeOrder(cardOrder());
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    // The provider redelivers the same signed event.
    const { sendSandboxWebhook } = await import('../../payments/sandbox-webhook-sender');
    const sessionId = placed.body.payment.session_id;
    expect(await sendSandboxWebhook(stack.database.db, sessionId, 'succeeded', `${sessionId}_paid`)).toBe(true);
    await new Promise((r) => setTimeout(r, 500));
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'charge')).toHaveLength(1);
    expect(order.documents).toHaveLength(1);
    const events = await stack.database.db
      .selectFrom('payment_events')
      .select('id')
      .where('order_id', '=', placed.body.id)
      .execute();
    expect(events).toHaveLength(1);
    // "order 12 " — the tenant's random name may contain the digits too.
    const receipts = (await stack.mail()).filter((m) => m.subject.includes(`order ${placed.body.number} `));
    expect(receipts).toHaveLength(1);
  });

  it('rejects a webhook with a bad signature and changes nothing', async () => {
    const placed = await client.placeOrder(cardOrder());
    const body = JSON.stringify({
      id: 'evt_forged',
      type: 'payment.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: {
        session_id: placed.body.payment.session_id,
        reference: placed.body.id,
        amount: placed.body.totals.incl_vat,
        currency: 'nok',
      },
    });
    const response = await fetch(`${stack.baseUrl}/v1/webhooks/sandbox/${tenant.slug}`, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        'Sandbox-Signature': `t=${Math.floor(Date.now() / 1000)},v1=${'0'.repeat(64)}`,
      },
      body,
    });
    expect(response.status).toBe(401);
    expect(((await response.json()) as { code: string }).code).toBe('webhook_signature_invalid');
    await new Promise((r) => setTimeout(r, 300));
    expect((await client.getOrder(placed.body.id)).body.status).toBe('awaiting_payment');
  });
});

/** Bytes of every payload in the history (arguments, results, search attributes' values aside). */
function payloadBytes(value: unknown): number {
  if (value instanceof Uint8Array || value === null || typeof value !== 'object') return 0;
  let bytes = 0;
  for (const [key, inner] of Object.entries(value)) {
    if (key === 'payloads' && Array.isArray(inner)) {
      for (const payload of inner) bytes += (payload as { data?: Uint8Array }).data?.length ?? 0;
    } else if (key !== 'searchAttributes' && key !== 'header') bytes += payloadBytes(inner);
  }
  return bytes;
}

describe('the workflow of a paid card order', () => {
  it('carries ids, not contents, runs steps locally: ≤ 20 events, ≤ 4 KB of payloads, no activity task', async () => {
    const placed = await client.placeOrder(cardOrder());
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    const row = await stack.database.db
      .selectFrom('orders')
      .select('workflow_id')
      .where('id', '=', placed.body.id)
      .executeTakeFirstOrThrow();
    const handle = stack.temporal.workflow.getHandle(row.workflow_id);
    // Completed, it rests until the service starts (cancellations are taken until then).
    const events = await eventually(async () => {
      const history = (await handle.fetchHistory()).events ?? [];
      return history.at(-1)?.timerStartedEventAttributes ? history : undefined;
    });
    const bytes = payloadBytes(events);
    console.log(`[history] paid card order: ${events.length} events, ${bytes} bytes of payloads`);
    expect(events.length).toBeLessThanOrEqual(20);
    expect(bytes).toBeLessThanOrEqual(4096);
    // Intake and completion are local activities (a marker each), never a task through the server.
    expect(events.filter((e) => e.activityTaskScheduledEventAttributes)).toEqual([]);
    expect(events.filter((e) => e.markerRecordedEventAttributes)).toHaveLength(2);
  });
});

describe('waiting for a status (long poll)', () => {
  const get = (path: string) => fetch(`${stack.baseUrl}${path}`, { headers: { 'X-API-Key': tenant.apiKey } });

  it('answers when the order gets there: a request waiting before the payment gets the completed order', async () => {
    const placed = await client.placeOrder(cardOrder());
    const waiting = get(`/v1/orders/${placed.body.id}?wait_for=completed&timeout=20s`);
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    const answer = await waiting;
    expect(answer.status).toBe(200);
    expect(await jsonOf(answer)).toMatchObject({ id: placed.body.id, status: 'completed' });
  });

  it('answers the order as it is when the time is up, and at once when it is there already', async () => {
    const placed = await client.placeOrder(cardOrder());
    const late = await jsonOf(await get(`/v1/orders/${placed.body.id}?wait_for=completed&timeout=1s`));
    expect(late.status).toBe('awaiting_payment');
    const now = await jsonOf(await get(`/v1/orders/${placed.body.id}?wait_for=awaiting_payment,paid&timeout=20`));
    expect(now.status).toBe('awaiting_payment');
  });

  it('is woken by PostgreSQL: a status change is announced to the listener (no polling)', async () => {
    const placed = await client.placeOrder(cardOrder());
    const listener = createOrderStatusListener(stack.database.url);
    try {
      const watch = listener.watch(placed.body.id);
      await watch.ready;
      await stack.database.db
        .updateTable('orders')
        .set({ updated_at: new Date() })
        .where('id', '=', placed.body.id)
        .execute();
      await stack.database.db
        .updateTable('orders')
        .set({ status: 'payment_failed' })
        .where('id', '=', placed.body.id)
        .execute();
      // Only the status change is announced, with the new status (a watch without a connection would answer null).
      expect(await watch.next()).toBe('payment_failed');
      // Changes announced while nobody asked: the last wins. Announcements arrive in commit order, so once a later
      // order's has arrived, all three have.
      const marker = await client.placeOrder(cardOrder());
      const markerWatch = listener.watch(marker.body.id);
      for (const status of ['awaiting_payment', 'payment_failed', 'paid'] as const)
        await stack.database.db.updateTable('orders').set({ status }).where('id', '=', placed.body.id).execute();
      await stack.database.db
        .updateTable('orders')
        .set({ status: 'payment_failed' })
        .where('id', '=', marker.body.id)
        .execute();
      expect(await markerWatch.next()).toBe('payment_failed');
      expect(await watch.next()).toBe('paid');
    } finally {
      await listener.close();
    }
  });

  it('trusts an announced status, and reads again after an announcement without one', async () => {
    const placed = await client.placeOrder(cardOrder());
    const scope = { tenantId: tenant.id, orderId: placed.body.id };
    // A listener that announces what the test says, in order, then nothing.
    const scripted = (announcements: (string | null)[]): OrderStatusListener => ({
      watch: () => ({
        ready: Promise.resolve(),
        next: () => (announcements.length > 0 ? Promise.resolve(announcements.shift()!) : new Promise(() => {})),
        cancel: () => undefined,
      }),
      close: async () => undefined,
    });
    const waitWith = (listener: OrderStatusListener, wanted: string, timeoutMs: number) =>
      waitForOrderStatus({ db: stack.database.db, orderStatusListener: listener }, scope, new Set([wanted]), timeoutMs);
    // The database still says awaiting_payment: the wait ends on the announcement, not on a read.
    expect(await waitWith(scripted(['paid']), 'paid', 10_000)).toBe('paid');
    await stack.database.db
      .updateTable('orders')
      .set({ status: 'payment_failed' })
      .where('id', '=', scope.orderId)
      .execute();
    // A bare announcement (or a lost connection) is read: the database's status ends the wait.
    expect(await waitWith(scripted([null]), 'payment_failed', 10_000)).toBe('payment_failed');
    // Without an announcement the wait ends at its timeout, with the status it read first.
    expect(await waitWith(scripted([]), 'paid', 300)).toBe('payment_failed');
  });

  it('refuses an unknown status or timeout with 400, and another tenant’s order with 404', async () => {
    const placed = await client.placeOrder(cardOrder());
    const unknown = await get(`/v1/orders/${placed.body.id}?wait_for=done`);
    expect(unknown.status).toBe(400);
    expect(await jsonOf(unknown)).toMatchObject({ errors: [expect.objectContaining({ field: 'wait_for' })] });
    expect((await get(`/v1/orders/${placed.body.id}?wait_for=completed&timeout=5m`)).status).toBe(400);
    const stranger = await createTenant(stack.database.db);
    const foreign = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}?wait_for=completed&timeout=2s`, {
      headers: { 'X-API-Key': stranger.apiKey },
    });
    expect(foreign.status).toBe(404);
  });
});
