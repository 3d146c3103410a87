import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { type RunningOrderWorker, startOrderWorker } from '../../activities/worker-runtime';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import { resolveTemporalCli } from '../../runtime/temporal-binaries';
import { startTemporalDevServer, type TemporalDevServer } from '../../runtime/temporal-dev-server';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Temporal stopped while requests run, and started again on the same port with the same state:
// this file runs its own dev server (the run's one is shared by every other file). Its long
// poll is 3 s instead of a minute, so a worker's last poll says within seconds whether it is
// gone, and /ready can be checked with a worker that stops.

const REQUEST_TIMEOUT_MS = 4_000;
const WORKER_POLL_MAX_AGE_MS = 6_000;

let temporalPort: number;
let dataDir: string;
let server: TemporalDevServer | undefined;
let stack: TestStack;
let worker: RunningOrderWorker | undefined;
let tenant: TestTenant;
let occurrenceId: string;

async function startTemporal(): Promise<void> {
  const cliPath = resolveTemporalCli({ install: false });
  if (!cliPath) throw new Error('Temporal CLI not found');
  server = await startTemporalDevServer({
    cliPath,
    port: temporalPort,
    dbFile: path.join(dataDir, 'temporal.sqlite'),
    dynamicConfig: { 'matching.longPollExpirationInterval': '"3s"' },
  });
}

async function startWorker(): Promise<void> {
  worker = await startOrderWorker({
    db: stack.database.db,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    namespace: 'default',
    taskQueue: stack.taskQueue,
    // Mail goes through the outbox; nothing here reads it.
    smtpUrl: 'smtp://127.0.0.1:9',
    publicBaseUrl: stack.baseUrl,
    logger: createLogger('test-worker', process.env.TEST_LOG_LEVEL ?? 'silent'),
    workflowBundle: { codePath: inject('workflowBundlePath') },
  });
}

async function stopWorker(): Promise<void> {
  await worker?.shutdown();
  worker = undefined;
}

beforeAll(async () => {
  temporalPort = await findFreePort();
  dataDir = mkdtempSync(path.join(os.tmpdir(), 'temporal-outage-'));
  await startTemporal();
  stack = await startTestStack({
    worker: false,
    temporalAddress: `127.0.0.1:${temporalPort}`,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    workerPollMaxAgeMs: WORKER_POLL_MAX_AGE_MS,
  });
  tenant = await createTenant(stack.database.db);
  const course = await createProduct(stack.database.db, tenant.id, { price: 30_000, name: 'Course' });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, course, { capacity: 50 });
});

