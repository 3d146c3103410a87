import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { apiKeyPrefix } from '../../domain/api-key';
import { findFreePort } from '../../runtime/free-port';
import { readSinkMessages, type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// What an operator does from docs/operations.md, through the real API and worker: the orders
// that need attention, an e-mail that did not go out sent again, a settlement — each recorded
// in the order's timeline with the API key and the reason.
//
// The worker's SMTP server is down at first (nothing listens on its port: every attempt is
// refused, as in email-outbox.test.ts); the SMTP sink is started on that port later.

let stack: TestStack;
let tenant: TestTenant;
let opsKey: string;
let clientKey: string;
let client: ReturnType<typeof orderClient>;
let smtpPort: number;
let lateSink: SmtpSink | undefined;
let lateSinkDir: string;

beforeAll(async () => {
  smtpPort = await findFreePort();
  stack = await startTestStack({ smtpUrl: `smtp://127.0.0.1:${smtpPort}` });
  tenant = await createTenant(stack.database.db);
  opsKey = await addApiKey(stack.database.db, tenant.id, ['ops', 'orders:read']);
  await stack.database.db
    .updateTable('api_keys')
    .set({ name: 'ops-anna' })
    .where('key_prefix', '=', apiKeyPrefix(opsKey))
    .execute();
  clientKey = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);
  client = orderClient(stack, tenant.apiKey);
  lateSinkDir = mkdtempSync(path.join(os.tmpdir(), 'operator-actions-mail-'));
}, 60_000);

afterAll(async () => {
  await lateSink?.stop();
  await stack?.stop();
  if (lateSinkDir) rmSync(lateSinkDir, { recursive: true, force: true });
});

