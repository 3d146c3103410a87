import { IllegalStateError } from '@temporalio/common';
import { DefaultLogger, Runtime, type RuntimeOptions } from '@temporalio/worker';
import { createDb } from '../db/database';
import { dbPoolOptions, exitOnConfigError, loadConfig, publicBaseUrl, requireConfig } from '../runtime/config';
import { createLogger, type Logger } from '../runtime/logger';
import { WORKFLOW_THREAD_PRELOAD, workflowThreadPreloaded } from '../runtime/role-command';
import { startTracing } from '../runtime/tracing';
import { startOrderWorker } from './worker-runtime';

async function main(): Promise<void> {
  const config = requireConfig(loadConfig(), ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const logger = createLogger('worker', config.LOG_LEVEL);
  // SDK logs (bundling, state changes) go through the same structured logger; below debug only
  // warnings and errors, so the console shows what matters.
  const sdkLevel = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'WARN';
  // The SDK's own metrics (polls, task latencies, slots, sticky cache) on their own Prometheus port.
  const sdkMetricsPort = config.METRICS_ENABLED ? config.WORKER_TEMPORAL_METRICS_PORT : 0;
  installSdkRuntime(logger, {
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : 'debug';
      logger[level]({ sdk: true, ...entry.meta }, entry.message);
    }),
    ...(sdkMetricsPort > 0
      ? { telemetryOptions: { metrics: { prometheus: { bindAddress: `0.0.0.0:${sdkMetricsPort}` } } } }
      : {}),
  });
  // Off (nothing loaded, no interceptors) unless OTEL_EXPORTER_OTLP_ENDPOINT is set.
  const tracing = await startTracing({ serviceName: 'order-worker', otlpEndpoint: config.OTEL_EXPORTER_OTLP_ENDPOINT });
  const stackTraces = config.WORKER_WORKFLOW_STACK_TRACES || !workflowThreadPreloaded();
  if (stackTraces && !config.WORKER_WORKFLOW_STACK_TRACES) {
    logger.warn(
      { preload: WORKFLOW_THREAD_PRELOAD },
      'workflow stack traces stay on: start the worker with node --require ./' + WORKFLOW_THREAD_PRELOAD,
    );
  }
  const db = createDb(config.DATABASE_URL, dbPoolOptions(config));
  const running = await startOrderWorker({
    db,
    temporalAddress: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    smtpUrl: config.SMTP_URL,
    publicBaseUrl: publicBaseUrl(config),
    maxCachedWorkflows: config.WORKER_MAX_CACHED_WORKFLOWS,
    logger,
    ...(tracing ? tracing.worker : {}),
    ...(config.METRICS_ENABLED && config.WORKER_METRICS_PORT > 0 ? { metricsPort: config.WORKER_METRICS_PORT } : {}),
  });
  logger.info(
    {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      metricsPort: running.metricsPort ?? null,
      temporalMetricsPort: sdkMetricsPort || null,
      workflowStackTraces: stackTraces,
    },
    'worker running',
  );
  // The SDK installs SIGINT/SIGTERM handlers that start a graceful shutdown.
  await running.done;
  await db.destroy();
  await tracing?.shutdown();
  logger.info('worker stopped');
}

/**
 * Runtime.install works once per process, before any connection or worker: a second call (an
 * embedding process installed its own) keeps the first runtime, without the SDK's metrics.
 */
function installSdkRuntime(logger: Logger, options: RuntimeOptions): void {
  try {
    Runtime.install(options);
  } catch (error) {
    if (!(error instanceof IllegalStateError)) throw error;
    logger.warn({ error: error.message }, 'Temporal runtime already installed; its settings (SDK metrics) are kept');
  }
}

main().catch((error) => {
  exitOnConfigError(error);
  console.error(error);
  process.exit(1);
});
