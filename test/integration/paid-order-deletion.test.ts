import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// The tenant's `paid_order_deletion` setting: 'refund' (the default) cancels and refunds a paid
// order on DELETE; 'refuse' answers 409 paid_order_not_deletable (seed 003 refuses to delete a
// debited order) and leaves the order and its money as they were.

let stack: TestStack;

interface Seller {
  tenant: TestTenant;
  client: ReturnType<typeof orderClient>;
  courseId: string;
}

async function seller(): Promise<Seller> {
  const tenant = await createTenant(stack.database.db);
  const courseId = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  return { tenant, client: orderClient(stack, tenant.apiKey), courseId };
}

let refunding: Seller;
let refusing: Seller;

beforeAll(async () => {
  stack = await startTestStack();
  refunding = await seller();
  refusing = await seller();
  const response = await call(refusing, 'PATCH', '/v1/settings', { paid_order_deletion: 'refuse' });
  expect(response.status).toBe(200);
  expect(await jsonOf(response)).toMatchObject({ paid_order_deletion: 'refuse' });
});
afterAll(async () => stack.stop());

function call(s: Seller, method: string, path: string, body?: unknown, key = s.tenant.apiKey) {
  return fetch(`${stack.baseUrl}${path}`, {
    method,
    headers: { 'X-API-Key': key, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
}

async function placeCardOrder(s: Seller, participants = 1) {
  const occurrence = await createOccurrence(stack.database.db, s.tenant.id, s.courseId, {
    capacity: 5,
    startsInDays: 10,
  });
  const placed = await s.client.placeOrder({
    payment_method: 'card',
    booker: { email: 'deleter@example.com' },
    lines: [
      {
        occurrence_id: occurrence,
        participants: Array.from({ length: participants }, (_, i) => ({
          firstname: `P${i}`,
          lastname: 'Doe',
          email: `p${i}@example.com`,
        })),
      },
    ],
  });
  expect(placed.status, JSON.stringify(placed.body)).toBe(201);
  return { id: placed.body.id as string, redirectUrl: placed.body.payment.redirect_url as string, occurrence };
}

async function placePaidOrder(s: Seller, participants = 1) {
  const order = await placeCardOrder(s, participants);
  await s.client.actOnPaymentPage(order.redirectUrl, 'pay');
  await s.client.waitForStatus(order.id, 'completed');
  return order;
}

const refunds = (order: { payments: { kind: string }[] }) => order.payments.filter((p) => p.kind === 'refund');

describe("paid_order_deletion 'refund' (the default)", () => {
  it('DELETE of a paid order cancels and refunds it', async () => {
    const settings = await jsonOf(await call(refunding, 'GET', '/v1/settings'));
    expect(settings.paid_order_deletion).toBe('refund');
    const order = await placePaidOrder(refunding);
    const response = await call(refunding, 'DELETE', `/v1/orders/${order.id}`);
    expect(response.status).toBe(204);
    const after = (await refunding.client.getOrder(order.id)).body;
    expect(after.status).toBe('cancelled');
    expect(refunds(after)).toEqual([expect.objectContaining({ amount: 50_000, status: 'succeeded' })]);
  });
});

describe("paid_order_deletion 'refuse'", () => {
  it('DELETE and cancel of a paid order answer 409 paid_order_not_deletable; nothing changes', async () => {
    const order = await placePaidOrder(refusing, 2);
    const seatsBefore = (await refusing.client.occurrence(order.occurrence)).seats_left;

    const deleted = await call(refusing, 'DELETE', `/v1/orders/${order.id}`);
    expect(deleted.status).toBe(409);
    const problem = await jsonOf(deleted);
    expect(problem).toMatchObject({ status: 409, code: 'paid_order_not_deletable' });
    expect(problem.detail).toMatch(/paid/);

    const cancelled = await call(refusing, 'POST', `/v1/orders/${order.id}/cancel`, { reason: 'changed my mind' });
    expect(cancelled.status).toBe(409);
    expect((await jsonOf(cancelled)).code).toBe('paid_order_not_deletable');

    const partial = await call(refusing, 'POST', `/v1/orders/${order.id}/cancel`, { participant_indexes: [1] });
    expect(partial.status).toBe(409);
    expect((await jsonOf(partial)).code).toBe('paid_order_not_deletable');

    const after = (await refusing.client.getOrder(order.id)).body;
    expect(after.status).toBe('completed');
    expect(refunds(after)).toEqual([]);
    expect(after.participants.every((p: { status: string }) => p.status === 'active')).toBe(true);
    expect((await refusing.client.occurrence(order.occurrence)).seats_left).toBe(seatsBefore);
  });

  it('an order with nothing paid yet is still deleted', async () => {
    const order = await placeCardOrder(refusing);
    const response = await call(refusing, 'DELETE', `/v1/orders/${order.id}`);
    expect(response.status).toBe(204);
    expect((await refusing.client.getOrder(order.id)).body.status).toBe('cancelled');
  });

  it("an operator's override still cancels and refunds a paid order", async () => {
    const order = await placePaidOrder(refusing);
    const opsKey = await addApiKey(stack.database.db, refusing.tenant.id, ['orders:read', 'ops']);
    const response = await call(
      refusing,
      'POST',
      `/v1/orders/${order.id}/cancel`,
      { reason: 'goodwill', override: true, fee_percent: 0 },
      opsKey,
    );
    expect(response.status).toBe(200);
    expect(await jsonOf(response)).toMatchObject({ status: 'cancelled', refund_amount: 50_000, refund_via: 'card' });
  });

  it('switching the setting back to refund lets the same order be deleted', async () => {
    const tenant = await seller();
    await call(tenant, 'PATCH', '/v1/settings', { paid_order_deletion: 'refuse' });
    const order = await placePaidOrder(tenant);
    expect((await call(tenant, 'DELETE', `/v1/orders/${order.id}`)).status).toBe(409);
    const patched = await call(tenant, 'PATCH', '/v1/settings', { paid_order_deletion: 'refund' });
    expect(patched.status).toBe(200);
    expect((await call(tenant, 'DELETE', `/v1/orders/${order.id}`)).status).toBe(204);
    expect(refunds((await tenant.client.getOrder(order.id)).body)).toEqual([
      expect.objectContaining({ amount: 50_000, status: 'succeeded' }),
    ]);
  });
});
