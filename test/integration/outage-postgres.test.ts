import { serve } from '@hono/node-server';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { clearAuthCache } from '../../api/auth';
import { createDb, type Db } from '../../db/database';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import { addApiKey, createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { startTcpProxy, type TcpProxy } from '../helpers/tcp-proxy';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// PostgreSQL made unreachable for the API while requests run, and back: the API reaches it
// through a TCP proxy that the tests close, black-hole and reopen. The worker keeps the direct
// connection, so orders are still taken while the API's database is gone — as when only the
// API's network path or pool breaks.

const REQUEST_TIMEOUT_MS = 3_000;

let stack: TestStack;
let proxy: TcpProxy;
let apiDb: Db;
let baseUrl: string;
let closeApi: () => Promise<void>;
let tenant: TestTenant;
let occurrenceId: string;

beforeAll(async () => {
  stack = await startTestStack();
  const target = new URL(stack.database.url);
  proxy = await startTcpProxy({ host: target.hostname, port: Number(target.port || 5432) });
  apiDb = createDb(proxy.via(stack.database.url), { maxConnections: 5 });
  const port = await findFreePort();
  const app = createApp({
    db: apiDb,
    temporal: stack.temporal,
    logger: createLogger('test-outage', process.env.TEST_LOG_LEVEL ?? 'silent'),
    taskQueue: stack.taskQueue,
    publicBaseUrl: stack.baseUrl,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
  });
  const server = serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
  await new Promise<void>((resolve) => server.once('listening', () => resolve()));
  baseUrl = `http://127.0.0.1:${port}`;
  closeApi = () => new Promise<void>((resolve) => server.close(() => resolve()));
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 40_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 50 });
  clearAuthCache();
});

afterAll(async () => {
  await closeApi?.();
  await apiDb?.destroy();
  await proxy?.close();
  await stack?.stop();
});

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

async function call(path: string, init: RequestInit & { key?: string; apiKey?: string } = {}) {
  const { key, apiKey, ...rest } = init;
  const headers: Record<string, string> = { 'X-API-Key': apiKey ?? tenant.apiKey, 'Content-Type': 'application/json' };
  if (key) headers['Idempotency-Key'] = key;
  const started = performance.now();
  const response = await fetch(`${baseUrl}${path}`, {
    ...rest,
    headers: { ...headers, ...(rest.headers as object) },
    redirect: 'manual',
  });
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  return { status: response.status, headers: response.headers, text, ms, json: () => JSON.parse(text) };
}

const placeOrder = (key?: string) => call('/v1/orders', { method: 'POST', body: JSON.stringify(order()), key });

function expectOutage(answer: Awaited<ReturnType<typeof call>>, code = 'dependency_unavailable') {
  expect(answer.status, answer.text).toBe(503);
  expect(answer.headers.get('retry-after')).toBe('5');
  expect(answer.headers.get('content-type')).toContain('application/problem+json');
  const body = answer.json();
  expect(body.code).toBe(code);
  if (code === 'dependency_unavailable') {
    expect(body.dependency).toBe('postgres');
    expect(body.detail).toMatch(/PostgreSQL/);
    // The driver's message (hosts, ports, users) never reaches the client.
    expect(answer.text).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|terminated/);
  }
}

function figure(name: string, ms: number) {
  if (process.env.OUTAGE_FIGURES) console.log(`[figure] ${name}: ${ms} ms`);
}