function call(method: string, urlPath: string, key: string, body?: unknown) {
  return fetch(`${stack.baseUrl}${urlPath}`, {
    method,
    headers: { 'X-API-Key': key, 'Content-Type': 'application/json' },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
}

async function timelineOf(orderId: string): Promise<{ type: string; message: string; data: any }[]> {
  return (await client.getOrder(orderId)).body.timeline;
}

describe('an e-mail that did not go out', () => {
  let orderId: string;
  let emailId: string;

  it('is listed with its failed attempts while SMTP is down', async () => {
    const free = await createProduct(stack.database.db, tenant.id, { price: 0, name: 'Open day', vatRateBp: 0 });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, free, { capacity: 10 });
    const placed = await client.placeOrder({
      payment_method: 'free',
      booker: { name: 'Jane Doe', email: 'jane@example.com' },
      lines: [{ occurrence_id: occurrence, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    orderId = placed.body.id;
    // The outage never holds the order back.
    await client.waitForStatus(orderId, 'completed');

    const email = await eventually(async () => {
      const listed = await jsonOf(await call('GET', `/v1/orders/${orderId}/emails`, opsKey));
      return listed.data.find((e: { attempts: number }) => e.attempts >= 1);
    });
    expect(email).toMatchObject({
      recipient: 'jane@example.com',
      status: 'pending',
      sent_at: null,
      last_error: expect.any(String),
    });
    emailId = email.id;
    // A key that may read the order may read its e-mails too.
    expect((await call('GET', `/v1/orders/${orderId}/emails`, clientKey)).status).toBe(200);

    // Twenty attempts later (hours of backoff) the dispatcher gives up: what an operator finds.
    await stack.database.db
      .updateTable('email_outbox')
      .set({ status: 'failed', attempts: 20, next_attempt_at: new Date(Date.now() + 3_600_000) })
      .where('id', '=', emailId)
      .execute();
  });

  it('refuses a retry without scope ops, without a reason, or for an unknown e-mail or order', async () => {
    const retry = (key: string, body: unknown, id = emailId, order = orderId) =>
      call('POST', `/v1/orders/${order}/emails/${id}/retry`, key, body);

    const forbidden = await retry(clientKey, { reason: 'customer asked' });
    expect(forbidden.status).toBe(403);
    expect((await jsonOf(forbidden)).code).toBe('missing_scope');

    for (const body of [{}, { reason: '   ' }, { reason: 'x', extra: 1 }]) {
      const invalid = await retry(opsKey, body);
      expect(invalid.status).toBe(400);
      expect((await jsonOf(invalid)).code).toBe('validation_failed');
    }

    for (const id of [crypto.randomUUID(), 'not-a-uuid']) {
      const unknown = await retry(opsKey, { reason: 'customer asked' }, id);
      expect(unknown.status).toBe(404);
      expect((await jsonOf(unknown)).code).toBe('email_not_found');
    }
    const unknownOrder = await retry(opsKey, { reason: 'customer asked' }, emailId, crypto.randomUUID());
    expect(unknownOrder.status).toBe(404);
    expect((await jsonOf(unknownOrder)).code).toBe('not_found');

    // None of them changed the row or the timeline.
    const row = await stack.database.db
      .selectFrom('email_outbox')
      .select(['status', 'attempts'])
      .where('id', '=', emailId)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ status: 'failed', attempts: 20 });
    expect((await timelineOf(orderId)).filter((e) => e.type.startsWith('operator.'))).toEqual([]);
  });

  it('is sent at once when an operator retries it, and the retry is in the timeline with who and why', async () => {
    // SMTP is back.
    lateSink = await startSmtpSink({ port: smtpPort, dir: lateSinkDir });

    const retried = await call('POST', `/v1/orders/${orderId}/emails/${emailId}/retry`, opsKey, {
      reason: 'SMTP relay fixed',
    });
    expect(retried.status).toBe(202);
    expect(await jsonOf(retried)).toMatchObject({ id: emailId, status: 'pending', attempts: 0 });

    // Without the retry its next attempt would be an hour away.
    const sent = await eventually(async () => {
      const listed = await jsonOf(await call('GET', `/v1/orders/${orderId}/emails`, opsKey));
      const email = listed.data.find((e: { id: string }) => e.id === emailId);
      return email.status === 'sent' ? email : undefined;
    }, 15_000);
    expect(sent).toMatchObject({ attempts: 1, sent_at: expect.any(String) });
    const delivered = await readSinkMessages(lateSinkDir);
    expect(delivered.filter((m) => m.to.includes('jane@example.com'))).toHaveLength(1);

    const audit = (await timelineOf(orderId)).filter((e) => e.type === 'operator.email_retried');
    expect(audit).toHaveLength(1);
    expect(audit[0]?.message).toContain('ops-anna');
    expect(audit[0]?.message).toContain('SMTP relay fixed');
    expect(audit[0]?.data).toMatchObject({
      api_key_name: 'ops-anna',
      api_key_id: expect.any(String),
      reason: 'SMTP relay fixed',
      email_id: emailId,
      previous_status: 'failed',
      previous_attempts: 20,
    });

    const again = await call('POST', `/v1/orders/${orderId}/emails/${emailId}/retry`, opsKey, { reason: 'again' });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).code).toBe('email_already_sent');
    expect((await timelineOf(orderId)).filter((e) => e.type === 'operator.email_retried')).toHaveLength(1);
  });
});

describe('orders that need attention', () => {
  let parkedId: string;

  it('are listed with their reason, and settling one records who and why', async () => {
    const course = await createProduct(stack.database.db, tenant.id, { price: 100_000, name: 'Course' });
    const occurrence = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5 });
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { email: 'short@example.com' },
      lines: [{ occurrence_id: occurrence, participants: [{ firstname: 'A', lastname: 'B', email: 'a@example.com' }] }],
    });
    expect(placed.status).toBe(201);
    parkedId = placed.body.id;
    // The provider captures 100 less than it was asked for: the order is parked for an operator.
    await stack.database.db
      .updateTable('sandbox_psp_sessions')
      .set({ amount: 124_900 })
      .where('id', '=', placed.body.payment.session_id)
      .execute();
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(parkedId, 'needs_attention');

    for (const query of ['status=needs_attention', 'attention=true']) {
      const listed = await jsonOf(await call('GET', `/v1/orders?${query}`, clientKey));
      expect(listed.data.map((o: { id: string }) => o.id)).toEqual([parkedId]);
      expect(listed.data[0]).toMatchObject({
        status: 'needs_attention',
        attention_reason: expect.stringContaining('124900'),
      });
    }
    const unflagged = await jsonOf(await call('GET', '/v1/orders?attention=false', clientKey));
    expect(unflagged.data.length).toBeGreaterThan(0);
    expect(unflagged.data.every((o: { attention_reason: unknown }) => o.attention_reason === null)).toBe(true);
    expect(unflagged.data.map((o: { id: string }) => o.id)).not.toContain(parkedId);
    const xml = await (
      await fetch(`${stack.baseUrl}/v1/orders?attention=true`, {
        headers: { 'X-API-Key': clientKey, Accept: 'application/xml' },
      })
    ).text();
    expect(xml).toMatch(/<attention_reason>[^<]*124900[^<]*<\/attention_reason>/);
    expect((await call('GET', '/v1/orders?attention=yes', clientKey)).status).toBe(400);

    const settled = await call('POST', `/v1/orders/${parkedId}/settle`, opsKey, {
      action: 'refund',
      reason: 'customer asked to cancel',
    });
    expect(settled.status).toBe(200);
    expect(await jsonOf(settled)).toMatchObject({ status: 'cancelled', refund_amount: 124_900 });

    const timeline = await timelineOf(parkedId);
    const asked = timeline.filter((e) => e.type === 'operator.settle_requested');
    expect(asked).toHaveLength(1);
    expect(asked[0]?.message).toContain('ops-anna');
    expect(asked[0]?.data).toMatchObject({
      api_key_name: 'ops-anna',
      reason: 'customer asked to cancel',
      action: 'refund',
    });
    // The workflow's own event of what the settlement did comes after the request.
    const askedAt = timeline.indexOf(asked[0] as (typeof timeline)[number]);
    const cancelledAt = timeline.findIndex((e) => e.message.includes('customer asked to cancel') && e !== asked[0]);
    expect(cancelledAt).toBeGreaterThan(askedAt);

    const listed = await jsonOf(await call('GET', '/v1/orders?attention=true', clientKey));
    expect(listed.data).toEqual([]);
  });

  it('a settlement refused is in the timeline too', async () => {
    const again = await call('POST', `/v1/orders/${parkedId}/settle`, opsKey, { action: 'refund', reason: 'twice' });
    expect(again.status).toBe(409);
    expect((await jsonOf(again)).code).toBe('order_not_in_attention');
    const refused = (await timelineOf(parkedId)).filter((e) => e.type === 'operator.settle_refused');
    expect(refused).toHaveLength(1);
    expect(refused[0]?.data).toMatchObject({
      api_key_name: 'ops-anna',
      reason: 'twice',
      code: 'order_not_in_attention',
    });
  });
});
