import { Writable } from 'node:stream';
import { SpanKind } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app';
import { startTracing, type Tracing, tracingEnabled } from '../../runtime/tracing';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Tracing on, in this process: the API and the worker both run here, so one provider sees every
// span. Across processes (api and worker apart) the context travels exactly the same way: in the
// Temporal headers of the update-with-start and of each activity task (W3C trace context,
// written by the client and workflow interceptors, read by the workflow and activity ones).
// The global tracer provider does not leak into other test files: vitest runs each file in its
// own child process (pool 'forks', isolate on, vitest.config.ts); afterAll shuts it down anyway.

const exporter = new InMemorySpanExporter();
let tracing: Tracing;
let stack: TestStack;
let tenant: TestTenant;
let occurrenceId: string;
// The service starts this soon, so the workflow (open until then, for cancellations) ends within
// the test and its RunWorkflow span is exported too.
const SERVICE_STARTS_IN_MS = 25_000;

beforeAll(async () => {
  // Off without an endpoint or exporter: nothing started, so the app mounts no span middleware.
  expect(await startTracing({ serviceName: 'order-api' })).toBeUndefined();
  expect(tracingEnabled()).toBe(false);
  const started = await startTracing({ serviceName: 'order-api', exporter });
  if (!started) throw new Error('tracing did not start');
  tracing = started;
  stack = await startTestStack({ tracing });
  tenant = await createTenant(stack.database.db);
  const product = await createProduct(stack.database.db, tenant.id, { price: 50_000, vatRateBp: 2500 });
  occurrenceId = await createOccurrence(stack.database.db, tenant.id, product, {
    capacity: 5,
    startsInDays: SERVICE_STARTS_IN_MS / 86_400_000,
  });
});
afterAll(async () => {
  await stack?.stop();
  await tracing?.shutdown();
});

const spanId = (span: ReadableSpan) => span.spanContext().spanId;
const traceId = (span: ReadableSpan) => span.spanContext().traceId;

describe('tracing', () => {
  it('follows a card order in one trace: HTTP, Temporal client, workflow, activities, SQL', async () => {
    const client = orderClient(stack, tenant.apiKey);
    const placed = await client.placeOrder(
      {
        payment_method: 'card',
        booker: { name: 'Jane Doe', email: 'jane@example.com' },
        lines: [
          { occurrence_id: occurrenceId, participants: [{ firstname: 'J', lastname: 'D', email: 'j@example.com' }] },
        ],
      },
      'tracing-1',
    );
    expect(placed.status).toBe(201);
    await client.actOnPaymentPage(placed.body.payment.redirect_url, 'pay');
    await client.waitForStatus(placed.body.id, 'completed');

    const request = await eventually(async () =>
      exporter.getFinishedSpans().find((s) => s.name === 'POST /v1/orders' && s.kind === SpanKind.SERVER),
    );
    expect(request.attributes['http.route']).toBe('/v1/orders');
    expect(request.attributes['http.response.status_code']).toBe(201);
    // The workflow ends once the service has started; its span is exported then (through the sink).
    const trace = await eventually(
      async () => {
        const spans = exporter.getFinishedSpans().filter((s) => traceId(s) === traceId(request));
        return spans.some((s) => s.name === 'RunWorkflow:orderWorkflow') ? spans : undefined;
      },
      SERVICE_STARTS_IN_MS + 30_000,
      250,
    );
    const names = trace.map((s) => s.name);
    expect(names).toEqual(
      expect.arrayContaining([
        'POST /v1/orders',
        'UpdateWithStartWorkflow:submit',
        'RunWorkflow:orderWorkflow',
        'HandleUpdate:submit',
        'StartActivity:intakeOrder',
        'RunActivity:intakeOrder',
      ]),
    );

    // One tree: the HTTP request is the root, every other span's parent is in the trace.
    const ids = new Set(trace.map(spanId));
    const roots = trace.filter((s) => !s.parentSpanId || !ids.has(s.parentSpanId));
    expect(roots.map((s) => s.name)).toEqual(['POST /v1/orders']);
    const byId = new Map(trace.map((s) => [spanId(s), s]));
    const ancestors = (span: ReadableSpan) => {
      const chain: string[] = [];
      for (let p = span.parentSpanId; p; p = byId.get(p)?.parentSpanId) chain.push(byId.get(p)?.name ?? '?');
      return chain;
    };
    const client_ = trace.find((s) => s.name === 'UpdateWithStartWorkflow:submit')!;
    expect(client_.parentSpanId).toBe(spanId(request));

    // SQL inside the intake activity, as its descendants.
    const intake = trace.find((s) => s.name === 'RunActivity:intakeOrder')!;
    const intakeQueries = trace.filter(
      (s) => s.attributes['db.system'] === 'postgresql' && ancestors(s).includes('RunActivity:intakeOrder'),
    );
    expect(intakeQueries.length).toBeGreaterThan(0);
    expect(ancestors(intake)).toEqual(
      expect.arrayContaining(['StartActivity:intakeOrder', 'UpdateWithStartWorkflow:submit', 'POST /v1/orders']),
    );
    // The activities after payment run under the workflow span, in the same trace.
    expect(
      trace.filter((s) => s.name.startsWith('RunActivity:') && ancestors(s).includes('RunWorkflow:orderWorkflow'))
        .length,
    ).toBeGreaterThan(0);
    // Polling loops' queries (no parent span) are not traced at all.
    expect(exporter.getFinishedSpans().filter((s) => s.name.startsWith('pg') && !s.parentSpanId)).toEqual([]);
  }, 90_000);

  it('puts the trace id on the request log line', async () => {
    const lines: Record<string, unknown>[] = [];
    const sink = new Writable({
      write(chunk, _encoding, done) {
        lines.push(JSON.parse(String(chunk)));
        done();
      },
    });
    const app = createApp({
      db: stack.database.db,
      temporal: stack.temporal,
      logger: pino({ level: 'info' }, sink),
      taskQueue: stack.taskQueue,
      publicBaseUrl: stack.baseUrl,
    });
    expect((await app.request('/health')).status).toBe(200);
    const span = await eventually(async () => exporter.getFinishedSpans().find((s) => s.name === 'GET /health'));
    const line = lines.find((l) => l.msg === 'request');
    expect(line).toMatchObject({ path: '/health', trace_id: traceId(span) });
  });
});
