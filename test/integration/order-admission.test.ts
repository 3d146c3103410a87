import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAdmissionGate } from '../../api/admission';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// An API process bounds the order creates it works on at once (API_MAX_CONCURRENT_CREATES): past the bound a create
// waits its turn (API_CREATE_QUEUE_MS) or is refused with 503 overloaded before anything is written.
const gate = createAdmissionGate(1, 5_000);
let stack: TestStack;
let tenant: TestTenant;
let client: ReturnType<typeof orderClient>;
let occurrence: string;

beforeAll(async () => {
  stack = await startTestStack({ orderAdmission: gate });
  tenant = await createTenant(stack.database.db);
  client = orderClient(stack, tenant.apiKey);
  const product = await createProduct(stack.database.db, tenant.id, { price: 2_000, name: 'Admitted course' });
  occurrence = await createOccurrence(stack.database.db, tenant.id, product, { capacity: 10 });
});
afterAll(async () => stack.stop());

const order = (email: string) => ({
  payment_method: 'invoice',
  booker: { email },
  lines: [{ occurrence_id: occurrence, quantity: 1 }],
});

describe('order admission', () => {
  it('a create waits for the slot a running one frees, then is taken', async () => {
    const held = await gate.enter();
    const waiting = client.placeOrder(order('queued@example.com'), `queued-${crypto.randomUUID()}`);
    await eventually(async () => (gate.waiting === 1 ? true : undefined), 10_000, 20);
    held!();
    expect((await waiting).status).toBe(201);
  });

  it('a create that gets no turn is refused with 503 overloaded and Retry-After; nothing is written', async () => {
    const refusing = createAdmissionGate(1, 0);
    const busy = await startTestStack({ orderAdmission: refusing });
    try {
      const busyTenant = await createTenant(busy.database.db);
      const busyClient = orderClient(busy, busyTenant.apiKey);
      const product = await createProduct(busy.database.db, busyTenant.id, { price: 2_000, name: 'Busy course' });
      const busyOccurrence = await createOccurrence(busy.database.db, busyTenant.id, product, { capacity: 10 });
      const body = { ...order('refused@example.com'), lines: [{ occurrence_id: busyOccurrence, quantity: 1 }] };
      const key = `refused-${crypto.randomUUID()}`;
      const held = await refusing.enter();
      const response = await fetch(`${busy.baseUrl}/v1/orders`, {
        method: 'POST',
        headers: { 'X-API-Key': busyTenant.apiKey, 'Content-Type': 'application/json', 'Idempotency-Key': key },
        body: JSON.stringify(body),
      });
      expect(response.status).toBe(503);
      expect(response.headers.get('retry-after')).toBe('2');
      expect(await response.json()).toMatchObject({ code: 'overloaded', status: 503 });
      const keys = await busy.database.db.selectFrom('idempotency_keys').select('key').where('key', '=', key).execute();
      expect(keys).toEqual([]);
      const orders = await busy.database.db
        .selectFrom('orders')
        .select('id')
        .where('tenant_id', '=', busyTenant.id)
        .execute();
      expect(orders).toEqual([]);
      held!();
      // The retry with the same key is a first attempt.
      expect((await busyClient.placeOrder(body, key)).status).toBe(201);
    } finally {
      await busy.stop();
    }
  });

  it('a client still sending its body holds no slot', async () => {
    const refusing = createAdmissionGate(1, 0);
    const busy = await startTestStack({ orderAdmission: refusing });
    try {
      const busyTenant = await createTenant(busy.database.db);
      const product = await createProduct(busy.database.db, busyTenant.id, { price: 2_000, name: 'Slow course' });
      const slowOccurrence = await createOccurrence(busy.database.db, busyTenant.id, product, { capacity: 10 });
      const body = (email: string) =>
        JSON.stringify({ ...order(email), lines: [{ occurrence_id: slowOccurrence, quantity: 1 }] });
      // A body of announced length sent in two parts, the second only after another create was taken. (A chunked
      // body is received whole before any route runs: the body limit counts it.)
      const slowBody = body('slow@example.com');
      const slow = request(`${busy.baseUrl}/v1/orders`, {
        method: 'POST',
        headers: {
          'X-API-Key': busyTenant.apiKey,
          'Content-Type': 'application/json',
          'Content-Length': String(Buffer.byteLength(slowBody)),
        },
      });
      const slowAnswer = new Promise<number>((resolve, reject) => {
        slow.on('response', (response) => {
          response.resume();
          resolve(response.statusCode ?? 0);
        });
        slow.on('error', reject);
      });
      slow.write(slowBody.slice(0, 20));
      await new Promise((resolve) => setTimeout(resolve, 200));
      const quick = await orderClient(busy, busyTenant.apiKey).placeOrder(JSON.parse(body('quick@example.com')));
      expect(quick.status).toBe(201);
      slow.end(slowBody.slice(20));
      expect(await slowAnswer).toBe(201);
    } finally {
      await busy.stop();
    }
  });
});
