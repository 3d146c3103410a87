import { createHmac, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Webhook } from 'standardwebhooks';
import { MAX_WEBHOOK_ATTEMPTS } from '../../activities/notifications/webhook-delivery';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Outbound webhooks through the real stack: endpoints over the API, the worker's fan-out and
// dispatcher, and local receivers that check every request's Standard Webhooks signature.

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
  json: { type: string; timestamp: string; data: Record<string, any> };
}

/** A local endpoint: records every request; answers each with the next status of `statuses` (then 200). */
async function startReceiver(statuses: number[] = []) {
  const requests: Received[] = [];
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      requests.push({ headers: req.headers, body, json: JSON.parse(body) });
      res.writeHead(statuses.shift() ?? 200).end('ok');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hooks`,
    requests,
    ofOrder: (orderId: string) => requests.filter((r) => r.json.data.order.id === orderId),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * The Standard Webhooks check written out with node:crypto, as a receiver without the library
 * would: HMAC-SHA256 of "id.timestamp.body" under the base64 key after `whsec_`, compared with
 * each `v1,` signature of the header. (The tests also verify with the `standardwebhooks` library.)
 */
function signatureMatches(secret: string, received: Received): boolean {
  const id = String(received.headers['webhook-id']);
  const timestamp = String(received.headers['webhook-timestamp']);
  const key = Buffer.from(secret.slice('whsec_'.length), 'base64');
  const expected = createHmac('sha256', key).update(`${id}.${timestamp}.${received.body}`).digest();
  return String(received.headers['webhook-signature'])
    .split(' ')
    .some((part) => {
      const [version, signature] = part.split(',');
      const given = Buffer.from(signature ?? '', 'base64');
      return version === 'v1' && given.length === expected.length && timingSafeEqual(given, expected);
    });
}

function verifiesWithLibrary(secret: string, received: Received): boolean {
  try {
    new Webhook(secret).verify(received.body, received.headers as Record<string, string>);
    return true;
  } catch {
    return false;
  }
}

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;
const receivers: Awaited<ReturnType<typeof startReceiver>>[] = [];

beforeAll(async () => {
  // The worker's dispatcher reads it at start: retries after 0.3 s, 0.6 s … instead of 10 s, 20 s ….
  process.env.WEBHOOK_RETRY_BASE_MS = '300';
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  other = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 20 });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => {
  await stack.stop();
  await Promise.all(receivers.map((r) => r.close()));
  delete process.env.WEBHOOK_RETRY_BASE_MS;
});

function api(apiKey: string) {
  return async (method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.baseUrl}/v1/webhook-endpoints${path}`, {
      method,
      headers: { 'X-API-Key': apiKey, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return {
      status: response.status,
      headers: response.headers,
      body: response.status === 204 ? null : await jsonOf(response),
    };
  };
}

async function receiver(statuses?: number[]) {
  const r = await startReceiver(statuses);
  receivers.push(r);
  return r;
}

async function placeAndPay(email: string): Promise<{ id: string; number: number }> {
  const placed = await client.placeOrder({
    payment_method: 'card',
    booker: { email },
    lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
  });
  expect(placed.status).toBe(201);
  await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
  await client.waitForStatus(placed.body.id, 'completed');
  return { id: placed.body.id, number: placed.body.number };
}

describe('outbound webhooks', () => {
  it('a paid card order is announced as placed, paid and completed, signed, to this tenant only', async () => {
    const ours = await receiver();
    const theirs = await receiver();
    const created = await api(tenant.apiKey)('POST', '', {
      url: ours.url,
      event_types: ['order.placed', 'order.paid', 'order.completed', 'order.cancelled'],
      description: 'ERP',
    });
    expect(created.status).toBe(201);
    expect(created.body.secret).toMatch(/^whsec_[A-Za-z0-9+/]+=*$/);
    expect(created.headers.get('location')).toBe(`/v1/webhook-endpoints/${created.body.id}`);
    // The secret is shown once: never again when read.
    const read = await api(tenant.apiKey)('GET', `/${created.body.id}`);
    expect(read.status).toBe(200);
    expect(read.body).not.toHaveProperty('secret');
    expect(read.body).toMatchObject({ url: ours.url, description: 'ERP', enabled: true });
    // Another tenant's endpoint, wanting everything, hears nothing of this tenant's orders.
    const foreign = await api(other.apiKey)('POST', '', {
      url: theirs.url,
      event_types: ['order.placed', 'order.paid', 'order.completed'],
    });
    expect(foreign.status).toBe(201);
    expect((await api(other.apiKey)('GET', `/${created.body.id}`)).status).toBe(404);

    const order = await placeAndPay('hooks@example.com');
    const requests = await eventually(async () => {
      const got = ours.ofOrder(order.id);
      return got.length >= 3 ? got : undefined;
    });
    expect(requests.map((r) => r.json.type).sort()).toEqual(['order.completed', 'order.paid', 'order.placed']);
    for (const request of requests) {
      expect(signatureMatches(created.body.secret, request)).toBe(true);
      expect(verifiesWithLibrary(created.body.secret, request)).toBe(true);
      expect(request.headers['content-type']).toBe('application/json');
      expect(Math.abs(Number(request.headers['webhook-timestamp']) - Date.now() / 1000)).toBeLessThan(60);
      expect(request.json.data.order).toMatchObject({
        id: order.id,
        number: order.number,
        currency: 'nok',
        totals: { incl_vat: 50_000, excl_vat: 40_000, vat: 10_000 },
      });
      // A forged body does not verify.
      expect(signatureMatches(created.body.secret, { ...request, body: request.body.replace('nok', 'eur') })).toBe(
        false,
      );
    }
    const completed = requests.find((r) => r.json.type === 'order.completed');
    expect(completed?.json.data.order.status).toBe('completed');
    expect(requests.find((r) => r.json.type === 'order.paid')?.json.data.payment).toEqual({
      amount: 50_000,
      currency: 'nok',
    });

    const log = await api(tenant.apiKey)('GET', `/${created.body.id}/deliveries`);
    expect(log.status).toBe(200);
    expect(log.body.data).toHaveLength(3);
    for (const delivery of log.body.data)
      expect(delivery).toMatchObject({ status: 'delivered', attempts: 1, last_status_code: 200, order_id: order.id });
    // Each delivery's id is the webhook-id its requests carry.
    expect(new Set(log.body.data.map((d: { id: string }) => d.id))).toEqual(
      new Set(requests.map((r) => r.headers['webhook-id'])),
    );

    expect(theirs.requests).toEqual([]);
    const theirLog = await api(other.apiKey)('GET', `/${foreign.body.id}/deliveries`);
    expect(theirLog.body.data).toEqual([]);
  });

  it('a 500 is retried with backoff until delivered; the log shows the attempts; redeliver sends again', async () => {
    const flaky = await receiver([500, 503]);
    const created = await api(tenant.apiKey)('POST', '', { url: flaky.url, event_types: ['order.completed'] });
    const order = await placeAndPay('flaky@example.com');
    const delivered = await eventually(async () => {
      const { body } = await api(tenant.apiKey)('GET', `/${created.body.id}/deliveries`);
      const delivery = body.data.find((d: { order_id: string }) => d.order_id === order.id);
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    expect(delivered).toMatchObject({ event_type: 'order.completed', attempts: 3, last_status_code: 200 });
    const requests = flaky.ofOrder(order.id);
    expect(requests).toHaveLength(3);
    // Every attempt is the same message: one webhook-id, each freshly signed.
    expect(new Set(requests.map((r) => r.headers['webhook-id']))).toEqual(new Set([delivered.id]));
    for (const request of requests) expect(verifiesWithLibrary(created.body.secret, request)).toBe(true);

    const again = await api(tenant.apiKey)('POST', `/${created.body.id}/deliveries/${delivered.id}/redeliver`);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ id: delivered.id, status: 'pending', attempts: 0 });
    await eventually(async () => (flaky.ofOrder(order.id).length === 4 ? true : undefined));
    const after = await eventually(async () => {
      const { body } = await api(tenant.apiKey)('GET', `/${created.body.id}/deliveries`);
      const delivery = body.data.find((d: { id: string }) => d.id === delivered.id);
      return delivery?.status === 'delivered' ? delivery : undefined;
    });
    expect(after).toMatchObject({ attempts: 1, last_status_code: 200, last_error: null });

    const unknown = await api(tenant.apiKey)(
      'POST',
      `/${created.body.id}/deliveries/00000000-0000-4000-8000-000000000000/redeliver`,
    );
    expect(unknown.status).toBe(404);
    expect(unknown.body.code).toBe('delivery_not_found');
  });

  it('a failing endpoint: the log keeps the last status code and error; given up after the last attempt', async () => {
    const down = await receiver(Array.from({ length: 100 }, () => 502));
    const created = await api(tenant.apiKey)('POST', '', { url: down.url, event_types: ['order.placed'] });
    const order = await placeAndPay('down@example.com');
    const failing = await eventually(async () => {
      const { body } = await api(tenant.apiKey)('GET', `/${created.body.id}/deliveries`);
      const delivery = body.data.find((d: { order_id: string }) => d.order_id === order.id);
      return delivery?.attempts >= 2 ? delivery : undefined;
    });
    expect(failing).toMatchObject({ status: 'pending', last_status_code: 502, last_error: 'HTTP 502: ok' });
    expect(Date.parse(failing.next_attempt_at)).toBeGreaterThan(Date.parse(failing.last_attempt_at));
    // The last attempt of the budget fails too: the delivery is given up, kept in the log as failed.
    await stack.database.db
      .updateTable('webhook_deliveries')
      .set({ attempts: MAX_WEBHOOK_ATTEMPTS - 1, next_attempt_at: new Date() })
      .where('id', '=', failing.id)
      .execute();
    const givenUp = await eventually(async () => {
      const { body } = await api(tenant.apiKey)('GET', `/${created.body.id}/deliveries`);
      const delivery = body.data.find((d: { id: string }) => d.id === failing.id);
      return delivery?.status === 'failed' ? delivery : undefined;
    });
    expect(givenUp).toMatchObject({ attempts: MAX_WEBHOOK_ATTEMPTS, last_status_code: 502, next_attempt_at: null });
    const disabled = await api(tenant.apiKey)('PATCH', `/${created.body.id}`, { enabled: false });
    expect(disabled.status).toBe(200);
    expect(disabled.body.enabled).toBe(false);
  });

  it('after a rotation both secrets verify until the old one expires', async () => {
    const rotating = await receiver();
    const created = await api(tenant.apiKey)('POST', '', { url: rotating.url, event_types: ['order.completed'] });
    const rotated = await api(tenant.apiKey)('POST', `/${created.body.id}/rotate-secret`);
    expect(rotated.status).toBe(200);
    expect(rotated.body.secret).toMatch(/^whsec_/);
    expect(rotated.body.secret).not.toBe(created.body.secret);
    const expires = Date.parse(rotated.body.previous_secret_expires_at);
    expect(expires - Date.now()).toBeGreaterThan(23 * 3600_000);
    expect(expires - Date.now()).toBeLessThanOrEqual(24 * 3600_000);

    const order = await placeAndPay('rotate@example.com');
    const request = await eventually(async () => rotating.ofOrder(order.id)[0]);
    expect(String(request.headers['webhook-signature']).split(' ')).toHaveLength(2);
    expect(signatureMatches(rotated.body.secret, request)).toBe(true);
    expect(signatureMatches(created.body.secret, request)).toBe(true);
    expect(verifiesWithLibrary(rotated.body.secret, request)).toBe(true);
    expect(verifiesWithLibrary(created.body.secret, request)).toBe(true);
    expect(verifiesWithLibrary(`whsec_${Buffer.alloc(32, 1).toString('base64')}`, request)).toBe(false);
  });

  it('an invoice order: invoice.issued, then invoice.paid only for the payment that settles it', async () => {
    const books = await receiver();
    const created = await api(tenant.apiKey)('POST', '', {
      url: books.url,
      event_types: ['invoice.issued', 'invoice.paid', 'order.completed'],
    });
    const placed = await client.placeOrder({
      payment_method: 'invoice',
      booker: { email: 'books@example.com' },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    });
    expect(placed.status).toBe(201);
    const order = await client.waitForStatus(placed.body.id, 'invoiced');
    const invoice = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
    const pay = (body: unknown) =>
      fetch(`${stack.baseUrl}/v1/invoices/${invoice.id}/paid`, {
        method: 'PUT',
        headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' },
        body: JSON.stringify(body),
      });
    expect((await pay({ amount: 10_000, reference: 'bank-1' })).status).toBe(204);
    expect((await pay({ amount: 40_000, reference: 'bank-2' })).status).toBe(204);
    await client.waitForStatus(placed.body.id, 'completed');
    const requests = await eventually(async () => {
      const got = books.ofOrder(placed.body.id);
      return got.length >= 3 ? got : undefined;
    });
    expect(requests.map((r) => r.json.type)).toEqual(
      expect.arrayContaining(['invoice.issued', 'invoice.paid', 'order.completed']),
    );
    expect(requests).toHaveLength(3);
    expect(requests.find((r) => r.json.type === 'invoice.issued')?.json.data.invoice).toEqual({
      id: invoice.id,
      number: invoice.number,
    });
    expect(requests.find((r) => r.json.type === 'invoice.paid')?.json.data.payment).toEqual({
      amount: 40_000,
      reference: 'bank-2',
    });
    for (const request of requests) expect(verifiesWithLibrary(created.body.secret, request)).toBe(true);
  });

  it('validates URLs and event types, scopes and tenancy; update, list and delete', async () => {
    const call = api(tenant.apiKey);
    for (const url of [
      'ftp://example.com/x',
      'javascript:alert(1)',
      'http://',
      `https://a.example/${'x'.repeat(2100)}`,
    ]) {
      const refused = await call('POST', '', { url, event_types: ['order.placed'] });
      expect(refused.status, url).toBe(400);
      expect(refused.body.code).toBe('validation_failed');
    }
    const unknownType = await call('POST', '', { url: 'https://example.com/h', event_types: ['order.exploded'] });
    expect(unknownType.status).toBe(400);
    expect(unknownType.body.errors[0].field).toBe('event_types.0');
    expect((await call('POST', '', { url: 'https://example.com/h', event_types: [] })).status).toBe(400);

    const created = await call('POST', '', {
      url: 'https://example.com/h',
      event_types: ['invoice.issued', 'invoice.issued', 'invoice.paid'],
    });
    expect(created.body.event_types).toEqual(['invoice.issued', 'invoice.paid']);
    const changed = await call('PATCH', `/${created.body.id}`, {
      url: 'http://hooks.example.org:8080/in?x=1',
      event_types: ['order.refunded'],
      description: null,
    });
    expect(changed.status).toBe(200);
    expect(changed.body).toMatchObject({
      url: 'http://hooks.example.org:8080/in?x=1',
      event_types: ['order.refunded'],
    });
    const listed = await call('GET', '');
    expect(listed.body.data.map((e: { id: string }) => e.id)).toContain(created.body.id);
    expect(listed.body.data.every((e: object) => !('secret' in e))).toBe(true);

    const readOnly = await addApiKey(stack.database.db, tenant.id, ['webhooks:read']);
    expect((await api(readOnly)('GET', '')).status).toBe(200);
    const forbidden = await api(readOnly)('POST', `/${created.body.id}/rotate-secret`);
    expect(forbidden.status).toBe(403);
    expect(forbidden.body.code).toBe('missing_scope');
    const ordersOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    expect((await api(ordersOnly)('GET', '')).status).toBe(403);

    expect((await api(other.apiKey)('PATCH', `/${created.body.id}`, { enabled: false })).status).toBe(404);
    expect((await api(other.apiKey)('DELETE', `/${created.body.id}`)).status).toBe(404);
    expect((await call('DELETE', `/${created.body.id}`)).status).toBe(204);
    expect((await call('GET', `/${created.body.id}`)).status).toBe(404);
    expect((await call('GET', '/not-a-uuid/deliveries')).status).toBe(404);
  });
});
