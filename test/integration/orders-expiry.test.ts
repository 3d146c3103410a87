import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendSandboxWebhook } from '../../payments/sandbox-webhook-sender';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// A 2-second preliminary window injected for this file: the real timer runs on the real server.
const WINDOW_MS = 2_000;

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack({ preliminaryWindowMs: WINDOW_MS });
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

const cardOrder = (email: string) => ({
  payment_method: 'card',
  booker: { name: 'Jane Doe', email },
  lines: [{ occurrence_id: occurrenceId, quantity: 2 }],
});

describe('preliminary deadline', () => {
  it('expires an unpaid card order: seats released exactly once, session closed, email sent', async () => {
    const placed = await client.placeOrder(cardOrder('late@example.com'));
    expect(placed.status).toBe(201);
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(3);
    const order = await client.waitForStatus(placed.body.id, 'expired');
    expect(order.reservations).toEqual([expect.objectContaining({ status: 'released', quantity: 2 })]);
    expect(order.left_to_pay).toBe(0);
    expect(order.timeline.map((e: { type: string }) => e.type)).toContain('order.expired');
    expect((await client.occurrence(occurrenceId)).seats_left).toBe(5);
    const page = await fetch(placed.body.payment.redirect_url);
    expect(page.status).toBe(410);
    // The "order received" mail with the payment link came first; the expiry notice follows.
    const mail = await eventually(async () =>
      (await stack.mail()).find((m) => m.to.includes('late@example.com') && /expired|utløpt/i.test(m.subject)),
    );
    expect(mail).toBeDefined();
  });

  it('a lost webhook never expires a paid order: the workflow asks the provider first', async () => {
    const placed = await client.placeOrder(cardOrder('lost@example.com'));
    // The customer paid, but the provider's webhook never reached us.
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ status: 'paid', updated_at: sql`now()` })
      .where('id', '=', placed.body.payment.session_id)
      .execute();
    const order = await client.waitForStatus(placed.body.id, 'completed');
    expect(order.payments[0]).toMatchObject({ status: 'succeeded', amount: placed.body.totals.incl_vat });
    expect(order.reservations[0].status).toBe('booked');
    expect(order.timeline.map((e: { type: string }) => e.type)).not.toContain('order.expired');
  });

  it('a payment that lands after expiry is refunded automatically', async () => {
    const placed = await client.placeOrder(cardOrder('refund@example.com'));
    expect(placed.status).toBe(201);
    await client.waitForStatus(placed.body.id, 'expired');
    const sessionId = placed.body.payment.session_id;
    // The provider took the money anyway (a race at its end) and tells us late.
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ status: 'paid' })
      .where('id', '=', sessionId)
      .execute();
    expect(await sendSandboxWebhook(stack.database.db, sessionId, 'succeeded', `${sessionId}_late`)).toBe(true);
    const refunded = await eventually(async () => {
      const { body } = await client.getOrder(placed.body.id);
      return body.payments.some((p: { kind: string }) => p.kind === 'refund') ? body : undefined;
    });
    expect(refunded.status).toBe('expired');
    expect(refunded.payments.find((p: { kind: string }) => p.kind === 'refund')).toMatchObject({
      amount: placed.body.totals.incl_vat,
      status: 'succeeded',
    });
    const session = await stack.database.db
      .selectFrom('sandbox_psp_sessions')
      .select('refunded_amount')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(session.refunded_amount).toBe(placed.body.totals.incl_vat);
    await eventually(async () =>
      (await stack.mail()).find(
        (m) => m.to.includes('refund@example.com') && /refund|refusjon|tilbakebetal/i.test(m.subject),
      ),
    );
  });

  it('a payment after expiry re-books the order when the tenant allows it and the seats are still free', async () => {
    const rebooking = await createTenant(stack.database.db);
    await stack.database.db
      .updateTable('tenants')
      .set({ late_payment_policy: 'rebook' })
      .where('id', '=', rebooking.id)
      .execute();
    const course = await createProduct(stack.database.db, rebooking.id, { price: 40_000, name: 'Course' });
    const occurrence = await createOccurrence(stack.database.db, rebooking.id, course, { capacity: 5 });
    const theirs = orderClient(stack, rebooking.apiKey);
    const placed = await theirs.placeOrder({
      payment_method: 'card',
      booker: { email: 'rebook@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 2 }],
    });
    await eventually(async () =>
      (await theirs.getOrder(placed.body.id)).body.status === 'expired' ? true : undefined,
    );
    expect((await theirs.occurrence(occurrence)).seats_left).toBe(5);
    const sessionId = placed.body.payment.session_id;
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ status: 'paid' })
      .where('id', '=', sessionId)
      .execute();
    expect(await sendSandboxWebhook(stack.database.db, sessionId, 'succeeded', `${sessionId}_late`)).toBe(true);
    const order = await eventually(async () => {
      const { body } = await theirs.getOrder(placed.body.id);
      return body.status === 'completed' ? body : undefined;
    });
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'refund')).toEqual([]);
    expect(order.reservations.filter((r: { status: string }) => r.status === 'booked')).toEqual([
      expect.objectContaining({ quantity: 2 }),
    ]);
    expect(order.timeline.map((e: { type: string }) => e.type)).toContain('order.rebooked');
    expect((await theirs.occurrence(occurrence)).seats_left).toBe(3);
  });
});
