import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Db } from '../db/database';
import {
  loadOrderMetricFacts,
  loadWorkerGaugeFacts,
  type OrderMetricFacts,
  type WorkerGaugeFacts,
} from '../db/queries/metrics';

// Every Prometheus series of ours, in one place (README "Metrics"). Two registries, one per role:
// the API serves `apiRegistry` on GET /metrics, the worker `workerRegistry` on its metrics port
// (WORKER_METRICS_PORT). A fact is counted in the process where it happens; callers make one
// thin call (record*) and never touch prom-client themselves.

export const apiRegistry = new Registry();
export const workerRegistry = new Registry();

// Seconds, from a fast request to the 30 s request deadline.
const REQUEST_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
// Seconds, from an instant card payment to an invoice paid weeks later.
const ORDER_AGE_BUCKETS = [1, 5, 15, 60, 300, 900, 3600, 4 * 3600, 86400, 7 * 86400, 30 * 86400];

// ── API ─────────────────────────────────────────────────────────────────────────────────────────

const httpRequests = new Counter({
  name: 'http_requests_total',
  help: 'API requests answered, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  registers: [apiRegistry],
});
const httpRequestDuration = new Histogram({
  name: 'http_request_duration_seconds',
  help: 'API request duration until the answer, by method, route template and status',
  labelNames: ['method', 'route', 'status'] as const,
  buckets: REQUEST_BUCKETS,
  registers: [apiRegistry],
});
const ordersStarted = new Counter({
  name: 'orders_started_total',
  help: 'Orders taken by POST /v1/orders (201, replays not counted), by payment method',
  labelNames: ['payment_method'] as const,
  registers: [apiRegistry],
});
const webhookDeliveries = new Counter({
  name: 'payment_webhook_deliveries_total',
  help: 'Payment webhook deliveries: result received (a new event), duplicate (a repeat) or rejected (4xx)',
  labelNames: ['provider', 'result'] as const,
  registers: [apiRegistry],
});

// ── Worker ──────────────────────────────────────────────────────────────────────────────────────

const ordersEnded = {
  completed: new Counter({
    name: 'orders_completed_total',
    help: 'Orders completed, by payment method',
    labelNames: ['payment_method'] as const,
    registers: [workerRegistry],
  }),
  expired: new Counter({
    name: 'orders_expired_total',
    help: 'Orders expired unpaid, by payment method',
    labelNames: ['payment_method'] as const,
    registers: [workerRegistry],
  }),
  cancelled: new Counter({
    name: 'orders_cancelled_total',
    help: 'Orders cancelled in full, by payment method',
    labelNames: ['payment_method'] as const,
    registers: [workerRegistry],
  }),
};
const timeToPayment = new Histogram({
  name: 'order_time_to_payment_seconds',
  help: 'From the order’s creation to its payment being accepted, by payment method',
  labelNames: ['payment_method'] as const,
  buckets: ORDER_AGE_BUCKETS,
  registers: [workerRegistry],
});
const timeToCompletion = new Histogram({
  name: 'order_time_to_completion_seconds',
  help: 'From the order’s creation to its completion, by payment method',
  labelNames: ['payment_method'] as const,
  buckets: ORDER_AGE_BUCKETS,
  registers: [workerRegistry],
});
const payments = new Counter({
  name: 'payments_total',
  help: 'Payment outcomes recorded: succeeded, failed, cancelled, amount_mismatch (succeeded but parked)',
  labelNames: ['provider', 'outcome'] as const,
  registers: [workerRegistry],
});
const refunds = new Counter({
  name: 'refunds_total',
  help: 'Provider refunds: refunded or refused',
  labelNames: ['provider', 'outcome'] as const,
  registers: [workerRegistry],
});

// Gauges read from PostgreSQL at scrape time, one query per scrape for all three, summed over
// the workers of this process (one in production; tests may start several).
const gaugeSources = new Set<Db>();
let gaugeFacts: Promise<WorkerGaugeFacts | undefined> | undefined;

function currentGaugeFacts(): Promise<WorkerGaugeFacts | undefined> {
  gaugeFacts ??= (async () => {
    if (gaugeSources.size === 0) return undefined;
    const all = await Promise.all([...gaugeSources].map((db) => loadWorkerGaugeFacts(db)));
    return {
      outboxPending: all.reduce((n, f) => n + f.outboxPending, 0),
      oldestPendingAgeSeconds: Math.max(0, ...all.map((f) => f.oldestPendingAgeSeconds)),
      seatsHeld: all.reduce((n, f) => n + f.seatsHeld, 0),
    };
  })()
    // A scrape while PostgreSQL is down still answers: the gauges keep their last values.
    .catch(() => undefined)
    .finally(() => {
      gaugeFacts = undefined;
    });
  return gaugeFacts;
}

