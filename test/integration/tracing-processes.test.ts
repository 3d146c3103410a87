import { mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { Client, Connection } from '@temporalio/client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';
import { createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { paymentFormToken } from '../helpers/order-client';
import { type RoleProcess, spawnRole, waitForRole } from '../helpers/role-processes';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Tracing across processes, as deployed: one API and one worker as real child processes (the
// production entry points), each exporting over OTLP/HTTP to a tiny receiver in this test. One
// card order's spans, from both services, form one tree rooted at the API's POST /v1/orders.
// The batch processors' schedule delay is set far beyond the test, so the spans reach the
// receiver only when SIGTERM shuts each process down (its provider flushes on the way out).

/** The occurrence starts this soon, so the workflow (open until then) ends within the test. */
const SERVICE_STARTS_IN_MS = 12_000;

interface ReceivedSpan {
  service: string;
  traceId: string;
  spanId: string;
  parentSpanId: string;
  name: string;
  kind: number;
}

interface Receiver {
  url: string;
  spans: ReceivedSpan[];
  requests: number;
  close(): Promise<void>;
}

interface OtlpAttribute {
  key: string;
  value: { stringValue?: string };
}
interface OtlpTraces {
  resourceSpans?: {
    resource?: { attributes?: OtlpAttribute[] };
    scopeSpans?: {
      spans?: { traceId: string; spanId: string; parentSpanId?: string; name: string; kind: number }[];
    }[];
  }[];
}

/** An OTLP/HTTP collector for traces, JSON encoding (what exporter-trace-otlp-http sends). */
async function startReceiver(): Promise<Receiver> {
  const port = await findFreePort();
  const receiver: Receiver = { url: `http://127.0.0.1:${port}`, spans: [], requests: 0, close: async () => {} };
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    if (req.method !== 'POST' || req.url !== '/v1/traces') {
      res.writeHead(404).end();
      return;
    }
    let raw = Buffer.concat(chunks);
    if (req.headers['content-encoding'] === 'gzip') raw = gunzipSync(raw);
    if (!String(req.headers['content-type']).startsWith('application/json')) {
      res.writeHead(415).end();
      return;
    }
    receiver.requests += 1;
    const body = JSON.parse(raw.toString()) as OtlpTraces;
    for (const resourceSpans of body.resourceSpans ?? []) {
      const service =
        resourceSpans.resource?.attributes?.find((a) => a.key === 'service.name')?.value.stringValue ?? '?';
      for (const scope of resourceSpans.scopeSpans ?? []) {
        for (const span of scope.spans ?? []) {
          receiver.spans.push({
            service,
            traceId: span.traceId,
            spanId: span.spanId,
            parentSpanId: span.parentSpanId ?? '',
            name: span.name,
            kind: span.kind,
          });
        }
      }
    }
    res.writeHead(200, { 'Content-Type': 'application/json' }).end('{}');
  });
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', () => resolve()));
  receiver.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return receiver;
}

let database: TestDatabase;
let mailDir: string;
let sink: SmtpSink;
let receiver: Receiver;
let connection: Connection;
let temporal: Client;
let tenant: TestTenant;
let productId: string;
let apiUrl: string;
let api: RoleProcess;
let worker: RoleProcess;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function answers(url: string, status: number): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3_000) })).status === status;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  database = await createTestDatabase(inject('adminDatabaseUrl'));
  mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-tracing-mail-'));
  sink = await startSmtpSink({ port: await findFreePort(), dir: mailDir });
  receiver = await startReceiver();
  const port = await findFreePort();
  apiUrl = `http://127.0.0.1:${port}`;
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `tracing-${database.name}`,
    SMTP_URL: sink.url,
    PUBLIC_BASE_URL: apiUrl,
    DB_POOL_MAX: '5',
    DEV_ROUTES: 'false',
    MAIL_SINK_DIR: '',
    LOG_LEVEL: 'warn',
    WORKER_METRICS_PORT: '0',
    WORKER_TEMPORAL_METRICS_PORT: '0',
    OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
    // exporter-trace-otlp-http sends JSON (the receiver above reads it); uncompressed.
    OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
    OTEL_EXPORTER_OTLP_COMPRESSION: 'none',
    // Nothing exported on the batch timer during the test: only the flush at shutdown.
    OTEL_BSP_SCHEDULE_DELAY: '600000',
  };
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT', 'OTEL_EXPORTER_OTLP_HEADERS', 'OTEL_RESOURCE_ATTRIBUTES']) {
    delete env[name];
  }
  // info for the worker: it logs "worker running" once it polls (after bundling its workflows).
  worker = spawnRole('worker', 'activities/worker.ts', { ...env, LOG_LEVEL: 'info' });
  api = spawnRole('api', 'api/server.ts', { ...env, PORT: String(port) });
  await Promise.all([
    waitForRole(worker, () => worker.output().includes('"worker running"'), 150_000),
    waitForRole(api, () => answers(`${apiUrl}/ready`, 200), 60_000),
  ]);

  tenant = await createTenant(database.db);
  productId = await createProduct(database.db, tenant.id, { price: 50_000, vatRateBp: 2500 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection, namespace: 'default' });
}, 180_000);