afterAll(async () => {
  await stopWorker();
  await stack?.stop();
  await server?.stop();
  if (dataDir) rmSync(dataDir, { recursive: true, force: true });
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

async function call(urlPath: string, init: RequestInit & { key?: string } = {}) {
  const { key, ...rest } = init;
  const headers: Record<string, string> = { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' };
  if (key) headers['Idempotency-Key'] = key;
  const started = performance.now();
  const response = await fetch(`${stack.baseUrl}${urlPath}`, { ...rest, headers, redirect: 'manual' });
  const text = await response.text();
  const ms = Math.round(performance.now() - started);
  return { status: response.status, headers: response.headers, text, ms, json: () => JSON.parse(text) };
}

const placeOrder = (key?: string) => call('/v1/orders', { method: 'POST', body: JSON.stringify(order()), key });
const readiness = async () => {
  const answer = await call('/ready');
  const checks = answer.json().checks as { postgres: string; temporal: string; worker: string };
  return { status: answer.status, checks };
};

function expectTemporalOutage(answer: Awaited<ReturnType<typeof call>>, name: string) {
  expect(answer.status, `${name}: ${answer.text}`).toBe(503);
  expect(answer.headers.get('retry-after')).toBe('5');
  const body = answer.json();
  expect(body.code).toBe('dependency_unavailable');
  expect(body.dependency).toBe('temporal');
  expect(body.detail).toMatch(/Temporal/);
  // Within the request deadline, never the SDK's ~18 s of retries.
  expect(answer.ms, name).toBeLessThan(REQUEST_TIMEOUT_MS + 500);
  if (process.env.OUTAGE_FIGURES) console.log(`[figure] temporal down: ${name}: ${answer.ms} ms`);
}

describe('a worker missing, then Temporal stopped and started again', () => {
  it('/ready says when no worker polls the task queue', async () => {
    const none = await readiness();
    expect(none.status).toBe(503);
    expect(none.checks).toMatchObject({ postgres: 'ok', temporal: 'ok' });
    expect(none.checks.worker).toMatch(/^down: no worker polls task queue .*never polled/);

    await startWorker();
    await eventually(async () => ((await readiness()).status === 200 ? true : undefined), 10_000, 250);
    expect((await placeOrder()).status).toBe(201);

    await stopWorker();
    const gone = await eventually(
      async () => {
        const ready = await readiness();
        return ready.status === 503 ? ready : undefined;
      },
      15_000,
      500,
    );
    expect(gone.checks.worker).toMatch(/^down: .*last poll \d+ s ago/);
  });

  it(
    'Temporal down: 503 dependency_unavailable with Retry-After within the deadline; ' + 'all recover when it is back',
    async () => {
      // An order taken before the outage, to be cancelled during and after it.
      await startWorker();
      const before = await placeOrder();
      expect(before.status, before.text).toBe(201);
      const { id } = before.json();
      await stopWorker();

      // A request in flight when Temporal stops: with no worker its submit waits.
      const inFlightKey = `tmp-${crypto.randomUUID()}`;
      const inFlight = placeOrder(inFlightKey);
      await eventually(
        () =>
          stack.database.db
            .selectFrom('idempotency_keys')
            .select('key')
            .where('key', '=', inFlightKey)
            .executeTakeFirst(),
        5_000,
        10,
      );
      await new Promise((r) => setTimeout(r, 300));
      await server?.stop();
      expectTemporalOutage(await inFlight, 'POST /v1/orders in flight');

      const downKey = `tmp-${crypto.randomUUID()}`;
      expectTemporalOutage(await placeOrder(downKey), 'POST /v1/orders');
      const cancel = await call(`/v1/orders/${id}/cancel`, { method: 'POST', body: '{}' });
      expectTemporalOutage(cancel, 'POST /v1/orders/{id}/cancel');
      // What needs only PostgreSQL keeps working.
      expect((await call(`/v1/orders/${id}`)).status).toBe(200);
      const down = await readiness();
      expect(down.status).toBe(503);
      expect(down.checks.temporal).toMatch(/^down/);

      // Back on the same port, with its state: the API's client reconnects by itself.
      await startTemporal();
      await startWorker();
      await eventually(async () => ((await readiness()).status === 200 ? true : undefined), 20_000, 250);
      const retried = await placeOrder(inFlightKey);
      expect(retried.status, retried.text).toBe(201);
      const claimed = await stack.database.db
        .selectFrom('idempotency_keys')
        .select(['order_id', 'order_number'])
        .where('key', '=', inFlightKey)
        .executeTakeFirstOrThrow();
      expect(retried.json()).toMatchObject({ id: claimed.order_id, number: claimed.order_number });
      expect((await placeOrder(downKey)).status).toBe(201);
      const cancelled = await call(`/v1/orders/${id}/cancel`, { method: 'POST', body: '{}' });
      expect(cancelled.status, cancelled.text).toBe(200);
    },
  );

  it('a worker that stays up through a Temporal restart takes orders again afterwards', async () => {
    expect(worker).toBeDefined();
    await server?.stop();
    expectTemporalOutage(await placeOrder(), 'POST /v1/orders (worker up)');
    await startTemporal();
    const placed = await eventually(
      async () => {
        const answer = await placeOrder();
        return answer.status === 201 ? answer : undefined;
      },
      20_000,
      500,
    );
    expect(placed.json().status).toBe('awaiting_payment');
  });
});
