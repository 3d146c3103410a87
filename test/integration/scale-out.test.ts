import { mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client, Connection } from '@temporalio/client';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { findFreePort } from '../../runtime/free-port';
import { readSinkMessages, type SmtpSink, startSmtpSink } from '../../runtime/smtp-sink';
import { createOccurrence, createProduct, createTenant, type TestTenant } from '../helpers/fixtures';
import { paymentFormToken } from '../helpers/order-client';
import { type Balancer, type RoleProcess, spawnRole, startBalancer, waitForRole } from '../helpers/role-processes';
import { createTestDatabase, type TestDatabase } from '../helpers/test-database';

// Several processes, proven: two APIs and three workers as real child processes (the production
// entry points) on one Temporal server, one PostgreSQL and one task queue. Clients place card and
// invoice orders through both APIs at once; mid-load one worker and one API are SIGKILLed.
// Every acknowledged order completes exactly once, the numbers stay gapless, and the killed API's
// clients get a connection error at once (and go on with the same Idempotency-Key at the other
// API), never a hang. Then a worker is drained with SIGTERM while its activities run.
// PUBLIC_BASE_URL of every process is a small load balancer over both APIs (payment pages and the
// sandbox provider's webhooks go through it, as they would through a real one).

const ORDERS = 48;
const CONCURRENCY = 12;
/** Acknowledged orders before worker 1 and API b are killed. */
const KILL_AFTER_ACKS = 14;
const REQUEST_TIMEOUT_MS = 10_000;
/** activities/worker-runtime.ts shutdownGraceTime. */
const WORKER_GRACE_MS = 20_000;
/** PendingActivityState.PENDING_ACTIVITY_STATE_STARTED (temporal.api.enums.v1). */
const ACTIVITY_STARTED = 2;

interface Api {
  name: string;
  port: number;
  url: string;
  process: RoleProcess;
}

let database: TestDatabase;
let mailDir: string;
let sink: SmtpSink;
let balancer: Balancer;
let connection: Connection;
let temporal: Client;
let tenant: TestTenant;
let occurrenceId: string;
let baseEnv: NodeJS.ProcessEnv;
const apis: Api[] = [];
const workers: RoleProcess[] = [];
/** Seconds from spawn to "worker running" (3 bundling at once) and to the APIs' 200 on /ready. */
const startup = { workers: 0, apis: 0 };

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function startWorker(name: string): Promise<RoleProcess> {
  // info: the worker logs "worker running" once it polls.
  const worker = spawnRole(name, 'activities/worker.ts', { ...baseEnv, LOG_LEVEL: 'info' });
  workers.push(worker);
  await waitForRole(worker, () => worker.output().includes('"worker running"'), 150_000);
  return worker;
}

async function answers(url: string, status: number): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(3_000) })).status === status;
  } catch {
    return false;
  }
}

