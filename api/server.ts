import { serveApi } from './serve-api';
import { startSandboxWebhookDelivery } from '../payments/sandbox-webhook-queue';
import { createDb } from '../db/database';
import { createOrderStatusListener } from '../db/order-status-listener';
import { dbPoolOptions, exitOnConfigError, loadConfig, publicBaseUrl, requireConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { connectTemporalClient } from '../runtime/temporal-client';
import { startTracing } from '../runtime/tracing';
import { createApp } from './app';
import { createAdmissionGate } from './admission';

async function main(): Promise<void> {
  const config = requireConfig(loadConfig(), ['DATABASE_URL', 'TEMPORAL_ADDRESS']);
  const logger = createLogger('api', config.LOG_LEVEL);
  // Off (nothing loaded, no interceptors) unless OTEL_EXPORTER_OTLP_ENDPOINT is set; before
  // createApp, which adds the request span middleware only while tracing is on.
  const tracing = await startTracing({ serviceName: 'order-api', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const db = createDb(config.DATABASE_URL, dbPoolOptions(config));
  const temporal = await connectTemporalClient(
    config.TEMPORAL_ADDRESS,
    config.TEMPORAL_NAMESPACE,
    tracing?.clientInterceptors,
  );
  const orderStatusListener = createOrderStatusListener(config.DATABASE_URL, (error) =>
    logger.warn({ error: String(error) }, 'order status listener: connection lost; waits poll until it is back'),
  );
  const app = createApp({
    db,
    temporal,
    logger,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    publicBaseUrl: publicBaseUrl(config),
    devRoutes: config.DEV_ROUTES
      ? { mailSinkDir: config.MAIL_SINK_DIR, allowRemote: config.DEV_ROUTES_ALLOW_REMOTE }
      : undefined,
    apiKeyCacheTtlMs: config.API_KEY_CACHE_TTL_MS,
    requestTimeoutMs: config.REQUEST_TIMEOUT_MS,
    orderStatusListener,
    metricsEnabled: config.METRICS_ENABLED,
    ...(config.API_MAX_CONCURRENT_CREATES > 0
      ? { orderAdmission: createAdmissionGate(config.API_MAX_CONCURRENT_CREATES, config.API_CREATE_QUEUE_MS) }
      : {}),
  });
  if (config.MAIL_SINK_DIR && !config.DEV_ROUTES) {
    logger.info('MAIL_SINK_DIR is set but DEV_ROUTES is off: /dev/mail is not mounted');
  }
  const server = await serveApi(app, { port: config.PORT, hostname: '0.0.0.0' });
  logger.info({ port: config.PORT }, 'api listening');
  // The sandbox provider lives in this process: its webhooks are retried from here.
  const sandboxWebhooks = startSandboxWebhookDelivery(db, { logger: logger.child({ component: 'sandbox-webhooks' }) });
  let stopping = false;
  const shutdown = (signal: string) => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'api stopping');
    server.close(async () => {
      await sandboxWebhooks.stop().catch(() => undefined);
      await orderStatusListener.close();
      await temporal.connection.close().catch(() => undefined);
      await db.destroy();
      await tracing?.shutdown();
      process.exit(0);
    });
    // Requests in flight (a long poll, a create waiting for its workflow) end within the request
    // deadline, when they answer 503 at the latest: wait that long, and a little more, for them.
    setTimeout(() => process.exit(0), config.REQUEST_TIMEOUT_MS + 2_000).unref();
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error) => {
  exitOnConfigError(error);
  console.error(error);
  process.exit(1);
});
