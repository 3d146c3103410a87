import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningOrderWorker, startOrderWorker } from '../../activities/worker-runtime';
import { createApp } from '../../api/app';
import { loadTakenOrderSummary } from '../../db/queries/order-summary';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// An Idempotency-Key is never stuck: a failed intake frees it for a fresh attempt, a retry
// while the first request is still waiting gets that request's order, and a request that gave
// up does not block its retry.

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;

beforeAll(async () => {
  stack = await startTestStack();
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 25_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 50 });
});
afterAll(async () => stack?.stop());

const order = () => ({
  payment_method: 'card',
  booker: { name: 'Jane Doe', email: 'jane@example.com' },
  lines: [
    {
      occurrence_id: occurrenceId,
      participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
    },
  ],
});

async function placeOrder(baseUrl: string, key: string) {
  const started = performance.now();
  const response = await fetch(`${baseUrl}/v1/orders`, {
    method: 'POST',
    headers: { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json', 'Idempotency-Key': key },
    body: JSON.stringify(order()),
  });
  const text = await response.text();
  return {
    status: response.status,
    text,
    json: () => JSON.parse(text),
    ms: Math.round(performance.now() - started),
    retryAfter: response.headers.get('retry-after'),
    type: response.headers.get('content-type'),
  };
}

const keyRow = (key: string) =>
  stack.database.db
    .selectFrom('idempotency_keys')
    .select(['order_id', 'order_number', 'response_status', 'locked_until'])
    .where('tenant_id', '=', tenant.id)
    .where('key', '=', key)
    .executeTakeFirstOrThrow();

/** Card payments through a provider the tenant has no secret key for: every intake fails. */
const setProvider = (provider: 'sandbox' | 'stripe') =>
  stack.database.db.updateTable('tenants').set({ payment_provider: provider }).where('id', '=', tenant.id).execute();

describe('a failed intake', () => {
  afterAll(() => setProvider('sandbox'));

  it('frees its key: the retry is a fresh attempt with a new order number, and its answer is kept', async () => {
    const key = `intake-${crypto.randomUUID()}`;
    await setProvider('stripe');
    const failed = await placeOrder(stack.baseUrl, key);
    expect(failed.status, failed.text).toBe(503);
    expect(failed.json().code).toBe('order_intake_unavailable');
    expect(failed.retryAfter).toBe('5');
    const renewed = await keyRow(key);
    expect(renewed.response_status).toBeNull();
    expect(renewed.locked_until.getTime()).toBeLessThanOrEqual(Date.now() + 1_000);

    await setProvider('sandbox');
    const retried = await placeOrder(stack.baseUrl, key);
    expect(retried.status, retried.text).toBe(201);
    expect(retried.json()).toMatchObject({ id: renewed.order_id, number: renewed.order_number });
    // The failed attempt's number is not reused (its workflow id is taken for good).
    const again = await placeOrder(stack.baseUrl, key);
    expect(again.text).toBe(retried.text);
    expect(again.type).toBe(retried.type);
  });

  it(
    'left on the failed attempt (the key could not be freed then): the retry renews ' + 'it and places the order',
    async () => {
      const key = `intake-stuck-${crypto.randomUUID()}`;
      await setProvider('stripe');
      const failedAnswer = await placeOrder(stack.baseUrl, key);
      expect(failedAnswer.status).toBe(503);
      // As if the database had been down when the intake failed: the key still names the failed
      // attempt, whose workflow has ended (the same Update id would repeat its failure forever).
      const renewed = await keyRow(key);
      const failedNumber = renewed.order_number - 1;
      const history = await stack.temporal.workflow.getHandle(`order-${tenant.slug}-${failedNumber}`).fetchHistory();
      const input = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0]?.data;
      const failedStart = JSON.parse(Buffer.from(input ?? []).toString()) as { orderId: string; orderNumber: number };
      expect(failedStart.orderNumber).toBe(failedNumber);
      await stack.database.db
        .updateTable('idempotency_keys')
        .set({ order_id: failedStart.orderId, order_number: failedNumber })
        .where('tenant_id', '=', tenant.id)
        .where('key', '=', key)
        .execute();

      await setProvider('sandbox');
      const retried = await placeOrder(stack.baseUrl, key);
      expect(retried.status, retried.text).toBe(201);
      const now = await keyRow(key);
      expect(now.order_number).toBeGreaterThan(failedNumber);
      expect(retried.json()).toMatchObject({ id: now.order_id, number: now.order_number });
    },
  );
});

