import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSandboxWebhook } from '../../payments/sandbox-webhook-sender';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Money and state when operations compose (partial then full cancellation, fees, refused
// refunds, settlements): every refund and credit comes from the ledger (docs/payments.md, "Money rules").

let stack: TestStack;
let tenant: TestTenant;
let opsKey: string;
let courseId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack({ preliminaryWindowMs: 4_000 });
  tenant = await createTenant(stack.database.db);
  opsKey = await addApiKey(stack.database.db, tenant.id, ['ops', 'orders:read', 'orders:write']);
  courseId = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function call(method: string, path: string, body?: unknown, key = tenant.apiKey) {
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

const participants = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ firstname: `P${i}`, lastname: 'Doe', email: `p${i}@example.com` }));

async function paidCardOrder(email: string, people = 2) {
  const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5, startsInDays: 10 });
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { email },
    lines: [{ occurrence_id: occurrence, participants: participants(people) }],
  });
  expect(placed.status).toBe(201);
  await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
  await client.waitForStatus(placed.body.id, 'completed');
  return {
    id: placed.body.id as string,
    sessionId: placed.body.payment.session_id as string,
    occurrence,
    total: placed.body.totals.incl_vat as number,
  };
}

async function ledgerOf(orderId: string) {
  const { db } = stack.database;
  const documents = await db
    .selectFrom('invoices')
    .select(['kind', 'total_incl_vat', 'lines'])
    .where('order_id', '=', orderId)
    .execute();
  const lines = await db
    .selectFrom('order_lines')
    .select(['id', 'incl_vat', 'credited'])
    .where('order_id', '=', orderId)
    .execute();
  return { documents, lines };
}

describe('cancellation money composes', () => {
  it(
    'partial then full cancellation with a 10 % fee refunds paid − fee, credits ' + 'never exceed the receipt',
    async () => {
      await stack.database.db
        .updateTable('tenants')
        .set({ cancellation_fee_percent: '10' })
        .where('id', '=', tenant.id)
        .execute();
      try {
        const order = await paidCardOrder('compose@example.com');
        expect(order.total).toBe(250_000);
        const partial = await jsonOf(await call('POST', `/v1/orders/${order.id}/cancel`, { participant_indexes: [1] }));
        expect(partial).toMatchObject({
          full: false,
          fee: 12_500,
          credit_amount: 112_500,
          refund_amount: 112_500,
          refund_via: 'card',
        });
        const full = await jsonOf(await call('POST', `/v1/orders/${order.id}/cancel`, {}));
        expect(full).toMatchObject({
          full: true,
          fee: 12_500,
          credit_amount: 112_500,
          refund_amount: 112_500,
          status: 'cancelled',
        });

        const session = await stack.database.db
          .selectFrom('sandbox_psp_sessions')
          .select('refunded_amount')
          .where('id', '=', order.sessionId)
          .executeTakeFirstOrThrow();
        expect(session.refunded_amount).toBe(225_000);
        const { documents, lines } = await ledgerOf(order.id);
        const receipt = documents.find((d) => d.kind === 'receipt')!;
        const credits = documents.filter((d) => d.kind === 'credit_note');
        expect(credits.reduce((n, d) => n + d.total_incl_vat, 0)).toBe(225_000);
        expect(credits.reduce((n, d) => n + d.total_incl_vat, 0)).toBeLessThanOrEqual(receipt.total_incl_vat);
        for (const line of lines) expect(line.credited).toBeLessThanOrEqual(line.incl_vat);
        const detail = (await client.getOrder(order.id)).body;
        expect(detail).toMatchObject({
          status: 'cancelled',
          amount_paid: 25_000,
          amount_credited: 225_000,
          left_to_pay: 0,
        });
      } finally {
        await stack.database.db
          .updateTable('tenants')
          .set({ cancellation_fee_percent: '0' })
          .where('id', '=', tenant.id)
          .execute();
      }
    },
  );
});

