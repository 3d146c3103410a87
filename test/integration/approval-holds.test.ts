import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { type ExtraApi, startExtraApi } from '../helpers/extra-api';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Seed 001's manual processing: an order that needs an operator's approval is taken with its
// seats held and waits (workflow Update `decideApproval`) until approved — then paid or booked —
// or rejected, by the operator or by the deadline, which gives everything back and tells the booker.

/** The deadline a second API gives held orders (instead of the tenant's hours) for the deadline cases. */
const APPROVAL_WINDOW_MS = 3_000;

let stack: TestStack;
let shortApi: ExtraApi;
let tenant: TestTenant;
let opsKey: string;
let client: ReturnType<typeof orderClient>;
let heldCourse: string;
let plainCourse: string;

beforeAll(async () => {
  stack = await startTestStack();
  shortApi = await startExtraApi(stack, { approvalWindowMs: APPROVAL_WINDOW_MS });
  tenant = await createTenant(stack.database.db);
  opsKey = await addApiKey(stack.database.db, tenant.id, ['ops', 'orders:read']);
  client = orderClient(stack, tenant.apiKey);
  heldCourse = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Diving (approval)' });
  await stack.database.db
    .updateTable('products')
    .set({ requires_approval: true })
    .where('id', '=', heldCourse)
    .execute();
  plainCourse = await createProduct(stack.database.db, tenant.id, { price: 10_000, name: 'Swimming' });
});
afterAll(async () => {
  await shortApi?.stop();
  await stack?.stop();
});

async function decide(orderId: string, decision: 'approve' | 'reject', key = opsKey, reason = 'checked the diploma') {
  const response = await fetch(`${stack.baseUrl}/v1/orders/${orderId}/approval`, {
    method: 'POST',
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    body: JSON.stringify({ decision, reason }),
  });
  return { status: response.status, body: await jsonOf(response) };
}

/** Orders placed through the API whose held orders fall due after APPROVAL_WINDOW_MS. */
function shortDeadline(apiKey: string) {
  return orderClient({ ...stack, baseUrl: shortApi.baseUrl }, apiKey);
}

async function seatsLeft(occurrenceId: string): Promise<number> {
  return (await client.occurrence(occurrenceId)).seats_left;
}

async function mailKinds(orderId: string): Promise<string[]> {
  const rows = await stack.database.db
    .selectFrom('email_outbox')
    .select('kind')
    .where('order_id', '=', orderId)
    .orderBy('kind')
    .execute();
  return rows.map((r) => r.kind);
}

const order = (occurrenceId: string, paymentMethod: string, email: string) => ({
  payment_method: paymentMethod,
  booker: { name: 'Ola', email },
  lines: [{ occurrence_id: occurrenceId, quantity: 2 }],
});

