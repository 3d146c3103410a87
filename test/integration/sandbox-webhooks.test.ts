import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import { serve } from '@hono/node-server';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliverDueSandboxWebhooks, webhookRetryDelaySeconds } from '../../payments/sandbox-webhook-queue';
import { enqueueSandboxWebhook } from '../../payments/sandbox-webhook-sender';
import { verifySignature } from '../../payments/webhook-signature';
import { createApp } from '../../api/app';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient, paymentFormToken } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, {
    price: 50_000,
    vatRateBp: 2500,
    name: 'Climbing',
  });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, {
    capacity: 20,
    name: 'Climbing — Bergen',
  });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

function cardOrder(email = 'jane@example.com', quantity = 1) {
  return {
    payment_method: 'card',
    booker: { name: 'Jane Doe', email },
    lines: [{ occurrence_id: occurrenceId, quantity }],
  };
}

async function placeCardOrder(email?: string, quantity?: number) {
  const placed = await client.placeOrder(cardOrder(email, quantity));
  expect(placed.status).toBe(201);
  return placed.body as {
    id: string;
    number: number;
    totals: { incl_vat: number };
    payment: { session_id: string; redirect_url: string };
  };
}

function deliveriesOf(sessionId: string) {
  return stack.database.db
    .selectFrom('sandbox_webhook_deliveries')
    .selectAll()
    .where('session_id', '=', sessionId)
    .orderBy('created_at')
    .execute();
}