describe('a provider amount that differs from the order', () => {
  it('records what was captured, parks the order, and an operator refunds exactly that', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'short@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(1) }],
    });
    const sessionId = placed.body.payment.session_id;
    // The provider captures 100 less than it was asked for.
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ amount: 124_900 })
      .where('id', '=', sessionId)
      .execute();
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    const parked = await client.waitForStatus(placed.body.id, 'needs_attention');
    expect(parked).toMatchObject({ amount_paid: 124_900, attention_reason: expect.stringContaining('124900') });
    expect(parked.payments.find((p: { kind: string }) => p.kind === 'charge')).toMatchObject({
      amount: 124_900,
      status: 'succeeded',
    });

    const clientKey = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);
    expect(
      (await call('POST', `/v1/orders/${placed.body.id}/settle`, { action: 'refund', reason: 'x' }, clientKey)).status,
    ).toBe(403);
    const settled = await call(
      'POST',
      `/v1/orders/${placed.body.id}/settle`,
      { action: 'refund', reason: 'customer asked' },
      opsKey,
    );
    expect(settled.status).toBe(200);
    expect(await jsonOf(settled)).toMatchObject({
      status: 'cancelled',
      refund_amount: 124_900,
      attention_reason: null,
    });
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order).toMatchObject({ status: 'cancelled', amount_paid: 0, left_to_pay: 0 });
    expect(order.timeline.map((e: { message: string }) => e.message).join('\n')).toContain('customer asked');
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
    const again = await call(
      'POST',
      `/v1/orders/${placed.body.id}/settle`,
      { action: 'refund', reason: 'again' },
      opsKey,
    );
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).code).toBe('order_not_in_attention');
  });

  it('an operator may accept the payment: the order is booked and shows what is still owed', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'accept@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(1) }],
    });
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ amount: 124_000 })
      .where('id', '=', placed.body.payment.session_id)
      .execute();
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'needs_attention');
    const settled = await call(
      'POST',
      `/v1/orders/${placed.body.id}/settle`,
      { action: 'accept', reason: 'old price honoured' },
      opsKey,
    );
    expect(settled.status).toBe(200);
    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order).toMatchObject({ amount_paid: 124_000, left_to_pay: 1_000 });
    expect((await client.occurrence(occurrence)).seats_left).toBe(4);
  });
});

describe('a refund the provider refuses', () => {
  it('answers the cancellation, parks the order with the reason; a manual refund settles it', async () => {
    const order = await paidCardOrder('refused@example.com', 1);
    // Someone refunded the payment at the provider's dashboard: a refund through the API is refused.
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ refunded_amount: order.total })
      .where('id', '=', order.sessionId)
      .execute();
    const response = await call('POST', `/v1/orders/${order.id}/cancel`, {}, tenant.apiKey);
    expect(response.status).toBe(200);
    const result = await jsonOf(response);
    expect(result).toMatchObject({
      full: true,
      status: 'needs_attention',
      attention_reason: expect.stringContaining('refused'),
    });
    const parked = (await client.getOrder(order.id)).body;
    expect(parked).toMatchObject({ status: 'needs_attention', attention_reason: expect.stringContaining('refused') });
    expect((await client.occurrence(order.occurrence)).seats_left).toBe(5);

    const settled = await call(
      'POST',
      `/v1/orders/${order.id}/settle`,
      { action: 'refund', reason: 'paid back by bank', refund_via: 'manual' },
      opsKey,
    );
    expect(settled.status).toBe(200);
    expect(await jsonOf(settled)).toMatchObject({ status: 'cancelled', refund_amount: order.total });
    const closed = (await client.getOrder(order.id)).body;
    expect(closed).toMatchObject({ status: 'cancelled', amount_paid: 0, left_to_pay: 0, attention_reason: null });
    expect(closed.payments.filter((p: { kind: string }) => p.kind === 'refund')).toEqual([
      expect.objectContaining({ provider: 'manual', amount: order.total, status: 'pending' }),
    ]);
  });
});

