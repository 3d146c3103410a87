import { DefaultLogger, Runtime } from '@temporalio/worker';
import { createDb } from '../db/database';
import { dbPoolOptions, exitOnConfigError, loadConfig, publicBaseUrl, requireConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { startOrderWorker } from './worker-runtime';

async function main(): Promise<void> {
  const config = requireConfig(loadConfig(), ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const logger = createLogger('worker', config.LOG_LEVEL);
  // SDK logs (bundling, state changes) go through the same structured logger; below debug only
  // warnings and errors, so the console shows what matters.
  const sdkLevel = config.LOG_LEVEL === 'debug' || config.LOG_LEVEL === 'trace' ? 'DEBUG' : 'WARN';
  Runtime.install({
    logger: new DefaultLogger(sdkLevel, (entry) => {
      const level = entry.level === 'ERROR' ? 'error' : entry.level === 'WARN' ? 'warn' : 'debug';
      logger[level]({ sdk: true, ...entry.meta }, entry.message);
    }),
  });
  const db = createDb(config.DATABASE_URL, dbPoolOptions(config));
  const running = await startOrderWorker({
    db,
    temporalAddress: config.TEMPORAL_ADDRESS,
    namespace: config.TEMPORAL_NAMESPACE,
    taskQueue: config.TEMPORAL_TASK_QUEUE,
    smtpUrl: config.SMTP_URL,
    publicBaseUrl: publicBaseUrl(config),
    logger,
  });
  logger.info({ taskQueue: config.TEMPORAL_TASK_QUEUE }, 'worker running');
  // The SDK installs SIGINT/SIGTERM handlers that start a graceful shutdown.
  await running.done;
  await db.destroy();
  logger.info('worker stopped');
}

main().catch((error) => {
  exitOnConfigError(error);
  console.error(error);
  process.exit(1);
});