describe('PostgreSQL unreachable for the API', () => {
  it(
    'refusing connections: every endpoint answers 503 with Retry-After at once, the ' +
      'payment page in HTML; all recover',
    async () => {
      const placed = await placeOrder(`pg-${crypto.randomUUID()}`);
      expect(placed.status, placed.text).toBe(201);
      const { id, payment } = placed.json();
      const pagePath = new URL(payment.redirect_url).pathname;
      expect((await call(pagePath)).status).toBe(200);
      // A key the API has not seen yet: its lookup needs the database too.
      const freshKey = await addApiKey(stack.database.db, tenant.id, ['orders:read', 'orders:write']);

      await proxy.setMode('refused');
      const answers = {
        order: await call(`/v1/orders/${id}`),
        orderFreshKey: await call(`/v1/orders/${id}`, { apiKey: freshKey }),
        place: await placeOrder(`pg-${crypto.randomUUID()}`),
        placeWithoutKey: await placeOrder(),
        catalog: await call('/v1/catalog/occurrences'),
        webhook: await call(`/v1/webhooks/sandbox/${tenant.slug}`, { method: 'POST', body: '{}' }),
      };
      for (const [name, answer] of Object.entries(answers)) {
        expectOutage(answer);
        expect(answer.ms, name).toBeLessThan(1_500);
        figure(`postgres refused: ${name}`, answer.ms);
      }

      const page = await call(pagePath);
      expect(page.status).toBe(503);
      expect(page.headers.get('retry-after')).toBe('5');
      expect(page.headers.get('content-type')).toContain('text/html');
      expect(page.text).toMatch(/try again shortly/i);
      expect(page.ms).toBeLessThan(1_500);
      const pagePost = await call(pagePath, {
        method: 'POST',
        body: 'action=pay&card_number=4242424242424242',
        headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      });
      expect(pagePost.status).toBe(503);
      expect(pagePost.headers.get('content-type')).toContain('text/html');

      const ready = await call('/ready');
      expect(ready.status).toBe(503);
      expect(ready.headers.get('retry-after')).toBe('5');
      expect(ready.json().checks.postgres).toMatch(/^down/);
      expect((await call('/health')).status).toBe(200);

      // Back: the pool makes new connections by itself.
      await proxy.setMode('open');
      expect((await call(`/v1/orders/${id}`)).status).toBe(200);
      expect((await call(`/v1/orders/${id}`, { apiKey: freshKey })).status).toBe(200);
      expect((await call(pagePath)).status).toBe(200);
      expect((await placeOrder()).status).toBe(201);
      const readyAgain = await call('/ready');
      expect(readyAgain.status, readyAgain.text).toBe(200);
    },
  );

  it(
    'accepting connections but never answering: 503 request_timeout within the ' + 'request deadline; recovers',
    async () => {
      await proxy.setMode('blackhole');
      const answer = await call('/v1/catalog/occurrences');
      expectOutage(answer, 'request_timeout');
      expect(answer.ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(answer.ms).toBeLessThan(REQUEST_TIMEOUT_MS + 1_000);
      figure('postgres black-holed: catalog', answer.ms);
      await proxy.setMode('open');
      // Connections that waited for the black hole fail (pool timeout); new ones work.
      const catalogAnswers = async () => ((await call('/v1/catalog/occurrences')).status === 200 ? true : undefined);
      await eventually(catalogAnswers, 10_000, 200);
    },
  );

  it(
    'an order placed just before the database dropped: 503, and the retry with its ' + 'key gets that order at once',
    async () => {
      const key = `pg-drop-${crypto.randomUUID()}`;
      const pending = placeOrder(key);
      // The moment the API has claimed the key (it is now asking the workflow to take the order),
      // its database goes away; the worker still places the order.
      const claimed = await eventually(
        () =>
          stack.database.db
            .selectFrom('idempotency_keys')
            .select(['order_id', 'order_number'])
            .where('tenant_id', '=', tenant.id)
            .where('key', '=', key)
            .executeTakeFirst(),
        5_000,
        5,
      );
      await proxy.setMode('refused');
      const first = await pending;
      expectOutage(first);
      figure('postgres dropped after the order was placed: POST /v1/orders', first.ms);
      const placed = await eventually(
        () =>
          stack.database.db
            .selectFrom('orders')
            .select(['id', 'number'])
            .where('id', '=', claimed.order_id)
            .executeTakeFirst(),
        10_000,
      );
      expect(placed.number).toBe(claimed.order_number);

      // Still down: the retry is told so (not 409 request_in_progress, not 500).
      expectOutage(await placeOrder(key));

      await proxy.setMode('open');
      const retry = await placeOrder(key);
      expect(retry.status, retry.text).toBe(201);
      expect(retry.ms).toBeLessThan(2_000);
      expect(retry.json().id).toBe(claimed.order_id);
      expect(retry.headers.get('location')).toBe(`/v1/orders/${claimed.order_id}`);
      figure('retry after the database came back', retry.ms);
      const replay = await placeOrder(key);
      expect(replay.text).toBe(retry.text);
      const orders = await stack.database.db
        .selectFrom('orders')
        .select('id')
        .where('tenant_id', '=', tenant.id)
        .where('number', '=', claimed.order_number)
        .execute();
      expect(orders).toHaveLength(1);
    },
  );
});
