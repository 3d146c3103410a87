import { mkdtempSync, rmSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { serveApi } from '../../api/serve-api';
import { Client, Connection } from '@temporalio/client';
import { inject } from 'vitest';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { startSandboxWebhookDelivery } from '../../payments/sandbox-webhook-queue';
import { startOrderWorker, type RunningOrderWorker } from '../../activities/worker-runtime';
import { createApp } from '../../api/app';
import { createOrderStatusListener } from '../../db/order-status-listener';
import { clearAuthCache } from '../../api/auth';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import type { Tracing } from '../../runtime/tracing';
import { readSinkMessages, type SinkMessage, startSmtpSink } from '../../runtime/smtp-sink';
import { temporalConnectionOptions } from '../../runtime/temporal-client';
import { createTestDatabase, type TestDatabase } from './test-database';
import type { AdmissionGate } from '../../api/admission';

// The SDK's INFO lines (worker state changes) would drown the test output.
try {
  Runtime.install({ logger: new DefaultLogger((process.env.TEST_TEMPORAL_LOG_LEVEL as 'WARN' | undefined) ?? 'WARN') });
} catch {
  // already installed in this process
}

export interface TestStack {
  baseUrl: string;
  database: TestDatabase;
  temporal: Client;
  taskQueue: string;
  mailDir: string;
  mail(): Promise<SinkMessage[]>;
  stop(): Promise<void>;
  /** The worker's metrics endpoint, with the workerMetrics option. */
  workerMetricsUrl?: string;
}

/**
 * The real thing for one test file: its own database, SMTP sink, worker (own task queue) and
 * API over HTTP, on the run's Temporal dev server and PostgreSQL.
 */
export async function startTestStack(
  options: {
    worker?: boolean;
    preliminaryWindowMs?: number;
    /** A short approval deadline instead of the tenant's hours. */
    approvalWindowMs?: number;
    /** How long a day of a subscription's calendar lasts (renewals within a test). */
    subscriptionDayMs?: number;
    /** Another SMTP server than the stack's sink. */
    smtpUrl?: string;
    /** Another Temporal server than the run's (outage tests start and stop their own). */
    temporalAddress?: string;
    /** The API's request deadline and /ready's worker poll age (AppDeps). */
    requestTimeoutMs?: number;
    workerPollMaxAgeMs?: number;
    /** Serve the worker's Prometheus registry on a free port (workerMetricsUrl). */
    workerMetrics?: boolean;
    /** Tracing on (runtime/tracing.ts, started by the test): its client and worker interceptors. */
    tracing?: Pick<Tracing, 'clientInterceptors' | 'worker'>;
    /** A bound on the API's concurrent order creates (AppDeps.orderAdmission). */
    orderAdmission?: AdmissionGate;
  } = {},
): Promise<TestStack> {
  const database = await createTestDatabase(inject('adminDatabaseUrl'));
  const mailDir = mkdtempSync(path.join(os.tmpdir(), 'orders-mail-'));
  const sink = await startSmtpSink({ port: await findFreePort(), dir: mailDir });
  const temporalAddress = options.temporalAddress ?? inject('temporalAddress');
  // As in api/server.ts: the API's retry and reconnect settings.
  const connection = await Connection.connect(temporalConnectionOptions(temporalAddress));
  const temporal = new Client({ connection, namespace: 'default', interceptors: options.tracing?.clientInterceptors });
  const taskQueue = `test-${path.basename(database.name)}`;
  const logger = createLogger('test', process.env.TEST_LOG_LEVEL ?? 'silent');
  const port = await findFreePort();
  const baseUrl = `http://127.0.0.1:${port}`;

  let worker: RunningOrderWorker | undefined;
  if (options.worker !== false) {
    worker = await startOrderWorker({
      db: database.db,
      temporalAddress,
      namespace: 'default',
      taskQueue,
      smtpUrl: options.smtpUrl ?? sink.url,
      publicBaseUrl: baseUrl,
      logger,
      ...(options.workerMetrics ? { metricsPort: 0 } : {}),
      // With tracing the worker bundles workflows/ itself, with the tracing interceptors module.
      ...(options.tracing ? options.tracing.worker : { workflowBundle: { codePath: inject('workflowBundlePath') } }),
    });
  }
  const orderStatusListener = createOrderStatusListener(database.url);
  const app = createApp({
    orderStatusListener,
    db: database.db,
    temporal,
    logger,
    taskQueue,
    publicBaseUrl: baseUrl,
    devRoutes: { mailSinkDir: mailDir },
    preliminaryWindowOverrideMs: options.preliminaryWindowMs,
    approvalWindowOverrideMs: options.approvalWindowMs,
    subscriptionDayMsOverride: options.subscriptionDayMs,
    requestTimeoutMs: options.requestTimeoutMs,
    workerPollMaxAgeMs: options.workerPollMaxAgeMs,
    orderAdmission: options.orderAdmission,
  });
  const server = await serveApi(app, { port, hostname: '127.0.0.1' });
  // As in api/server.ts: the sandbox provider's webhook delivery loop runs beside the API.
  const sandboxWebhooks = startSandboxWebhookDelivery(database.db, { logger });
  void (server.address() as AddressInfo);
  clearAuthCache();

  return {
    baseUrl,
    database,
    temporal,
    taskQueue,
    mailDir,
    mail: () => readSinkMessages(mailDir),
    workerMetricsUrl: worker?.metricsPort ? `http://127.0.0.1:${worker.metricsPort}/metrics` : undefined,
    async stop() {
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await sandboxWebhooks.stop();
      await orderStatusListener.close();
      await worker?.shutdown();
      await connection.close();
      await sink.stop();
      await database.drop();
      rmSync(mailDir, { recursive: true, force: true });
    },
  };
}

/** Polls until `check` returns a value (not undefined) or the time is up. */
export async function eventually<T>(
  check: () => Promise<T | undefined>,
  timeoutMs = 20_000,
  intervalMs = 100,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`condition not met within ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}