beforeAll(async () => {
  database = await createTestDatabase(inject('adminDatabaseUrl'));
  mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-scale-mail-'));
  sink = await startSmtpSink({ port: await findFreePort(), dir: mailDir });
  const ports = [await findFreePort(), await findFreePort()];
  balancer = await startBalancer(ports.map((port, i) => ({ name: `api-${'ab'[i]}`, port })));
  baseEnv = {
    ...process.env,
    DATABASE_URL: database.url,
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    TEMPORAL_NAMESPACE: 'default',
    TEMPORAL_TASK_QUEUE: `scale-${database.name}`,
    SMTP_URL: sink.url,
    PUBLIC_BASE_URL: balancer.url,
    // 5 processes share the machine's PostgreSQL (and other test files do too).
    DB_POOL_MAX: '5',
    REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
    DEV_ROUTES: 'false',
    MAIL_SINK_DIR: '',
    LOG_LEVEL: 'warn',
    // Fixed metrics ports (9464, 9465 by default) would collide between workers on one host.
    WORKER_METRICS_PORT: '0',
    WORKER_TEMPORAL_METRICS_PORT: '0',
  };
  // Each worker bundles the workflows at start, as in production.
  const spawned = Date.now();
  await Promise.all(['worker-1', 'worker-2', 'worker-3'].map((name) => startWorker(name)));
  workers.sort((a, b) => a.name.localeCompare(b.name));
  startup.workers = (Date.now() - spawned) / 1000;
  const apisSpawned = Date.now();
  for (const [i, port] of ports.entries()) {
    const name = `api-${'ab'[i]}`;
    const process = spawnRole(name, 'api/server.ts', { ...baseEnv, PORT: String(port) });
    apis.push({ name, port, url: `http://127.0.0.1:${port}`, process });
  }
  for (const api of apis) await waitForRole(api.process, () => answers(`${api.url}/ready`, 200), 60_000);
  startup.apis = (Date.now() - apisSpawned) / 1000;

  tenant = await createTenant(database.db);
  const course = await createProduct(database.db, tenant.id, { price: 20_000, name: 'Course' });
  occurrenceId = await createOccurrence(database.db, tenant.id, course, { capacity: 1_000 });
  connection = await Connection.connect({ address: inject('temporalAddress') });
  temporal = new Client({ connection, namespace: 'default' });
}, 240_000);

afterAll(async () => {
  for (const role of [...workers, ...apis.map((a) => a.process)]) {
    if (role.alive()) {
      role.child.kill('SIGKILL');
      await role.exited;
    }
  }
  await connection?.close();
  await balancer?.close();
  await sink?.stop();
  await database?.drop();
  if (mailDir) rmSync(mailDir, { recursive: true, force: true });
});

// ---- an HTTP client that records how calls to a dead API fail ----

interface Failure {
  api: string;
  what: string;
  /** From the request's start to its failure. */
  ms: number;
  startedAt: number;
  failedAt: number;
  code: string;
  timedOut: boolean;
}

class Unreachable extends Error {}

function errorCode(error: unknown): string {
  const cause = (error as { cause?: { code?: unknown; name?: unknown } }).cause;
  if (typeof cause?.code === 'string') return cause.code;
  if (typeof cause?.name === 'string') return cause.name;
  return (error as Error).name;
}

async function call(
  failures: Failure[],
  api: Api,
  method: string,
  urlPath: string,
  options: { body?: unknown; key?: string; timeoutMs?: number } = {},
) {
  const headers: Record<string, string> = { 'X-API-Key': tenant.apiKey };
  if (options.body !== undefined) headers['Content-Type'] = 'application/json';
  if (options.key) headers['Idempotency-Key'] = options.key;
  const started = performance.now();
  const startedAt = Date.now();
  try {
    const response = await fetch(`${api.url}${urlPath}`, {
      method,
      headers,
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
      signal: AbortSignal.timeout(options.timeoutMs ?? 15_000),
    });
    const text = await response.text();
    return { status: response.status, json: text ? JSON.parse(text) : undefined };
  } catch (error) {
    const failure = {
      api: api.name,
      what: `${method} ${urlPath.replace(/\?.*/, '')}`,
      ms: Math.round(performance.now() - started),
      startedAt,
      failedAt: Date.now(),
      code: errorCode(error),
      timedOut: (error as Error).name === 'TimeoutError',
    };
    failures.push(failure);
    throw new Unreachable(`${failure.what} at ${api.name}: ${failure.code} after ${failure.ms} ms`);
  }
}

/** What a browser does on the sandbox page (through the public address, i.e. the balancer). */
async function payOnPage(redirectUrl: string): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      const page = await fetch(redirectUrl, { signal: AbortSignal.timeout(15_000) });
      const html = await page.text();
      if (page.status === 200) {
        const form = new URLSearchParams({
          action: 'pay',
          card_number: '4242424242424242',
          csrf_token: paymentFormToken(html),
        });
        const submitted = await fetch(redirectUrl, {
          method: 'POST',
          headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
          body: form.toString(),
          redirect: 'manual',
          signal: AbortSignal.timeout(15_000),
        });
        if (submitted.status === 303) return;
      }
    } catch (error) {
      if (attempt >= 5) throw error;
    }
    if (attempt >= 5) throw new Error(`payment page ${redirectUrl} did not take the payment`);
    await sleep(500);
  }
}