describe('orders held for approval', () => {
  it('a card order waits with its seats held and no payment page, then is approved, paid and completed', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, heldCourse, { capacity: 5 });
    const placed = await client.placeOrder(order(occurrence, 'card', 'held-card@example.com'));
    expect(placed.status, JSON.stringify(placed.body)).toBe(201);
    expect(placed.body).toMatchObject({ status: 'awaiting_approval', preliminary_until: null });
    expect(placed.body.payment).toMatchObject({ redirect_url: null, requires_redirect: false });
    expect(placed.body.approval_until).toEqual(expect.any(String));
    expect(await seatsLeft(occurrence)).toBe(3);

    // Neither the client nor a payment gets past the hold.
    const pay = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}/payments`, {
      method: 'POST',
      headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
      body: '{}',
    });
    expect(pay.status).toBe(409);
    const clientKey = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);
    expect((await decide(placed.body.id, 'approve', clientKey)).status).toBe(403);

    const approved = await decide(placed.body.id, 'approve');
    expect(approved).toEqual({ status: 200, body: { status: 'awaiting_payment' } });
    const waiting = (await client.getOrder(placed.body.id)).body;
    expect(waiting).toMatchObject({ status: 'awaiting_payment', approval_until: null });
    expect(waiting.preliminary_until).toEqual(expect.any(String));
    expect(waiting.payment.redirect_url).toEqual(expect.any(String));
    expect(waiting.timeline.map((e: { type: string }) => e.type)).toEqual(
      expect.arrayContaining(['operator.approval_decided', 'order.approved']),
    );
    expect(await mailKinds(placed.body.id)).toEqual(['order_received']);

    // A second decision finds nothing to decide.
    const again = await decide(placed.body.id, 'reject');
    expect(again.status).toBe(409);
    expect(again.body.code).toBe('order_not_awaiting_approval');

    await client.actOnPaymentPage(waiting.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');
    expect(await seatsLeft(occurrence)).toBe(3);
  });

  it('an invoice order of a tenant that holds every order is invoiced once approved', async () => {
    const holding = await createTenant(stack.database.db);
    const settings = await fetch(`${stack.baseUrl}/v1/settings`, {
      method: 'PATCH',
      headers: { 'X-API-Key': holding.apiKey, 'Content-Type': 'application/json' },
      body: JSON.stringify({ approval_required: true, approval_deadline_hours: 24 }),
    });
    expect(await jsonOf(settings)).toMatchObject({
      approval_required: true,
      approval_deadline_hours: 24,
      approval_deadline_action: 'reject',
    });
    const holdingOps = await addApiKey(stack.database.db, holding.id, ['ops']);
    const course = await createProduct(stack.database.db, holding.id, { price: 10_000 });
    const occurrence = await createOccurrence(stack.database.db, holding.id, course, { capacity: 5 });
    const placed = await orderClient(stack, holding.apiKey).placeOrder(order(occurrence, 'invoice', 'inv@example.com'));
    expect(placed.body.status).toBe('awaiting_approval');
    // Another tenant's operator cannot see it, let alone approve it.
    expect((await decide(placed.body.id, 'approve')).status).toBe(404);
    expect((await decide(placed.body.id, 'approve', holdingOps)).body).toEqual({ status: 'reserved' });
    await orderClient(stack, holding.apiKey).waitForStatus(placed.body.id, 'invoiced');
  });

  it('a rejected order gives its seats back and the booker is told', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, heldCourse, { capacity: 5 });
    const placed = await client.placeOrder(order(occurrence, 'invoice', 'rejected@example.com'));
    expect(placed.body.status).toBe('awaiting_approval');
    const rejected = await decide(placed.body.id, 'reject', opsKey, 'no diploma');
    expect(rejected.body).toEqual({ status: 'cancelled' });
    expect(await seatsLeft(occurrence)).toBe(5);
    const cancelled = (await client.getOrder(placed.body.id)).body;
    expect(cancelled.status).toBe('cancelled');
    expect(cancelled.documents).toEqual([]);
    expect(
      await eventually(async () =>
        (await mailKinds(placed.body.id)).length > 0 ? mailKinds(placed.body.id) : undefined,
      ),
    ).toEqual(['cancelled']);
  });

  it('an order nobody decides on is rejected at the deadline', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, heldCourse, { capacity: 5 });
    const placed = await shortDeadline(tenant.apiKey).placeOrder(
      order(occurrence, 'card', 'late-decision@example.com'),
    );
    expect(placed.body.status).toBe('awaiting_approval');
    const cancelled = await client.waitForStatus(placed.body.id, 'cancelled', APPROVAL_WINDOW_MS + 15_000);
    expect(cancelled.timeline.map((e: { message: string }) => e.message).join('\n')).toMatch(/approval deadline/);
    expect(await seatsLeft(occurrence)).toBe(5);
  });

  it('past the deadline at an escalating tenant: on the operators list, still approvable', async () => {
    const escalating = await createTenant(stack.database.db);
    await stack.database.db
      .updateTable('tenants')
      .set({ approval_required: true, approval_deadline_action: 'escalate' })
      .where('id', '=', escalating.id)
      .execute();
    const escalatingOps = await addApiKey(stack.database.db, escalating.id, ['ops']);
    const course = await createProduct(stack.database.db, escalating.id, { price: 0 });
    const occurrence = await createOccurrence(stack.database.db, escalating.id, course, { capacity: 5 });
    const escalatingClient = orderClient(stack, escalating.apiKey);
    const placed = await shortDeadline(escalating.apiKey).placeOrder(order(occurrence, 'free', 'free@example.com'));
    expect(placed.body.status).toBe('awaiting_approval');
    const flagged = await eventually(async () => {
      const body = (await escalatingClient.getOrder(placed.body.id)).body;
      return body.attention_reason ? body : undefined;
    }, APPROVAL_WINDOW_MS + 15_000);
    expect(flagged.status).toBe('awaiting_approval');
    expect((await decide(placed.body.id, 'approve', escalatingOps)).body).toEqual({ status: 'reserved' });
    const completed = await escalatingClient.waitForStatus(placed.body.id, 'completed');
    expect(completed.attention_reason).toBeNull();
  });

  it('a decision sent as a hostile client would: no body, a NUL byte, unknown fields, a chunked body', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, heldCourse, { capacity: 5 });
    const placed = await client.placeOrder(order(occurrence, 'invoice', 'hostile@example.com'));
    const url = `${stack.baseUrl}/v1/orders/${placed.body.id}/approval`;
    const post = (body: string | ReadableStream | undefined, headers: Record<string, string> = {}) =>
      fetch(url, {
        method: 'POST',
        headers: { 'X-API-Key': opsKey, 'Content-Type': 'application/json', ...headers },
        ...(body === undefined ? {} : { body }),
        ...(body instanceof ReadableStream ? { duplex: 'half' } : {}),
      } as RequestInit);
    for (const [body, code] of [
      [undefined, 'validation_failed'],
      [JSON.stringify({ decision: 'approve', reason: 'ok\u0000' }), 'control_character'],
      [JSON.stringify({ decision: 'approve', reason: 'ok', by: 'someone else' }), 'validation_failed'],
      [JSON.stringify({ decision: 'maybe', reason: 'ok' }), 'validation_failed'],
      [JSON.stringify({ decision: 'approve', reason: '   ' }), 'validation_failed'],
    ] as const) {
      const response = await post(body);
      expect(response.status, String(body)).toBe(400);
      expect((await jsonOf(response)).code, String(body)).toBe(code);
    }
    expect((await client.getOrder(placed.body.id)).body.status).toBe('awaiting_approval');
    const chunks = new TextEncoder().encode(JSON.stringify({ decision: 'reject', reason: 'sent in chunks' }));
    const chunked = new ReadableStream({
      start(controller) {
        controller.enqueue(chunks.slice(0, 10));
        controller.enqueue(chunks.slice(10));
        controller.close();
      },
    });
    const answer = await post(chunked);
    expect(answer.status).toBe(200);
    expect(await jsonOf(answer)).toEqual({ status: 'cancelled' });
  });

  it('a client may cancel an order while it waits for approval; orders without a hold are not held', async () => {
    const occurrence = await createOccurrence(stack.database.db, tenant.id, heldCourse, { capacity: 5 });
    const placed = await client.placeOrder(order(occurrence, 'card', 'changed-mind@example.com'));
    const cancel = await fetch(`${stack.baseUrl}/v1/orders/${placed.body.id}`, {
      method: 'DELETE',
      headers: { 'X-API-Key': tenant.apiKey },
    });
    expect(cancel.status).toBe(204);
    await client.waitForStatus(placed.body.id, 'cancelled');
    expect(await seatsLeft(occurrence)).toBe(5);
    expect((await decide(placed.body.id, 'approve')).status).toBe(409);

    const plain = await createOccurrence(stack.database.db, tenant.id, plainCourse, { capacity: 5 });
    const unheld = await client.placeOrder(order(plain, 'card', 'plain@example.com'));
    expect(unheld.body.status).toBe('awaiting_payment');
    expect((await decide(unheld.body.id, 'approve')).body.code).toBe('order_not_awaiting_approval');
  });
});
