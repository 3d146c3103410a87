import path from 'node:path';
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Db } from '../db/database';
import type { Logger } from '../runtime/logger';
import { createActivities } from '.';
import { createDefaultPaymentProviders } from '../payments/provider-registry';
import { addWorkerGaugeSource, serveMetrics, workerRegistry } from '../runtime/metrics';
import { createSmtpTransport, startEmailDispatcher, tenantEmailFrom } from './notifications/outbox';
import { startWebhookDispatcher } from './notifications/webhook-dispatcher';

export interface OrderWorkerOptions {
  db: Db;
  temporalAddress: string;
  namespace: string;
  taskQueue: string;
  smtpUrl: string;
  publicBaseUrl: string;
  logger: Logger;
  /** Prebuilt workflow bundle (tests share one); else the worker bundles workflows/ itself. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** Serve the worker's Prometheus registry on this port (WORKER_METRICS_PORT; 0 = any free port); absent = none. */
  metricsPort?: number;
  /** WORKER_MAX_CACHED_WORKFLOWS; absent = 500. */
  maxCachedWorkflows?: number;
  /** Tracing (runtime/tracing.ts): Worker.create's interceptors and sinks; absent when tracing is off. */
  interceptors?: WorkerOptions['interceptors'];
  sinks?: WorkerOptions['sinks'];
}

export interface RunningOrderWorker {
  worker: Worker;
  /** Resolves when the worker has stopped (after shutdown() or a fatal error). */
  done: Promise<void>;
  shutdown(): Promise<void>;
  /** The bound metrics port, when metricsPort was given. */
  metricsPort?: number;
}

export function workflowsPath(): string {
  return path.resolve(import.meta.dirname, '../workflows/index.ts');
}

/** Builds the worker (workflows + activities + email and webhook dispatchers) and starts it. */
export async function startOrderWorker(options: OrderWorkerOptions): Promise<RunningOrderWorker> {
  // First, so a port in use stops the start before anything else is opened.
  const metrics =
    options.metricsPort === undefined ? undefined : await serveMetrics(workerRegistry, options.metricsPort);
  const mailTransport = createSmtpTransport(options.smtpUrl);
  // One From per tenant, as the fast path in queueOrderEmail writes it (the tenant's email_from).
  const from = tenantEmailFrom(options.db);
  const connection = await NativeConnection.connect({ address: options.temporalAddress });
  const deps = {
    db: options.db,
    publicBaseUrl: options.publicBaseUrl,
    mailTransport,
    paymentProviders: createDefaultPaymentProviders({ db: options.db, publicBaseUrl: options.publicBaseUrl }),
    // Subscriptions start their workflows and pay renewals through the same Updates the API sends.
    temporal: new Client({ connection, namespace: options.namespace }),
  };
  const worker = await Worker.create({
    connection,
    namespace: options.namespace,
    taskQueue: options.taskQueue,
    activities: createActivities(deps),
    ...(options.workflowBundle ? { workflowBundle: options.workflowBundle } : { workflowsPath: workflowsPath() }),
    // Activities finish their current attempt on SIGTERM; Temporal retries anything cut off.
    shutdownGraceTime: '20 seconds',
    // Orders wait minutes for payment: a bounded sticky cache keeps a worker with 10,000 waiting
    // orders under 1 GiB (955 MiB at its peak with 500; 1,134 MiB with 1000); an evicted one
    // replays its short history when its next event comes (docs/performance.md, "orders waiting").
    maxCachedWorkflows: options.maxCachedWorkflows ?? 500,
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    ...(options.sinks ? { sinks: options.sinks } : {}),
  });
  const dispatcher = startEmailDispatcher(options.db, mailTransport, { from, logger: options.logger });
  // Outbound webhooks: order_events fanned out to tenants' endpoints, delivered at least once.
  const webhooks = startWebhookDispatcher(options.db, { logger: options.logger });
  // Metrics (runtime/metrics.ts): the gauges read this database on scrape.
  const removeGaugeSource = addWorkerGaugeSource(options.db);
  const done = worker.run().finally(async () => {
    await metrics?.close();
    removeGaugeSource();
    await dispatcher.stop();
    await webhooks.stop();
    mailTransport.close();
    await connection.close();
  });
  return {
    worker,
    done,
    metricsPort: metrics?.port,
    async shutdown() {
      if (worker.getState() === 'RUNNING') worker.shutdown();
      await done;
    },
  };
}
