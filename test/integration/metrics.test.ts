import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { createLogger } from '../../runtime/logger';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Prometheus metrics (runtime/metrics.ts): the API's GET /metrics and the worker's metrics port,
// after a card order placed and paid through the real API. Counts only, never timings.

let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;

beforeAll(async () => {
  stack = await startTestStack({ workerMetrics: true });
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 50_000, vatRateBp: 2500, name: 'CPR' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 5, name: 'CPR — Bergen' });
  client = orderClient(stack, tenant.apiKey);
});
afterAll(async () => stack.stop());

/** One sample's value from Prometheus text, or undefined when the series is absent. */
function sample(text: string, series: string): number | undefined {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function scrape(url: string): Promise<string> {
  const response = await fetch(url);
  expect(response.status).toBe(200);
  expect(response.headers.get('content-type')).toContain('text/plain');
  return response.text();
}

describe('metrics', () => {
  it('count a card order placed and paid, in the API and in the worker', async () => {
    const placed = await client.placeOrder({
      payment_method: 'card',
      booker: { name: 'Jane Doe', email: 'jane@example.com' },
      lines: [
        {
          occurrence_id: occurrenceId,
          participants: [{ firstname: 'John', lastname: 'Doe', email: 'john@example.com' }],
        },
      ],
    });
    expect(placed.status).toBe(201);
    expect(await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay')).toMatchObject({ status: 303 });
    await client.waitForStatus(placed.body.id, 'completed');
    expect((await client.getOrder(placed.body.id)).status).toBe(200);

    // The API: no API key needed; RED metrics by route template, never by the path with its ids.
    const api = await eventually(async () => {
      const text = await scrape(`${stack.baseUrl}/metrics`);
      // The sandbox webhook is delivered from the API process, asynchronously.
      return sample(text, 'payment_webhook_deliveries_total{provider="sandbox",result="received"}') === 1
        ? text
        : undefined;
    });
    expect(sample(api, 'http_requests_total{method="POST",route="/v1/orders",status="201"}')).toBe(1);
    expect(sample(api, 'http_requests_total{method="GET",route="/v1/orders/:id",status="200"}')).toBeGreaterThanOrEqual(
      2,
    );
    expect(sample(api, 'http_request_duration_seconds_count{method="POST",route="/v1/orders",status="201"}')).toBe(1);
    expect(sample(api, 'orders_started_total{payment_method="card"}')).toBe(1);
    expect(api).not.toContain(placed.body.id);
    expect(api).toMatch(/^process_cpu_user_seconds_total /m);
    // Worker facts are not in the API's registry.
    expect(api).not.toContain('orders_completed_total');

    // The worker's own port: the order completed, its payment, the outbox and seats gauges.
    expect(stack.workerMetricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/metrics$/);
    const worker = await scrape(stack.workerMetricsUrl!);
    expect(sample(worker, 'orders_completed_total{payment_method="card"}')).toBe(1);
    expect(sample(worker, 'payments_total{provider="sandbox",outcome="succeeded"}')).toBe(1);
    expect(sample(worker, 'order_time_to_payment_seconds_count{payment_method="card"}')).toBe(1);
    expect(sample(worker, 'order_time_to_completion_seconds_count{payment_method="card"}')).toBe(1);
    expect(sample(worker, 'email_outbox_pending')).toBeGreaterThanOrEqual(0);
    expect(sample(worker, 'email_outbox_oldest_pending_age_seconds')).toBeGreaterThanOrEqual(0);
    expect(sample(worker, 'seats_held')).toBe(0);
    expect(worker).toMatch(/^process_cpu_user_seconds_total /m);
    expect(worker).not.toContain('orders_started_total{');
  });

  it('keeps /metrics out of the OpenAPI document', async () => {
    const document = await jsonOf(await fetch(`${stack.baseUrl}/openapi.json`));
    expect(Object.keys(document.paths)).not.toContain('/metrics');
  });

  it('serves no /metrics with METRICS_ENABLED=false', async () => {
    const app = createApp({
      db: stack.database.db,
      temporal: stack.temporal,
      logger: createLogger('test', 'silent'),
      taskQueue: stack.taskQueue,
      publicBaseUrl: stack.baseUrl,
      metricsEnabled: false,
    });
    expect((await app.request('/metrics')).status).toBe(404);
  });
});