interface Job {
  index: number;
  method: 'card' | 'invoice';
  key: string;
  api: Api;
  ackedBy?: string;
  orderId?: string;
  moved: boolean;
  /** From the first request to `completed`. */
  ms?: number;
}

/** Each calling its API; on a connection error the client goes on at the other API. */
function orderDriver(failures: Failure[], onAck: () => void) {
  async function withApi<T>(job: Job, fn: (api: Api) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await fn(job.api);
      } catch (error) {
        if (!(error instanceof Unreachable) || attempt >= 4) throw error;
        job.api = apis.find((a) => a !== job.api)!;
        job.moved = true;
      }
    }
  }

  async function place(job: Job) {
    const body = {
      payment_method: job.method,
      booker: { name: `Buyer ${job.index}`, email: `buyer${job.index}@example.com` },
      lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
    };
    const until = Date.now() + 60_000;
    for (;;) {
      const answer = await withApi(job, (api) => call(failures, api, 'POST', '/v1/orders', { body, key: job.key }));
      if (answer.status === 201) {
        job.orderId = answer.json.id;
        job.ackedBy = job.api.name;
        onAck();
        return answer.json;
      }
      // The same key while the killed API's request still holds it (409), or a passing 503.
      if ((answer.status === 409 || answer.status === 503) && Date.now() < until) {
        await sleep(500);
        continue;
      }
      throw new Error(`order ${job.index}: ${answer.status} ${JSON.stringify(answer.json)}`);
    }
  }

  async function waitForStatus(job: Job, status: string) {
    const until = Date.now() + 100_000;
    for (;;) {
      const answer = await withApi(job, (api) =>
        call(failures, api, 'GET', `/v1/orders/${job.orderId}?wait_for=${status}&timeout=5s`),
      );
      if (answer.status === 200 && answer.json.status === status) return answer.json;
      if (Date.now() > until) throw new Error(`order ${job.index} not ${status}: ${JSON.stringify(answer.json)}`);
    }
  }

  async function markInvoicePaid(job: Job, invoiceId: string) {
    for (let attempt = 1; ; attempt++) {
      const answer = await withApi(job, (api) => call(failures, api, 'PUT', `/v1/invoices/${invoiceId}/paid`));
      if (answer.status === 204) return;
      if (attempt >= 10) throw new Error(`invoice of order ${job.index}: ${answer.status}`);
      await sleep(500);
    }
  }

  return async function run(job: Job): Promise<void> {
    const started = Date.now();
    const placed = await place(job);
    if (job.method === 'card') {
      await payOnPage(placed.payment.redirect_url);
    } else {
      const invoiced = await waitForStatus(job, 'invoiced');
      await markInvoicePaid(job, invoiced.documents.find((d: { kind: string }) => d.kind === 'invoice').id);
    }
    await waitForStatus(job, 'completed');
    job.ms = Date.now() - started;
  };
}

async function runPool<T>(items: T[], concurrency: number, fn: (item: T) => Promise<void>): Promise<void> {
  const queue = [...items];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let item = queue.shift(); item !== undefined; item = queue.shift()) await fn(item);
    }),
  );
}

// ---- what Temporal recorded ----

interface HistoryFigures {
  activitiesByWorker: Map<string, number>;
  workflowTasksByWorker: Map<string, number>;
  activityStarts: { workflowId: string; name: string; worker: string; attempt: number; at: number }[];
  workflowTaskStarts: { workflowId: string; worker: string; at: number }[];
  timedOut: number;
  failed: number;
  unfinished: number;
}