afterAll(async () => {
  for (const role of [worker, api]) {
    if (role?.alive()) {
      role.child.kill('SIGKILL');
      await role.exited;
    }
  }
  await connection?.close();
  await receiver?.close();
  await sink?.stop();
  await database?.drop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

/** OTLP's SpanKind: SPAN_KIND_SERVER. */
const SERVER = 2;

describe('tracing across processes (API and worker apart, OTLP/HTTP)', () => {
  it("one order's spans from order-api and order-worker form one tree rooted at POST /v1/orders", async () => {
    const started = Date.now();
    const occurrenceId = await createOccurrence(database.db, tenant.id, productId, {
      capacity: 5,
      startsInDays: SERVICE_STARTS_IN_MS / 86_400_000,
    });
    const headers = { 'X-API-Key': tenant.apiKey, 'Content-Type': 'application/json' };
    const placed = await fetch(`${apiUrl}/v1/orders`, {
      method: 'POST',
      headers: { ...headers, 'Idempotency-Key': 'tracing-processes-1' },
      body: JSON.stringify({
        payment_method: 'card',
        booker: { name: 'Jane Doe', email: 'jane@example.com' },
        lines: [
          { occurrence_id: occurrenceId, participants: [{ firstname: 'J', lastname: 'D', email: 'j@example.com' }] },
        ],
      }),
    });
    const order = await jsonOf(placed);
    expect(placed.status, JSON.stringify(order)).toBe(201);

    // The sandbox payment page, as a browser submits it.
    const redirectUrl: string = order.payment.redirect_url;
    const page = await fetch(redirectUrl);
    expect(page.status).toBe(200);
    const paid = await fetch(redirectUrl, {
      method: 'POST',
      headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        action: 'pay',
        card_number: '4242424242424242',
        csrf_token: paymentFormToken(await page.text()),
      }).toString(),
      redirect: 'manual',
    });
    expect(paid.status).toBe(303);

    const until = Date.now() + 30_000;
    for (;;) {
      const url = `${apiUrl}/v1/orders/${order.id}?wait_for=completed&timeout=5s`;
      const body = await jsonOf(await fetch(url, { headers }));
      if (body.status === 'completed') break;
      if (Date.now() > until) throw new Error(`order not completed: ${JSON.stringify(body)}`);
    }
    // The workflow ends when the service starts; its RunWorkflow span ends then (in the worker).
    const { workflow_id: workflowId } = await database.db
      .selectFrom('orders')
      .select('workflow_id')
      .where('id', '=', order.id)
      .executeTakeFirstOrThrow();
    await temporal.workflow.getHandle(workflowId).result();
    await sleep(500);
    const exportedBeforeShutdown = receiver.spans.length;

    // Graceful stop: each process flushes its batched spans as it shuts down.
    const stopping = Date.now();
    api.child.kill('SIGTERM');
    worker.child.kill('SIGTERM');
    const [apiExit, workerExit] = await Promise.all([api.exited, worker.exited]);
    expect(apiExit.code, api.output().slice(-3000)).toBe(0);
    expect(workerExit.code, worker.output().slice(-3000)).toBe(0);
    const stoppedIn = Math.max(apiExit.at, workerExit.at) - stopping;

    const request = receiver.spans.find((s) => s.name === 'POST /v1/orders' && s.kind === SERVER);
    expect(request, `no POST /v1/orders server span among ${receiver.spans.length}`).toBeDefined();
    expect(request!.service).toBe('order-api');
    const trace = receiver.spans.filter((s) => s.traceId === request!.traceId);
    const services = new Map<string, number>();
    for (const s of trace) services.set(s.service, (services.get(s.service) ?? 0) + 1);
    expect([...services.keys()].sort()).toEqual(['order-api', 'order-worker']);

    const names = trace.map((s) => `${s.service}:${s.name}`);
    expect(names).toEqual(
      expect.arrayContaining([
        'order-api:POST /v1/orders',
        'order-api:UpdateWithStartWorkflow:submit',
        'order-worker:HandleUpdate:submit',
        'order-worker:StartActivity:intakeOrder',
        'order-worker:RunActivity:intakeOrder',
        'order-worker:RunWorkflow:orderWorkflow',
      ]),
    );

    // One tree: the request (no parent: the client sent no traceparent) is the only root, and
    // every other span's parent is among the spans collected from the two processes.
    expect(request!.parentSpanId).toBe('');
    const byId = new Map(trace.map((s) => [s.spanId, s]));
    expect(byId.size).toBe(trace.length);
    const orphans = trace.filter((s) => s !== request && !byId.has(s.parentSpanId));
    expect(orphans.map((s) => `${s.service}:${s.name}`)).toEqual([]);
    const ancestors = (span: ReceivedSpan) => {
      const chain: ReceivedSpan[] = [];
      for (let p = byId.get(span.parentSpanId); p; p = byId.get(p.parentSpanId)) chain.push(p);
      return chain;
    };
    const intake = trace.find((s) => s.service === 'order-worker' && s.name === 'RunActivity:intakeOrder')!;
    const intakeChain = ancestors(intake);
    expect(intakeChain.at(-1)).toBe(request);
    // Crossed from the worker into the API on the way up: the Temporal headers carried the context.
    expect(intakeChain.map((s) => `${s.service}:${s.name}`)).toEqual(
      expect.arrayContaining(['order-api:UpdateWithStartWorkflow:submit', 'order-worker:StartActivity:intakeOrder']),
    );
    for (const span of trace) if (span !== request) expect(ancestors(span).at(-1)).toBe(request);
    // The activities after payment run under the workflow span.
    const afterPayment = trace.filter(
      (s) => s.name.startsWith('RunActivity:') && ancestors(s).some((a) => a.name === 'RunWorkflow:orderWorkflow'),
    );
    expect(afterPayment.length).toBeGreaterThan(0);

    const perService = [...services.entries()]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
    console.log(
      `[tracing-processes] trace ${request!.traceId}: ${trace.length} spans (${perService}), one root ` +
        `POST /v1/orders, RunActivity:intakeOrder ${intakeChain.length} levels below it; ` +
        `${receiver.spans.length} spans in ${receiver.requests} OTLP requests, ${exportedBeforeShutdown} before ` +
        `SIGTERM; both processes exited 0 in ${(stoppedIn / 1000).toFixed(1)} s; ` +
        `order to shutdown ${((stopping - started) / 1000).toFixed(1)} s`,
    );
  }, 90_000);
});