describe('notes', () => {
  it('a notes-only change survives a later change of codes', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'notes@example.com' },
      notes: { mark: 'M0' },
      lines: [{ occurrence_id: occurrence, participants: participants(1) }],
    });
    expect(
      (await call('PATCH', `/v1/orders/${placed.body.id}`, { notes: { external: 'E1', internal: 'I1' } })).status,
    ).toBe(200);
    const changed = await call('PATCH', `/v1/orders/${placed.body.id}`, { campaign_code: null });
    expect(changed.status).toBe(200);
    expect((await client.getOrder(placed.body.id)).body.notes).toEqual({ mark: 'M0', external: 'E1', internal: 'I1' });
  });
});

describe('mails', () => {
  it('an unpaid card order gets "order received" with its payment link once, then the expiry notice', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'received@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(1) }],
    });
    await client.waitForStatus(placed.body.id, 'expired');
    const mails = await eventually(async () => {
      const mine = (await stack.mail()).filter((m) => m.to.includes('received@example.com'));
      return mine.length >= 2 ? mine : undefined;
    });
    const received = mails.filter((m) => /received/i.test(m.subject));
    expect(received).toHaveLength(1);
    expect(received[0]!.text).toContain(placed.body.payment.redirect_url);
  });

  it('a card order paid at once gets no "order received" mail', async () => {
    await paidCardOrder('paid-at-once@example.com', 1);
    const mails = await eventually(async () => {
      const mine = (await stack.mail()).filter((m) => m.to.includes('paid-at-once@example.com'));
      return mine.length >= 1 ? mine : undefined;
    });
    await new Promise((r) => setTimeout(r, 2_000));
    expect((await stack.mail()).filter((m) => m.to.includes('paid-at-once@example.com')).map((m) => m.subject)).toEqual(
      [expect.stringMatching(/receipt/i)],
    );
    expect(mails).toHaveLength(1);
  });
});

describe('gift vouchers', () => {
  it(
    'a voucher product brought to 0 by a campaign is issued at its face value; one ' +
      'priced 0 sends no empty gift card',
    async () => {
      const { db } = stack.database;
      const giftCard = await createProduct(db, tenant.id, {
        type: 'voucher',
        name: 'Gift card',
        price: 50_000,
        vatRateBp: 0,
      });
      await db
        .insertInto('campaigns')
        .values({ id: crypto.randomUUID(), tenant_id: tenant.id, code: 'FREEGIFT', kind: 'percent', percent: '100' })
        .execute();
      const placed = await client.placeOrder({
        payment_method: 'free',
        campaign_code: 'FREEGIFT',
        booker: { email: 'gift0@example.com' },
        lines: [{ product_id: giftCard, quantity: 1 }],
      });
      expect(placed.status).toBe(201);
      expect(placed.body.totals.incl_vat).toBe(0);
      await client.waitForStatus(placed.body.id, 'completed');
      const vouchers = await db
        .selectFrom('vouchers')
        .select(['code', 'initial_value'])
        .where('issued_by_order_id', '=', placed.body.id)
        .execute();
      expect(vouchers).toEqual([expect.objectContaining({ initial_value: 50_000 })]);
      const mail = await eventually(async () =>
        (await stack.mail()).find((m) => m.to.includes('gift0@example.com') && m.text.includes(vouchers[0]!.code)),
      );
      expect(mail).toBeDefined();

      const nothing = await createProduct(db, tenant.id, {
        type: 'voucher',
        name: 'Empty card',
        price: 0,
        vatRateBp: 0,
      });
      const free = await client.placeOrder({
        payment_method: 'free',
        booker: { email: 'gift-none@example.com' },
        lines: [{ product_id: nothing, quantity: 1 }],
      });
      await client.waitForStatus(free.body.id, 'completed');
      await new Promise((r) => setTimeout(r, 1_500));
      const mails = (await stack.mail()).filter((m) => m.to.includes('gift-none@example.com'));
      expect(mails.every((m) => !/gift/i.test(m.subject))).toBe(true);
    },
  );
});