function workerName(identity: string | null | undefined): string {
  const pid = Number(identity?.split('@')[0]);
  return workers.find((w) => w.pid === pid)?.name ?? String(identity);
}

/**
 * The histories once no activity is open any more: an order shows `completed` before its last
 * activity closes, and an activity whose attempt died with a SIGKILLed worker closes only when
 * its start-to-close timeout (30 s) lets Temporal retry it.
 */
async function settledHistoryFigures(workflowIds: string[], timeoutMs: number): Promise<HistoryFigures> {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const figures = await historyFigures(workflowIds);
    if (figures.unfinished === 0 || Date.now() > until) return figures;
    await sleep(500);
  }
}

async function historyFigures(workflowIds: string[]): Promise<HistoryFigures> {
  const figures: HistoryFigures = {
    activitiesByWorker: new Map(),
    workflowTasksByWorker: new Map(),
    activityStarts: [],
    workflowTaskStarts: [],
    timedOut: 0,
    failed: 0,
    unfinished: 0,
  };
  const bump = (map: Map<string, number>, key: string) => map.set(key, (map.get(key) ?? 0) + 1);
  for (const workflowId of workflowIds) {
    const { events } = await temporal.workflow.getHandle(workflowId).fetchHistory();
    const scheduled = new Map<string, string>();
    const closed = new Set<string>();
    for (const event of events ?? []) {
      const id = String(event.eventId);
      const at = Number(event.eventTime?.seconds ?? 0) * 1000 + Math.floor((event.eventTime?.nanos ?? 0) / 1e6);
      if (event.activityTaskScheduledEventAttributes) {
        scheduled.set(id, event.activityTaskScheduledEventAttributes.activityType?.name ?? '?');
      }
      const started = event.activityTaskStartedEventAttributes;
      if (started) {
        const worker = workerName(started.identity);
        bump(figures.activitiesByWorker, worker);
        const name = scheduled.get(String(started.scheduledEventId)) ?? '?';
        figures.activityStarts.push({ workflowId, name, worker, attempt: started.attempt ?? 0, at });
      }
      if (event.workflowTaskStartedEventAttributes) {
        const worker = workerName(event.workflowTaskStartedEventAttributes.identity);
        bump(figures.workflowTasksByWorker, worker);
        figures.workflowTaskStarts.push({ workflowId, worker, at });
      }
      const completed = event.activityTaskCompletedEventAttributes;
      if (completed) closed.add(String(completed.scheduledEventId));
      if (event.activityTaskTimedOutEventAttributes) figures.timedOut += 1;
      if (event.activityTaskFailedEventAttributes) figures.failed += 1;
    }
    figures.unfinished += [...scheduled.keys()].filter((id) => !closed.has(id)).length;
  }
  return figures;
}