/** A stand-in merchant endpoint that records every request and answers with `answer()`. */
async function recordingEndpoint(answer: (n: number) => number) {
  const requests: { at: number; headers: IncomingHttpHeaders; body: string }[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      requests.push({ at: Date.now(), headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(answer(requests.length)).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}/hook`,
    requests,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

describe('sandbox webhook delivery', () => {
  it('the same webhook delivered 10 times at once: one payment, one booking, one receipt', async () => {
    const order = await placeCardOrder('tenfold@example.com', 2);
    const sessionId = order.payment.session_id;
    const { db } = stack.database;
    const seatsBefore = (
      await db.selectFrom('occurrences').select('seats_taken').where('id', '=', occurrenceId).executeTakeFirstOrThrow()
    ).seats_taken;
    // The provider takes the money and (over-eagerly) queues the same event ten times.
    const ids = await db.transaction().execute(async (trx) => {
      await trx.updateTable('sandbox_psp_sessions').set({ status: 'paid' }).where('id', '=', sessionId).execute();
      const queued: string[] = [];
      for (let i = 0; i < 10; i++)
        queued.push(
          await enqueueSandboxWebhook(trx, { sessionId, outcome: 'succeeded', attemptId: `${sessionId}_paid` }),
        );
      return queued;
    });
    await deliverDueSandboxWebhooks(db, { ids, limit: 10 });
    // Whatever the loop did not get to in that call, it delivers next.
    const deliveries = await eventually(async () => {
      const rows = await deliveriesOf(sessionId);
      return rows.length === 10 && rows.every((r) => r.delivered_at) ? rows : undefined;
    });
    expect(new Set(deliveries.map((d) => d.event_id))).toEqual(new Set([`evt_${sessionId}_paid`]));
    expect(new Set(deliveries.map((d) => d.payload)).size).toBe(1);

    const completed = await client.waitForStatus(order.id, 'completed');
    await new Promise((r) => setTimeout(r, 1_000)); // room for a duplicate to show up, if any
    const final = (await client.getOrder(order.id)).body;
    expect(final.status).toBe('completed');
    expect(final.payments).toEqual([
      expect.objectContaining({ kind: 'charge', status: 'succeeded', amount: order.totals.incl_vat }),
    ]);
    expect(final.documents).toEqual([expect.objectContaining({ kind: 'receipt' })]);
    expect(completed.reservations).toEqual([expect.objectContaining({ status: 'booked', quantity: 2 })]);

    const events = await db
      .selectFrom('payment_events')
      .select(['provider_event_id'])
      .where('order_id', '=', order.id)
      .execute();
    expect(events).toEqual([{ provider_event_id: `evt_${sessionId}_paid` }]);
    const payments = await db.selectFrom('payments').select(['status']).where('order_id', '=', order.id).execute();
    expect(payments).toEqual([{ status: 'succeeded' }]);
    const reservations = await db
      .selectFrom('reservations')
      .select(['status', 'quantity'])
      .where('order_id', '=', order.id)
      .execute();
    expect(reservations).toEqual([{ status: 'booked', quantity: 2 }]);
    const booked = await db
      .selectFrom('order_events')
      .select('id')
      .where('order_id', '=', order.id)
      .where('type', '=', 'order.booked')
      .execute();
    expect(booked).toHaveLength(1);
    const seatsAfter = (
      await db.selectFrom('occurrences').select('seats_taken').where('id', '=', occurrenceId).executeTakeFirstOrThrow()
    ).seats_taken;
    expect(seatsAfter).toBe(seatsBefore); // held at placement, booked once, never taken twice

    const receipts = await eventually(async () => {
      const found = (await stack.mail()).filter(
        (m) => m.to.includes('tenfold@example.com') && /receipt|kvittering/i.test(m.subject),
      );
      return found.length > 0 ? found : undefined;
    });
    expect(receipts).toHaveLength(1);
    expect(receipts[0]!.subject).toMatch(new RegExp(`\\b${order.number}\\b`));
  });

  it('retries with backoff while the endpoint fails, re-signing each attempt with the same event id', async () => {
    const order = await placeCardOrder('backoff@example.com');
    const sessionId = order.payment.session_id;
    const endpoint = await recordingEndpoint((n) => (n <= 3 ? 503 : 200));
    try {
      await stack.database.db
        .updateTable('sandbox_psp_sessions')
        .set({ webhook_url: endpoint.url })
        .where('id', '=', sessionId)
        .execute();
      const paid = await client.actOnPaymentPage(order.payment.redirect_url, 'pay');
      expect(paid.status).toBe(303);
      const [delivery] = await eventually(async () => {
        const rows = await deliveriesOf(sessionId);
        return rows.length === 1 && rows[0]!.delivered_at ? rows : undefined;
      }, 30_000);
      expect(delivery).toMatchObject({ attempts: 4, event_id: `evt_${sessionId}_paid` });
      expect(delivery!.last_error).toMatch(/^HTTP 503/);
      expect(endpoint.requests).toHaveLength(4);

      // Waits of 1 s, 2 s, 4 s between the attempts (plus up to one polling interval each).
      const gaps = endpoint.requests.slice(1).map((r, i) => r.at - endpoint.requests[i]!.at);
      expect(gaps[0]).toBeGreaterThanOrEqual(900);
      expect(gaps[1]).toBeGreaterThanOrEqual(1_900);
      expect(gaps[2]).toBeGreaterThanOrEqual(3_900);
      expect(gaps[2]!).toBeLessThan(4_000 + 2_500);

      // The body (and with it the event id) is the same each time; the signature is made anew.
      const bodies = new Set(endpoint.requests.map((r) => r.body));
      expect(bodies.size).toBe(1);
      expect(JSON.parse(endpoint.requests[0]!.body)).toMatchObject({
        id: `evt_${sessionId}_paid`,
        type: 'payment.succeeded',
        data: { session_id: sessionId, amount: order.totals.incl_vat },
      });
      const stamps = endpoint.requests.map((r) => {
        const header = String(r.headers['sandbox-signature']);
        expect(verifySignature([tenant.webhookSecret], header, r.body, Math.floor(r.at / 1000))).toEqual({ ok: true });
        return Number(/t=(\d+)/.exec(header)![1]);
      });
      expect(new Set(stamps).size).toBe(4);
      expect(stamps).toEqual([...stamps].sort((a, b) => a - b));
    } finally {
      await endpoint.close();
    }
  });

  it('a webhook sent while our API is down arrives once it is back, and the order completes', async () => {
    const order = await placeCardOrder('outage@example.com');
    const sessionId = order.payment.session_id;
    // The order's webhook URL points at an API instance that is not running yet.
    const port = await findFreePort();
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ webhook_url: `http://127.0.0.1:${port}/v1/webhooks/sandbox/${tenant.slug}` })
      .where('id', '=', sessionId)
      .execute();

    const paid = await client.actOnPaymentPage(order.payment.redirect_url, 'pay');
    expect(paid.status).toBe(303);
    // The fast path failed; the loop keeps trying, further apart each time.
    const failing = await eventually(async () => {
      const [row] = await deliveriesOf(sessionId);
      return row && row.attempts >= 3 && !row.delivered_at ? row : undefined;
    }, 15_000);
    expect(failing.last_error).toMatch(/ECONNREFUSED|fetch failed/);
    expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');

    // The API comes back up on that port.
    const app = createApp({
      db: stack.database.db,
      temporal: stack.temporal,
      logger: createLogger('test', 'silent'),
      taskQueue: stack.taskQueue,
      publicBaseUrl: stack.baseUrl,
    });
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
    try {
      await new Promise<void>((resolve) => server.once('listening', () => resolve()));
      const completed = await client.waitForStatus(order.id, 'completed', 30_000);
      expect(completed.payments).toEqual([expect.objectContaining({ kind: 'charge', status: 'succeeded' })]);
      const [row] = await deliveriesOf(sessionId);
      expect(row!.delivered_at).not.toBeNull();
      expect(row!.attempts).toBeGreaterThanOrEqual(4);
      const events = await stack.database.db
        .selectFrom('payment_events')
        .select('provider_event_id')
        .where('order_id', '=', order.id)
        .execute();
      expect(events).toEqual([{ provider_event_id: `evt_${sessionId}_paid` }]);
    } finally {
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });

  it('gives up on a webhook that has failed for 24 hours', async () => {
    const order = await placeCardOrder('giveup@example.com');
    const sessionId = order.payment.session_id;
    const { db } = stack.database;
    await db
      .updateTable('sandbox_psp_sessions')
      .set({ webhook_url: `http://127.0.0.1:${await findFreePort()}/gone` })
      .where('id', '=', sessionId)
      .execute();
    const id = await enqueueSandboxWebhook(db, { sessionId, outcome: 'succeeded', attemptId: `${sessionId}_old` });
    await db
      .updateTable('sandbox_webhook_deliveries')
      .set({ created_at: sql<Date>`now() - interval '25 hours'`, attempts: 290, next_attempt_at: sql<Date>`now()` })
      .where('id', '=', id)
      .execute();
    const row = await eventually(async () => {
      await deliverDueSandboxWebhooks(db, { ids: [id] });
      const current = await db
        .selectFrom('sandbox_webhook_deliveries')
        .selectAll()
        .where('id', '=', id)
        .executeTakeFirstOrThrow();
      return current.gave_up_at ? current : undefined;
    });
    expect(row.delivered_at).toBeNull();
    expect(row.last_error).toBeTruthy();
    // Given up means given up: it is never claimed again.
    await db
      .updateTable('sandbox_webhook_deliveries')
      .set({ next_attempt_at: sql<Date>`now() - interval '1 minute'` })
      .where('id', '=', id)
      .execute();
    expect(await deliverDueSandboxWebhooks(db, { ids: [id] })).toEqual({ delivered: 0, failed: 0, gaveUp: 0 });
  });

  it('backs off exponentially up to 5 minutes', () => {
    expect([1, 2, 3, 4, 5].map((n) => webhookRetryDelaySeconds(n))).toEqual([1, 2, 4, 8, 16]);
    expect(webhookRetryDelaySeconds(9)).toBe(256);
    expect(webhookRetryDelaySeconds(10)).toBe(300);
    expect(webhookRetryDelaySeconds(50)).toBe(300);
  });
});

