import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let courseId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  courseId = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
  await stack.database.db
    .insertInto('campaigns')
    .values({
      id: crypto.randomUUID(),
      tenant_id: tenant.id,
      code: 'TENOFF',
      kind: 'percent',
      percent: '10',
    })
    .execute();
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function patch(id: string, body: unknown) {
  return fetch(`${stack.baseUrl}/v1/orders/${id}`, {
    method: 'PATCH',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const person = (n: number) => ({ firstname: `P${n}`, lastname: 'Doe', email: `p${n}@example.com` });

async function cardOrder(occurrenceId: string, people = 1) {
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { email: 'changer@example.com' },
    lines: [{ occurrence_id: occurrenceId, participants: Array.from({ length: people }, (_, i) => person(i)) }],
  });
  expect(placed.status).toBe(201);
  return placed.body;
}

describe('PATCH /v1/orders/{id}', () => {
  it(
    'adds a participant while awaiting payment: seat held, re-priced, deadline ' + 'extended, new payment session',
    async () => {
      const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
      const order = await cardOrder(occurrence);
      const response = await patch(order.id, {
        lines: [{ occurrence_id: occurrence, participants: [person(0), person(1)] }],
        notes: { mark: 'Tennis' },
      });
      expect(response.status).toBe(200);
      const changed = await jsonOf(response);
      expect(changed.totals.incl_vat).toBe(250_000);
      expect(changed.number_of_participants).toBe(2);
      expect(Date.parse(changed.preliminary_until)).toBeGreaterThanOrEqual(Date.parse(order.preliminary_until));
      expect(changed.payment.session_id).not.toBe(order.payment.session_id);
      expect((await client.occurrence(occurrence)).seats_left).toBe(3);
      // The old payment page is closed; the new one takes the new amount.
      expect((await fetch(order.payment.redirect_url)).status).toBe(410);
      await client.actOnPaymentPage(changed.payment.redirect_url, 'pay');
      const completed = await client.waitForStatus(order.id, 'completed');
      expect(completed.amount_paid).toBe(250_000);
      expect(completed.notes).toMatchObject({ mark: 'Tennis' });
      expect(completed.timeline.map((e: { type: string }) => e.type)).toContain('order.changed');
    },
  );

  it('applies and removes a campaign code with re-pricing; an unknown code is 422 and changes nothing', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const order = await cardOrder(occurrence);
    const discounted = await jsonOf(await patch(order.id, { campaign_code: 'TENOFF' }));
    expect(discounted.totals.incl_vat).toBe(112_500);
    const unknown = await patch(order.id, { campaign_code: 'NOPE' });
    expect(unknown.status).toBe(422);
    expect((await jsonOf(unknown)).code).toBe('campaign_code_invalid');
    expect((await client.getOrder(order.id)).body.totals.incl_vat).toBe(112_500);
    const removed = await jsonOf(await patch(order.id, { campaign_code: null }));
    expect(removed.totals.incl_vat).toBe(125_000);
    const campaign = await stack.database.db
      .selectFrom('campaigns')
      .select('uses')
      .where('tenant_id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(campaign.uses).toBe(0);
  });

  it('a change that does not fit the occurrence is 422 and the order keeps its seats', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 2 });
    const order = await cardOrder(occurrence);
    const response = await patch(order.id, {
      add_lines: [{ occurrence_id: occurrence, participants: [person(1), person(2)] }],
    });
    expect(response.status).toBe(422);
    expect((await jsonOf(response)).errors.map((e: { code: string }) => e.code)).toContain('occurrence_full');
    expect((await client.occurrence(occurrence)).seats_left).toBe(1);
    const still = (await client.getOrder(order.id)).body;
    expect(still.status).toBe('awaiting_payment');
    expect(still.number_of_participants).toBe(1);
    // It can still be paid (a new session was opened for the unchanged amount).
    expect(still.payment.redirect_url).toBeTruthy();
    await client.actOnPaymentPage(still.payment.redirect_url, 'pay');
    await client.waitForStatus(order.id, 'completed');
  });

  it('confirms a preliminary order (preliminary: false): no deadline, invoiced instead', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const order = await cardOrder(occurrence);
    const response = await patch(order.id, { preliminary: false });
    expect(response.status).toBe(200);
    const invoiced = await client.waitForStatus(order.id, 'invoiced');
    expect(invoiced.preliminary_until).toBeNull();
    expect(invoiced.documents).toEqual([expect.objectContaining({ kind: 'invoice', status: 'open' })]);
  });

  it('once paid only notes can change: lines are 409, notes are fine', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const order = await cardOrder(occurrence);
    await client.actOnPaymentPage(order.payment.redirect_url, 'pay');
    await client.waitForStatus(order.id, 'completed');
    const refused = await patch(order.id, { add_lines: [{ occurrence_id: occurrence, participants: [person(5)] }] });
    expect(refused.status).toBe(409);
    expect((await jsonOf(refused)).code).toBe('order_not_changeable');
    const notes = await patch(order.id, { notes: { internal: 'VIP' } });
    expect(notes.status).toBe(200);
    expect((await client.getOrder(order.id)).body.notes).toMatchObject({ internal: 'VIP' });
  });

  it(
    'a change while the payment completes: either the payment or the change wins, ' + 'never both, nothing lost',
    async () => {
      const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
      const order = await cardOrder(occurrence);
      const [paid, changed] = await Promise.all([
        client.actOnPaymentPage(order.payment.redirect_url, 'pay').catch(() => ({ status: 410, location: null })),
        patch(order.id, { add_lines: [{ occurrence_id: occurrence, participants: [person(7)] }] }),
      ]);
      if (changed.status === 200) {
        // The change won: the old session was closed before the customer's payment went through,
        // so that payment was refused by the provider and the order waits for the new amount.
        expect(paid.location ?? '').not.toContain('/psp/sandbox/done/');
        const body = (await client.getOrder(order.id)).body;
        expect(body.status).toBe('awaiting_payment');
        expect(body.totals.incl_vat).toBe(250_000);
        expect(body.amount_paid).toBe(0);
      } else {
        // The payment won: the change is refused and the order completes as it was.
        expect(changed.status).toBe(409);
        expect((await jsonOf(changed)).code).toBe('order_paid_meanwhile');
        const completed = await client.waitForStatus(order.id, 'completed');
        expect(completed.totals.incl_vat).toBe(125_000);
        expect(completed.amount_paid).toBe(125_000);
      }
      const charges = await stack.database.db
        .selectFrom('payments')
        .select(['status', 'amount'])
        .where('order_id', '=', order.id)
        .where('kind', '=', 'charge')
        .execute();
      expect(charges.filter((p) => p.status === 'succeeded').length).toBeLessThanOrEqual(1);
    },
  );
});