function dbGauge(name: string, help: string, pick: (facts: WorkerGaugeFacts) => number): Gauge {
  return new Gauge({
    name,
    help,
    registers: [workerRegistry],
    async collect() {
      const facts = await currentGaugeFacts();
      if (facts) this.set(pick(facts));
    },
  });
}

dbGauge('email_outbox_pending', 'E-mails in the outbox not sent yet (status pending)', (f) => f.outboxPending);
dbGauge(
  'email_outbox_oldest_pending_age_seconds',
  'Age of the oldest e-mail not sent yet (0 when none waits)',
  (f) => f.oldestPendingAgeSeconds,
);
dbGauge('seats_held', 'Seats held by orders that are not booked or released yet', (f) => f.seatsHeld);

/** The worker's database, read by the gauges on scrape; the returned function stops that. */
export function addWorkerGaugeSource(db: Db): () => void {
  gaugeSources.add(db);
  return () => gaugeSources.delete(db);
}

// Process metrics (CPU, memory, event loop, GC), once per registry and only in a process that
// serves it.
const withDefaults = new WeakSet<Registry>();
function ensureDefaultMetrics(registry: Registry): Registry {
  if (!withDefaults.has(registry)) {
    withDefaults.add(registry);
    collectDefaultMetrics({ register: registry });
  }
  return registry;
}

/** The API's registry with the process metrics, for GET /metrics. */
export function apiMetrics(): Registry {
  return ensureDefaultMetrics(apiRegistry);
}

// ── Recording (thin calls where the facts happen) ──────────────────────────────────────────────

export function recordHttpRequest(method: string, route: string, status: number, seconds: number): void {
  const labels = { method, route, status: String(status) };
  httpRequests.inc(labels);
  httpRequestDuration.observe(labels, seconds);
}

export function recordOrderStarted(paymentMethod: string): void {
  ordersStarted.inc({ payment_method: paymentMethod });
}

export function recordWebhookDelivery(provider: string, result: 'received' | 'duplicate' | 'rejected'): void {
  webhookDeliveries.inc({ provider, result });
}

export function recordPayment(provider: string, outcome: string): void {
  payments.inc({ provider, outcome });
}

export function recordRefund(provider: string, outcome: 'refunded' | 'refused'): void {
  refunds.inc({ provider, outcome });
}

/**
 * An order reached paid, completed, expired or cancelled (the caller counts each transition
 * once). Reads its payment method and age from PostgreSQL; metrics never fail the caller.
 */
export async function recordOrderTransition(
  db: Db,
  orderId: string,
  transition: 'paid' | 'completed' | 'expired' | 'cancelled',
  /** Read by the write that made the transition, when it could: then no read of its own. */
  known?: OrderMetricFacts,
): Promise<void> {
  try {
    const facts = known ?? (await loadOrderMetricFacts(db, orderId));
    if (!facts) return;
    const labels = { payment_method: facts.paymentMethod };
    if (transition === 'paid') timeToPayment.observe(labels, facts.ageSeconds);
    else ordersEnded[transition].inc(labels);
    if (transition === 'completed') timeToCompletion.observe(labels, facts.ageSeconds);
    // An invoice order goes from invoiced to completed when its invoice is paid: the same moment.
    if (transition === 'completed' && facts.paymentMethod === 'invoice')
      timeToPayment.observe(labels, facts.ageSeconds);
  } catch {
    // A metric is not worth a failed activity.
  }
}

// ── Serving ─────────────────────────────────────────────────────────────────────────────────────

export interface MetricsServer {
  port: number;
  close(): Promise<void>;
}

/** Serves a registry on GET /metrics (port 0: any free port; the bound one is returned). */
export async function serveMetrics(registry: Registry, port: number, host = '0.0.0.0'): Promise<MetricsServer> {
  ensureDefaultMetrics(registry);
  const server: Server = createServer((req, res) => {
    if (req.method !== 'GET' || (req.url ?? '/').split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found: GET /metrics\n');
      return;
    }
    registry.metrics().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (error: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(error)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}