describe('test cards on the hosted page (HTTP, as a browser without JavaScript sends them)', () => {
  async function postCard(redirectUrl: string, card: string, action = 'pay') {
    const csrfToken = paymentFormToken(await (await fetch(redirectUrl)).text());
    const response = await fetch(redirectUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ action, card_number: card, csrf_token: csrfToken }).toString(),
      redirect: 'manual',
    });
    return { status: response.status, location: response.headers.get('location'), text: await response.text() };
  }

  it.each([
    ['4000 0000 0000 0002', 'pay', 'card_declined', /declined/i],
    ['4000 0000 0000 9995', 'pay', 'insufficient_funds', /insufficient funds/i],
    ['4000 0000 0000 0119', 'pay', 'processing_error', /processing error/i],
    ['4242 4242 4242 4242', 'decline', 'card_declined', /declined/i],
  ])('%s (%s) fails with %s: the reason is in the webhook and on the page', async (card, action, reason, message) => {
    const order = await placeCardOrder(`${reason}@example.com`);
    const sessionId = order.payment.session_id;
    const answer = await postCard(order.payment.redirect_url, card, action);
    expect(answer.status).toBe(303);
    expect(answer.location).toBe(`${new URL(order.payment.redirect_url).pathname}?declined=1&reason=${reason}`);
    const [delivery] = await deliveriesOf(sessionId);
    expect(delivery!.delivered_at).not.toBeNull();
    expect(JSON.parse(delivery!.payload)).toMatchObject({
      type: 'payment.failed',
      data: { session_id: sessionId, failure_reason: reason },
    });
    await client.waitForStatus(order.id, 'payment_failed');
    const stored = await stack.database.db
      .selectFrom('payment_events')
      .select('raw_body')
      .where('order_id', '=', order.id)
      .executeTakeFirstOrThrow();
    expect(JSON.parse(stored.raw_body).data.failure_reason).toBe(reason);

    const pageAfter = await fetch(new URL(answer.location!, stack.baseUrl));
    expect(pageAfter.status).toBe(200);
    const html = await pageAfter.text();
    expect(html).toMatch(message);
    expect(html).toContain('role="alert"');
    expect(html).toContain('name="card_number"'); // still payable
  });

  it.each([
    ['4242 4242 4242 4241', /not valid/],
    ['1234', /not valid/],
    ['4242-4242-abcd-4242', /not valid/],
    ['', /Enter a card number/],
  ])('an invalid number (%s) is refused on the page, without contacting anyone', async (card, message) => {
    const order = await placeCardOrder('typo@example.com');
    const sessionId = order.payment.session_id;
    const answer = await postCard(order.payment.redirect_url, card);
    expect(answer.status).toBe(422);
    expect(answer.text).toMatch(message);
    expect(answer.text).toContain('aria-invalid="true"');
    expect(answer.text).toContain('role="alert"');
    // The number typed is kept in the field (escaped), so it can be corrected.
    if (card) expect(answer.text).toContain(`value="${card}"`);
    expect(await deliveriesOf(sessionId)).toEqual([]);
    const session = await stack.database.db
      .selectFrom('sandbox_psp_sessions')
      .select('status')
      .where('id', '=', sessionId)
      .executeTakeFirstOrThrow();
    expect(session.status).toBe('open');
    expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');
  });

  it('any other valid number pays; cancel sends nothing and keeps the order payable', async () => {
    const order = await placeCardOrder('other-card@example.com');
    const cancelled = await postCard(order.payment.redirect_url, '', 'cancel');
    const pageToken = new URL(order.payment.redirect_url).pathname.split('/').at(-1);
    expect(cancelled).toMatchObject({ status: 303, location: `/psp/sandbox/done/${pageToken}` });
    expect(await deliveriesOf(order.payment.session_id)).toEqual([]);
    const done = await (await fetch(new URL(cancelled.location!, stack.baseUrl))).text();
    expect(done).toContain('Payment cancelled');
    expect((await client.getOrder(order.id)).body.status).toBe('awaiting_payment');

    const paid = await postCard(order.payment.redirect_url, '5555 5555 5555 4444');
    expect(paid).toMatchObject({ status: 303, location: `/psp/sandbox/done/${pageToken}` });
    await client.waitForStatus(order.id, 'completed');
    expect(await (await fetch(new URL(paid.location!, stack.baseUrl))).text()).toContain('Payment complete');
  });
});