const line = (map: Map<string, number>) =>
  [...map.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');

// ---- the tests ----

describe('two APIs and three workers as separate processes', () => {
  it('orders through both APIs while a worker and an API are SIGKILLed: each completes once, gapless', async () => {
    const failures: Failure[] = [];
    const [apiA, apiB] = apis as [Api, Api];
    const jobs: Job[] = Array.from({ length: ORDERS }, (_, index) => ({
      index,
      method: index % 4 < 2 ? 'card' : 'invoice',
      key: `scale-${index}`,
      api: index % 2 === 0 ? apiA : apiB,
      moved: false,
    }));
    let acks = 0;
    let killedAt = 0;
    let ackedAtKill = 0;
    const killed = { worker: workers[0]!, api: apiB };
    const started = Date.now();
    const run = orderDriver(failures, () => {
      acks += 1;
      if (acks >= KILL_AFTER_ACKS && killedAt === 0) {
        killedAt = Date.now();
        ackedAtKill = acks;
        killed.worker.child.kill('SIGKILL');
        killed.api.process.child.kill('SIGKILL');
      }
    });
    const load = runPool(jobs, CONCURRENCY, run);

    // A client arriving at the dead API: refused at once, not left waiting.
    await killed.api.process.exited.then(() => sleep(50));
    await sleep(200);
    const probeStarted = performance.now();
    const probe = await fetch(`${killed.api.url}/v1/orders`, { signal: AbortSignal.timeout(5_000) }).then(
      (response) => `answered ${response.status}`,
      (error: unknown) => error,
    );
    const probeMs = Math.round(performance.now() - probeStarted);
    expect(probe).toBeInstanceOf(TypeError);
    expect(errorCode(probe)).toBe('ECONNREFUSED');
    expect(probeMs).toBeLessThan(1_000);

    await load;
    const elapsed = (Date.now() - started) / 1000;
    await killed.worker.exited;
    expect(killedAt).toBeGreaterThan(0);

    // Clients of the killed API: connection refused or reset, fast; none ran into its timeout.
    // A request in flight at the kill fails when the process dies; one sent afterwards, at once.
    const waitedOnDeadApi = (f: Failure) => f.failedAt - Math.max(f.startedAt, killedAt);
    expect(failures.length).toBeGreaterThan(0);
    for (const failure of failures) {
      expect(failure.api, JSON.stringify(failure)).toBe(killed.api.name);
      expect(failure.timedOut, JSON.stringify(failure)).toBe(false);
      expect(failure.code, JSON.stringify(failure)).toMatch(/^(ECONNREFUSED|ECONNRESET|UND_ERR_SOCKET|EPIPE)$/);
      expect(waitedOnDeadApi(failure), JSON.stringify(failure)).toBeLessThan(2_000);
    }

    // Every acknowledged order, once: one order each, completed, numbers 1..N.
    const acked = new Set(jobs.map((j) => j.orderId));
    expect(acked.size).toBe(ORDERS);
    const orders = await database.db
      .selectFrom('orders')
      .select(['id', 'number', 'status', 'payment_method', 'workflow_id'])
      .where('tenant_id', '=', tenant.id)
      .execute();
    expect(orders).toHaveLength(ORDERS);
    expect(new Set(orders.map((o) => o.id))).toEqual(acked);
    expect(orders.filter((o) => o.status !== 'completed')).toEqual([]);
    expect(orders.map((o) => o.number).sort((a, b) => a - b)).toEqual(Array.from({ length: ORDERS }, (_, i) => i + 1));
    const counter = await database.db
      .selectFrom('tenants')
      .select('order_counter')
      .where('id', '=', tenant.id)
      .executeTakeFirstOrThrow();
    expect(counter.order_counter).toBe(ORDERS);

    // One document per order (a receipt for card, an invoice for invoice), one gapless series.
    const documents = await database.db
      .selectFrom('invoices')
      .select(['order_id', 'kind', 'number'])
      .where('tenant_id', '=', tenant.id)
      .execute();
    const methodOf = new Map(orders.map((o) => [o.id, o.payment_method]));
    expect(documents).toHaveLength(ORDERS);
    expect(new Set(documents.map((d) => d.order_id)).size).toBe(ORDERS);
    for (const d of documents) expect(d.kind).toBe(methodOf.get(d.order_id) === 'card' ? 'receipt' : 'invoice');
    const numbers = documents.map((d) => d.number).sort((a, b) => a - b);
    expect(numbers).toEqual(Array.from({ length: ORDERS }, (_, i) => numbers[0]! + i));

    // Mail: one receipt per order (and one invoice mail per invoice order), in the outbox and the sink.
    const invoiceOrders = orders.filter((o) => o.payment_method === 'invoice').length;
    const outbox = await (async () => {
      const until = Date.now() + 30_000;
      for (;;) {
        const rows = await database.db
          .selectFrom('email_outbox')
          .select(['order_id', 'kind', 'status'])
          .where('tenant_id', '=', tenant.id)
          .execute();
        // A worker killed after an order's completion committed, before its receipt was queued: the
        // retried completion queues it, so the wait is for every row to exist, not only to be sent.
        const complete =
          rows.filter((r) => r.kind === 'receipt').length === ORDERS &&
          rows.filter((r) => r.kind === 'invoice').length === invoiceOrders;
        if ((complete && rows.every((r) => r.status === 'sent')) || Date.now() > until) return rows;
        await sleep(250);
      }
    })();
    expect(outbox.filter((r) => r.status !== 'sent')).toEqual([]);
    const receiptRows = outbox.filter((r) => r.kind === 'receipt');
    expect(receiptRows).toHaveLength(ORDERS);
    expect(new Set(receiptRows.map((r) => r.order_id)).size).toBe(ORDERS);
    expect(outbox.filter((r) => r.kind === 'invoice')).toHaveLength(invoiceOrders);

    const messages = await readSinkMessages(mailDir);
    const receiptFiles = new Map<string, number>();
    for (const message of messages) {
      const match = message.messageId?.match(/^<receipt\.([0-9a-f-]{36})\./);
      if (match) receiptFiles.set(match[1]!, (receiptFiles.get(match[1]!) ?? 0) + 1);
    }
    expect(new Set(receiptFiles.keys())).toEqual(acked);
    // A worker killed between the SMTP server's "250 OK" and its commit sends that row again, with
    // the same Message-ID (receivers drop the repeat): at-least-once, visible as a repeated file.
    const repeatedMails = [...receiptFiles.values()].reduce((sum, n) => sum + n - 1, 0);
    expect(repeatedMails).toBeLessThanOrEqual(2);

    const loadEnded = Date.now();
    const history = await settledHistoryFigures(
      orders.map((o) => o.workflow_id),
      45_000,
    );
    expect(history.unfinished).toBe(0);
    const settledAfter = ((Date.now() - loadEnded) / 1000).toFixed(1);
    const retried = history.activityStarts
      .filter((s) => s.attempt > 1)
      .map((s) => `${s.name} attempt ${s.attempt} on ${s.worker}`);

    const perApi = new Map<string, number>();
    for (const job of jobs) perApi.set(job.ackedBy!, (perApi.get(job.ackedBy!) ?? 0) + 1);
    const codes = new Map<string, number>();
    for (const f of failures) codes.set(f.code, (codes.get(f.code) ?? 0) + 1);
    const durations = jobs.map((j) => j.ms!).sort((a, b) => a - b);
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    const killedAfter = ((killedAt - started) / 1000).toFixed(1);
    const slowestFailure = Math.max(...failures.map(waitedOnDeadApi));
    console.log(
      [
        `[scale-out] ${ORDERS} orders (${ORDERS - invoiceOrders} card, ${invoiceOrders} invoice) completed in ` +
          `${elapsed.toFixed(1)} s with ${CONCURRENCY} clients`,
        `started: 3 workers in ${startup.workers.toFixed(1)} s, 2 APIs ready in ${startup.apis.toFixed(1)} s`,
        `per order median ${seconds(durations[durations.length >> 1]!)}, max ${seconds(durations.at(-1)!)}`,
        `SIGKILL to ${killed.worker.name} and ${killed.api.name} after ${ackedAtKill} acks (${killedAfter} s)`,
        `201s per API: ${line(perApi)}`,
        `${jobs.filter((j) => j.moved).length} clients moved to ${apiA.name} after ${failures.length} failed calls ` +
          `(${line(codes)}; each at most ${slowestFailure} ms after the kill or its start)`,
        `probe of the dead API: ECONNREFUSED in ${probeMs} ms`,
        `activity tasks per worker: ${line(history.activitiesByWorker)}`,
        `workflow tasks per worker: ${line(history.workflowTasksByWorker)}`,
        `activities retried ${retried.length} (${retried.join(', ')}), finally timed out ${history.timedOut}`,
        `last activity closed ${settledAfter} s after the last order completed`,
        `order numbers 1..${ORDERS}, documents ${numbers[0]}..${numbers.at(-1)}`,
        `receipt mails ${receiptFiles.size} (+${repeatedMails} repeated), invoice mails ${invoiceOrders}`,
        `balancer: ${line(balancer.served)}`,
      ].join('; '),
    );
  }, 180_000);

  it('a worker drained with SIGTERM finishes its running activities, exits in its grace, loses nothing', async () => {
    const api = apis.find((a) => a.process.alive())!;
    const failures: Failure[] = [];
    // A rolling deploy: the new worker first, then the old one is drained.
    const replacement = await startWorker('worker-4');
    // Hold the document counter so every invoice order's bookAndInvoiceOrder is running (waiting
    // for the lock in its transaction) when SIGTERM comes.
    const year = String(new Date().getUTCFullYear());
    await database.db
      .insertInto('invoice_series')
      .values({ tenant_id: tenant.id, series: year, prefix: `${year}-` })
      .onConflict((oc) => oc.columns(['tenant_id', 'series']).doNothing())
      .execute();
    const locker = new pg.Client({ connectionString: database.url });
    await locker.connect();
    await locker.query('BEGIN');
    await locker.query('SELECT 1 FROM invoice_series WHERE tenant_id = $1 FOR UPDATE', [tenant.id]);
    const count = 9;
    const jobs: Job[] = Array.from({ length: count }, (_, i) => ({
      index: 1_000 + i,
      method: 'invoice',
      key: `drain-${i}`,
      api,
      moved: false,
    }));
    let victim: RoleProcess | undefined;
    let sigtermAt = 0;
    let runningOnVictim = 0;
    let stillDrainingAfter2s = false;
    const running = new Map<string, string>();
    try {
      // Placement only; what follows runs after the lock is released.
      const placed = await Promise.all(
        jobs.map(async (job) => {
          const answer = await call(failures, api, 'POST', '/v1/orders', {
            key: job.key,
            body: {
              payment_method: 'invoice',
              booker: { email: `drain${job.index}@example.com` },
              lines: [{ occurrence_id: occurrenceId, quantity: 1 }],
            },
          });
          expect(answer.status, JSON.stringify(answer.json)).toBe(201);
          job.orderId = answer.json.id;
          return answer.json as { id: string; number: number };
        }),
      );
      const workflowIds = placed.map((o) => `order-${tenant.slug}-${o.number}`);
      // Wait until every order's activity runs on some worker.
      const until = Date.now() + 30_000;
      while (running.size < count) {
        if (Date.now() > until) throw new Error(`activities running: ${running.size} of ${count}`);
        for (const workflowId of workflowIds) {
          const { raw } = await temporal.workflow.getHandle(workflowId).describe();
          const activity = raw.pendingActivities?.find((a) => a.state === ACTIVITY_STARTED);
          if (activity) running.set(workflowId, workerName(activity.lastWorkerIdentity));
        }
        await sleep(200);
      }
      // The old worker with the most running activities is drained.
      const perWorker = new Map<string, number>();
      for (const w of running.values()) perWorker.set(w, (perWorker.get(w) ?? 0) + 1);
      victim = workers
        .filter((w) => w.alive() && w !== replacement)
        .sort((a, b) => (perWorker.get(b.name) ?? 0) - (perWorker.get(a.name) ?? 0))[0]!;
      runningOnVictim = perWorker.get(victim.name) ?? 0;
      expect(runningOnVictim).toBeGreaterThan(0);
      sigtermAt = Date.now();
      victim.child.kill('SIGTERM');
      await sleep(2_000);
      // Still there: it waits for its activities instead of dropping them.
      stillDrainingAfter2s = victim.alive();
    } finally {
      await locker.query('COMMIT');
      await locker.end();
    }
    expect(stillDrainingAfter2s).toBe(true);
    const exit = await Promise.race([victim.exited, sleep(WORKER_GRACE_MS + 10_000).then(() => undefined)]);
    expect(exit, `${victim.name} still running:\n${victim.output().slice(-3000)}`).toBeDefined();
    const exitMs = exit!.at - sigtermAt;
    expect(exit!.code).toBe(0);
    expect(exitMs).toBeLessThan(WORKER_GRACE_MS);
    expect(victim.output()).toContain('"worker stopped"');

    // Every order goes on: invoiced, paid, completed, on the remaining workers.
    await Promise.all(
      jobs.map(async (job) => {
        const invoiced = await waitStatus(failures, job, 'invoiced');
        const invoiceId = invoiced.documents.find((d: { kind: string }) => d.kind === 'invoice').id;
        expect((await call(failures, api, 'PUT', `/v1/invoices/${invoiceId}/paid`)).status).toBe(204);
        await waitStatus(failures, job, 'completed');
      }),
    );
    expect(failures).toEqual([]);

    const orders = await database.db
      .selectFrom('orders')
      .select(['workflow_id', 'status'])
      .where(
        'id',
        'in',
        jobs.map((j) => j.orderId!),
      )
      .execute();
    expect(orders.map((o) => o.status)).toEqual(Array(count).fill('completed'));
    const history = await settledHistoryFigures(
      orders.map((o) => o.workflow_id),
      15_000,
    );
    // Nothing was cut off: no activity timed out or failed, none needed a second attempt, none is open.
    expect(history.timedOut).toBe(0);
    expect(history.failed).toBe(0);
    expect(history.unfinished).toBe(0);
    expect(history.activityStarts.filter((s) => s.attempt !== 1)).toEqual([]);
    // The activities running on it at SIGTERM finished there (their one attempt completed above);
    // it started nothing after SIGTERM: the rest of these orders ran on the other workers. Their
    // payments were recorded and completed in workflow tasks (as local activities, which run in
    // the worker that runs the task): at least one per order after SIGTERM, none on it.
    const onVictim = history.activityStarts.filter((s) => s.worker === victim!.name);
    const drained = onVictim.filter((s) => s.name === 'bookAndInvoiceOrder');
    expect(drained.length).toBe(runningOnVictim);
    expect(history.activityStarts.filter((s) => s.at > sigtermAt && s.worker === victim!.name)).toEqual([]);
    const tasksAfterwards = history.workflowTaskStarts.filter((s) => s.at > sigtermAt);
    expect(new Set(tasksAfterwards.map((s) => s.workflowId)).size).toBe(count);
    expect(tasksAfterwards.filter((s) => s.worker === victim!.name)).toEqual([]);
    const secondAttempts = history.activityStarts.filter((s) => s.attempt !== 1).length;
    console.log(
      [
        `[worker-drain] SIGTERM to ${victim.name} with ${runningOnVictim} of ${count} activities running on it ` +
          `(held by a lock for 2 s)`,
        `still draining 2 s later`,
        `exited ${exit!.code} ${(exitMs / 1000).toFixed(1)} s after SIGTERM (grace ${WORKER_GRACE_MS / 1000} s)`,
        `${count} orders completed`,
        `activity tasks per worker: ${line(history.activitiesByWorker)}`,
        `timed out ${history.timedOut}, failed ${history.failed}, second attempts ${secondAttempts}`,
      ].join('; '),
    );
  }, 120_000);
});

async function waitStatus(failures: Failure[], job: Job, status: string) {
  const until = Date.now() + 60_000;
  for (;;) {
    const answer = await call(failures, job.api, 'GET', `/v1/orders/${job.orderId}?wait_for=${status}&timeout=5s`);
    if (answer.status === 200 && answer.json.status === status) return answer.json;
    if (Date.now() > until) throw new Error(`order ${job.index} not ${status}: ${JSON.stringify(answer.json)}`);
  }
}
