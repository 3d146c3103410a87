import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let courseId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  courseId = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function post(path: string, body: unknown, key = tenant.apiKey) {
  return fetch(`${stack.baseUrl}${path}`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify(body),
  });
}

const participants = (n: number) =>
  Array.from({ length: n }, (_, i) => ({ firstname: `P${i}`, lastname: 'Doe', email: `p${i}@example.com` }));

describe('cancelling orders', () => {
  it('a paid card order: seats back, card refunded, credit note, email', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, {
      capacity: 5,
      startsInDays: 10,
    });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'cancel-card@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(2) }],
    });
    expect(placed.status).toBe(201);
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    expect((await client.occurrence(occurrence)).seats_left).toBe(3);

    const response = await post(`/v1/orders/${placed.body.id}/cancel`, { reason: 'cannot attend' });
    expect(response.status).toBe(200);
    const result = await jsonOf(response);
    expect(result).toMatchObject({
      status: 'cancelled',
      full: true,
      seats_released: 2,
      refund_amount: 250_000,
      refund_via: 'card',
    });
    expect(result.credit_note_number).toMatch(/-\d{6}$/);

    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.status).toBe('cancelled');
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'refund')).toEqual([
      expect.objectContaining({ amount: 250_000, status: 'succeeded' }),
    ]);
    expect(order.documents.map((d: { kind: string }) => d.kind)).toEqual(['receipt', 'credit_note']);
    expect(order.reservations.every((r: { status: string }) => r.status === 'released')).toBe(true);
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
    await eventually(async () =>
      (await stack.mail()).find(
        (m) => m.to.includes('cancel-card@example.com') && /cancel|kansel|avbestil/i.test(m.subject),
      ),
    );

    const again = await post(`/v1/orders/${placed.body.id}/cancel`, {});
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).code).toBe('order_not_cancellable');
  });

  it('an unpaid card order: the payment session is closed and the seats come back', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'unpaid@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 2 }],
    });
    const response = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(response.status).toBe(204);
    const order = await client.waitForStatus(placed.body.id, 'cancelled');
    expect(order.payments.filter((p: { kind: string }) => p.kind === 'refund')).toEqual([]);
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
    const page = await fetch(placed.body.payment.redirect_url);
    expect(page.status).toBe(410);
  });

  it('an invoice order: the open invoice is credited', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'inv-cancel@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(1) }],
    });
    await client.waitForStatus(placed.body.id, 'invoiced');
    const response = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(response.status).toBe(204);
    const order = await client.waitForStatus(placed.body.id, 'cancelled');
    const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
    const credit = order.documents.find((d: { kind: string }) => d.kind === 'credit_note');
    expect(invoice.status).toBe('credited');
    expect(credit.total_incl_vat).toBe(invoice.total_incl_vat);
  });

  it('one participant of an invoice order: partial credit note, one seat back, the rest still due', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      external_id: `partial-${crypto.randomUUID()}`,
      booker: { email: 'partial@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(2) }],
    });
    await client.waitForStatus(placed.body.id, 'invoiced');
    const response = await post(`/v1/orders/${placed.body.id}/cancel`, { participant_indexes: [1] });
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({
      full: false,
      seats_released: 1,
      refund_amount: 0,
      status: 'invoiced',
    });
    expect((await client.occurrence(occurrence)).seats_left).toBe(4);
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.participants.map((p: { status: string }) => p.status)).toEqual(['active', 'cancelled']);
    expect(order.documents.find((d: { kind: string }) => d.kind === 'credit_note').total_incl_vat).toBe(125_000);
    // Paying the remaining half completes the order.
    const paid = await fetch(
      `${stack.baseUrl}/v1/invoices/by-external-id/${placed.body.external_id ?? order.external_id}/paid`,
      {
        method: 'PUT',
        headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify({ amount: 125_000, reference: 'bank-1' }),
      },
    );
    expect(paid.status).toBe(204);
    await client.waitForStatus(placed.body.id, 'completed');
  });

  it('after the deadline: 409 naming the rule; an operator may override with a reason', async () => {
    const soon = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5, startsInDays: 0.25 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'late@example.com' },
      lines: [{ occurrence_id: soon, participants: participants(1) }],
    });
    await client.waitForStatus(placed.body.id, 'invoiced');
    const refused = await post(`/v1/orders/${placed.body.id}/cancel`, {});
    expect(refused.status).toBe(409);
    const problem = await jsonOf(refused);
    expect(problem.code).toBe('cancellation_deadline_passed');
    expect(problem.detail).toContain('24 hours');

    const clientKey = await addApiKey(stack.database.db, tenant.id, ['orders:write', 'orders:read']);
    const clientOverride = await post(
      `/v1/orders/${placed.body.id}/cancel`,
      { override: true, reason: 'goodwill' },
      clientKey,
    );
    expect(clientOverride.status).toBe(403);
    const opsKey = await addApiKey(stack.database.db, tenant.id, ['ops', 'orders:read']);
    const noReason = await post(`/v1/orders/${placed.body.id}/cancel`, { override: true }, opsKey);
    expect(noReason.status).toBe(400);
    const override = await post(`/v1/orders/${placed.body.id}/cancel`, { override: true, reason: 'goodwill' }, opsKey);
    expect(override.status).toBe(200);
    await client.waitForStatus(placed.body.id, 'cancelled');
  });

  it('two cancellations at once: exactly one succeeds', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, courseId, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'twice@example.com' },
      lines: [{ occurrence_id: occurrence, participants: participants(2) }],
    });
    await client.waitForStatus(placed.body.id, 'invoiced');
    const answers = await Promise.all([
      post(`/v1/orders/${placed.body.id}/cancel`, {}),
      post(`/v1/orders/${placed.body.id}/cancel`, {}),
    ]);
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 409]);
    const conflict = await jsonOf(answers.find((a) => a.status === 409)!);
    expect(['cancellation_in_progress', 'order_not_cancellable']).toContain(conflict.code);
    expect((await client.occurrence(occurrence)).seats_left).toBe(5);
    const order = (await client.getOrder(placed.body.id)).body;
    expect(order.documents.filter((d: { kind: string }) => d.kind === 'credit_note')).toHaveLength(1);
  });
});
