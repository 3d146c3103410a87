import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SandboxPaymentProvider } from '../../payments/sandbox-provider';
import { sendSandboxWebhook } from '../../payments/sandbox-webhook-sender';
import { SIGNATURE_HEADER, signPayload } from '../../payments/webhook-signature';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { startTestStack, type TestStack } from '../helpers/test-stack';

// Payment events are deduplicated per tenant and provider. Sandbox event ids are predictable
// (evt_<session id>_paid, the session id derived from the order id), so with a global key
// tenant B could store tenant A's event id first, and A's real event would be dropped as a
// repeat: the order completed, but its payment had no event row.

let stack: TestStack;
let a: TestTenant;
let b: TestTenant;
let occurrenceOfA: string;
let clientA: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  a = await createTenant(stack.database.db);
  b = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, a.id, { price: 20_000, name: 'Diving' });
  occurrenceOfA = await createOccurrence(stack.database.db, a.id, course, { capacity: 10 });
  clientA = orderClient(stack, a.apiKey);
});
afterAll(async () => stack.stop());

/** Tenant B, signing with its own secret on its own webhook URL, as any tenant can. */
async function postAsB(body: object) {
  const raw = JSON.stringify(body);
  const response = await fetch(`${stack.baseUrl}/v1/webhooks/sandbox/${b.slug}`, {
    method: 'POST',
    headers: {
      'Content-Type': 'application/json',
      [SIGNATURE_HEADER]: signPayload(b.webhookSecret, raw, Math.floor(Date.now() / 1000)),
    },
    body: raw,
  });
  return { status: response.status, body: await jsonOf(response) };
}

const eventsOf = (eventId: string) =>
  stack.database.db
    .selectFrom('payment_events')
    .select(['tenant_id', 'order_id', 'provider'])
    .where('provider_event_id', '=', eventId)
    .orderBy('received_at')
    .execute();

describe('payment events per tenant', () => {
  it('another tenant posting our predictable event id first changes nothing of ours', async () => {
    const placed = await clientA.placeOrder({
      payment_method: 'card',
      booker: { name: 'Jane', email: 'diver@example.com' },
      lines: [{ occurrence_id: occurrenceOfA, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const order = placed.body as {
      id: string;
      totals: { incl_vat: number };
      payment: { session_id: string; redirect_url: string };
    };
    // What B can work out from A's order id alone.
    const sessionId = SandboxPaymentProvider.sessionIdFor(`${order.id}:charge:1`);
    const eventId = `evt_${sessionId}_paid`;

    const forged = await postAsB({
      id: eventId,
      type: 'payment.succeeded',
      created: Math.floor(Date.now() / 1000),
      data: { session_id: sessionId, reference: order.id, amount: order.totals.incl_vat, currency: 'nok' },
    });
    expect(forged).toEqual({ status: 200, body: { received: true, duplicate: false } });
    await new Promise((r) => setTimeout(r, 500));
    expect((await clientA.getOrder(order.id)).body.status).toBe('awaiting_payment');
    expect(await eventsOf(eventId)).toEqual([{ tenant_id: b.id, order_id: null, provider: 'sandbox' }]);

    // The customer pays: A's real event with the same id is stored for A and completes the order.
    await clientA.actOnPaymentPage(order.payment.redirect_url, 'pay');
    const completed = await clientA.waitForStatus(order.id, 'completed');
    expect(completed.payments).toEqual([expect.objectContaining({ kind: 'charge', status: 'succeeded' })]);
    expect(await eventsOf(eventId)).toEqual([
      { tenant_id: b.id, order_id: null, provider: 'sandbox' },
      { tenant_id: a.id, order_id: order.id, provider: 'sandbox' },
    ]);

    // Repeats are still repeats within a tenant: the provider's redelivery to A, B's second post.
    expect(await sendSandboxWebhook(stack.database.db, sessionId, 'succeeded', `${sessionId}_paid`)).toBe(true);
    expect(
      await postAsB({ id: eventId, type: 'payment.succeeded', created: 1, data: { session_id: sessionId } }),
    ).toEqual({ status: 200, body: { received: true, duplicate: true } });
    expect(await eventsOf(eventId)).toHaveLength(2);
    expect((await clientA.getOrder(order.id)).body.status).toBe('completed');
  });

  it('a signed event whose id carries a control character is a 400, not a 500', async () => {
    const answer = await postAsB({
      id: 'evt_\u0000',
      type: 'payment.succeeded',
      created: 1,
      data: { session_id: 'sbx_x' },
    });
    expect(answer.status).toBe(400);
    expect(answer.body.code).toBe('webhook_payload_invalid');
  });

  it('the database holds the rule: unique per (tenant, provider, event id); every new row names a tenant', async () => {
    const { db } = stack.database;
    const row = (tenantId: string | null) => ({
      id: crypto.randomUUID(),
      provider: 'sandbox',
      provider_event_id: 'evt_db_rule',
      tenant_id: tenantId,
      type: 'payment.succeeded',
      raw_body: '{}',
    });
    await db.insertInto('payment_events').values(row(a.id)).execute();
    await db.insertInto('payment_events').values(row(b.id)).execute();
    await expect(db.insertInto('payment_events').values(row(a.id)).execute()).rejects.toThrow(
      /payment_events_tenant_provider_event_key/,
    );
    await expect(db.insertInto('payment_events').values(row(null)).execute()).rejects.toThrow(
      /payment_events_tenant_required/,
    );
    const stripe = { ...row(a.id), provider: 'stripe' };
    await db.insertInto('payment_events').values(stripe).execute();
    const count = await sql<{
      n: number;
    }>`SELECT count(*)::int AS n FROM payment_events WHERE provider_event_id = 'evt_db_rule'`.execute(db);
    expect(count.rows[0]!.n).toBe(3);
  });
});