describe('a late payment that re-books', () => {
  it('takes the campaign use again that expiry gave back', async () => {
    const { db } = stack.database;
    const rebooking = await createTenant(db);
    await db.updateTable('tenants').set({ late_payment_policy: 'rebook' }).where('id', '=', rebooking.id).execute();
    const course = await createProduct(db, rebooking.id, { price: 40_000, name: 'Course' });
    const occurrence = await createOccurrence(db, rebooking.id, course, { capacity: 5 });
    await db
      .insertInto('campaigns')
      .values({
        id: crypto.randomUUID(),
        tenant_id: rebooking.id,
        code: 'LATE10',
        kind: 'percent',
        percent: '10',
        max_uses: 5,
      })
      .execute();
    const uses = async () =>
      (await db.selectFrom('campaigns').select('uses').where('tenant_id', '=', rebooking.id).executeTakeFirstOrThrow())
        .uses;
    const theirs = orderClient(stack, rebooking.apiKey);
    const placed = await theirs.placeOrder({
      payment_method: 'card',
      campaign_code: 'LATE10',
      booker: { email: 'late10@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    expect(await uses()).toBe(1);
    await theirs.waitForStatus(placed.body.id, 'expired');
    expect(await uses()).toBe(0);
    const sessionId = placed.body.payment.session_id;
    await db.updateTable('sandbox_psp_sessions').set({ status: 'paid' }).where('id', '=', sessionId).execute();
    expect(await sendSandboxWebhook(db, sessionId, 'succeeded', `${sessionId}_late`)).toBe(true);
    const order = await theirs.waitForStatus(placed.body.id, 'completed');
    expect(order).toMatchObject({ amount_paid: placed.body.totals.incl_vat, left_to_pay: 0 });
    expect(await uses()).toBe(1);
  });
});

describe('confirmation and changes keep what the order holds', () => {
  it('notes sent with preliminary=false are kept', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'confirm-notes@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    const confirmed = await call('PATCH', `/v1/orders/${placed.body.id}`, {
      preliminary: false,
      notes: { external: 'gate B' },
    });
    expect(confirmed.status).toBe(200);
    expect((await client.getOrder(placed.body.id)).body.notes).toEqual({ external: 'gate B' });
  });

  it("a cancelled order gives its percent voucher back; a change keeps the order's own voucher usable", async () => {
    const { db } = stack.database;
    await db
      .insertInto('vouchers')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenant.id,
        code: 'PCT-ONCE',
        kind: 'percent',
        percent: '20',
        currency: null,
        initial_value: null,
        remaining_value: null,
      })
      .execute();
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const first = await client.placeOrder({
      payment_method: 'card',
      voucher_code: 'PCT-ONCE',
      booker: { email: 'pct1@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(first.status).toBe(201);
    // A change of the order keeps its own (single-use) voucher.
    const changed = await call('PATCH', `/v1/orders/${first.body.id}`, {
      lines: [{ occurrence_id: occurrence, quantity: 2 }],
    });
    expect(changed.status).toBe(200);
    expect(await jsonOf(changed)).toMatchObject({ totals: { incl_vat: 200_000 } });
    expect((await call('POST', `/v1/orders/${first.body.id}/cancel`, {})).status).toBe(200);
    const voucher = await db
      .selectFrom('vouchers')
      .select('redeemed_at')
      .where('tenant_id', '=', tenant.id)
      .where('code', '=', 'PCT-ONCE')
      .executeTakeFirstOrThrow();
    expect(voucher.redeemed_at).toBeNull();
    const second = await client.placeOrder({
      payment_method: 'card',
      voucher_code: 'PCT-ONCE',
      booker: { email: 'pct2@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(second.status).toBe(201);
  });
});