describe('a submit that is still running', () => {
  const queue = `late-${crypto.randomUUID()}`;
  let lateApi: { baseUrl: string; stop(): Promise<void> };
  let lateWorker: RunningOrderWorker | undefined;

  beforeAll(async () => {
    // An API whose task queue has no worker yet: submits wait until one comes.
    const port = await findFreePort();
    const app = createApp({
      db: stack.database.db,
      temporal: stack.temporal,
      logger: createLogger('test-late', process.env.TEST_LOG_LEVEL ?? 'silent'),
      taskQueue: queue,
      publicBaseUrl: stack.baseUrl,
      requestTimeoutMs: 8_000,
    });
    const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
    await new Promise<void>((resolve) => server.once('listening', () => resolve()));
    lateApi = {
      baseUrl: `http://127.0.0.1:${port}`,
      stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
    };
  });
  afterAll(async () => {
    await lateWorker?.shutdown();
    await lateApi?.stop();
  });

  const startLateWorker = async () => {
    lateWorker ??= await startOrderWorker({
      db: stack.database.db,
      temporalAddress: inject('temporalAddress'),
      namespace: 'default',
      taskQueue: queue,
      smtpUrl: 'smtp://127.0.0.1:9',
      publicBaseUrl: stack.baseUrl,
      logger: createLogger('test-late-worker', process.env.TEST_LOG_LEVEL ?? 'silent'),
      workflowBundle: { codePath: inject('workflowBundlePath') },
    });
  };
  const stopLateWorker = async () => {
    await lateWorker?.shutdown();
    lateWorker = undefined;
  };

  it(
    'a request that gave up does not block its retry, which waits for the same ' + 'submit and gets the order',
    async () => {
      const key = `late-${crypto.randomUUID()}`;
      const gaveUp = await placeOrder(lateApi.baseUrl, key);
      // No worker: Temporal does not answer within the request's Temporal budget (80 % of 8 s).
      expect(gaveUp.status, gaveUp.text).toBe(503);
      expect(gaveUp.retryAfter).toBe('5');
      expect(gaveUp.ms).toBeLessThan(8_000);
      const identity = await keyRow(key);

      // The retry right away is not 409: the lease ended with the answer.
      const retry = placeOrder(lateApi.baseUrl, key);
      await new Promise((r) => setTimeout(r, 300));
      await startLateWorker();
      const placed = await retry;
      expect(placed.status, placed.text).toBe(201);
      expect(placed.json()).toMatchObject({ id: identity.order_id, number: identity.order_number });
      const orders = await stack.database.db
        .selectFrom('orders')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('number', '=', identity.order_number)
        .execute();
      expect(orders).toHaveLength(1);
      await stopLateWorker();
    },
  );

  it('a duplicate while the first request still waits gets the same answer, byte for byte, not 409', async () => {
    const key = `late-dup-${crypto.randomUUID()}`;
    const first = placeOrder(lateApi.baseUrl, key);
    await eventually(
      () =>
        stack.database.db
          .selectFrom('idempotency_keys')
          .select('key')
          .where('tenant_id', '=', tenant.id)
          .where('key', '=', key)
          .executeTakeFirst(),
      5_000,
      10,
    );
    await new Promise((r) => setTimeout(r, 300));
    const duplicate = placeOrder(lateApi.baseUrl, key);
    await new Promise((r) => setTimeout(r, 300));
    await startLateWorker();
    const [a, b] = await Promise.all([first, duplicate]);
    expect(a.status, a.text).toBe(201);
    expect(b.status, b.text).toBe(201);
    expect(b.text).toBe(a.text);
    await stopLateWorker();
  });
});

describe('the order a retry is answered with', () => {
  // A retry answers from what PostgreSQL holds, read once: an order row whose payment session is
  // still being opened is not yet an answer (its client would get no page to pay on).
  it('is a card order with its charge, never its row alone; an approval hold needs no charge', async () => {
    const placed = await placeOrder(stack.baseUrl, `taken-${crypto.randomUUID()}`);
    expect(placed.status, placed.text).toBe(201);
    const { id, payment } = placed.json();
    expect(payment.redirect_url).toEqual(expect.any(String));
    const taken = await loadTakenOrderSummary(stack.database.db, tenant.id, id);
    expect(taken?.payment.redirect_url).toBe(payment.redirect_url);

    // The moment between the order row and its charge, inside a transaction that is rolled back.
    const rolledBack = new Error('rolled back');
    const seen = await stack.database.db
      .transaction()
      .execute(async (trx) => {
        await trx.deleteFrom('payments').where('order_id', '=', id).execute();
        const withoutCharge = await loadTakenOrderSummary(trx, tenant.id, id);
        const approvalUntil = new Date(Date.now() + 3_600_000).toISOString();
        await trx.updateTable('orders').set({ approval_until: approvalUntil }).where('id', '=', id).execute();
        const held = await loadTakenOrderSummary(trx, tenant.id, id);
        throw Object.assign(rolledBack, { withoutCharge, held });
      })
      .catch((error) => error as typeof rolledBack & { withoutCharge: unknown; held: { id: string } | undefined });
    expect(seen).toBe(rolledBack);
    expect(seen.withoutCharge).toBeUndefined();
    expect(seen.held?.id).toBe(id);
  });
});
