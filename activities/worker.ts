import { createDb } from '../db/database';
import { exitOnConfigError, loadConfig, publicBaseUrl, requireConfig } from '../runtime/config';
import { createLogger } from '../runtime/logger';
import { startOrderWorker } from './worker-runtime';

async function main(): Promise<void> {
  const config = requireConfig(loadConfig(), ['DATABASE_URL', 'TEMPORAL_ADDRESS', 'SMTP_URL']);
  const logger = createLogger('worker', config.LOG_LEVEL);
  const db = createDb(config.DATABASE_URL, { maxConnections: 20 });
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
