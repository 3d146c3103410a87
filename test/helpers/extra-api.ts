import { serveApi } from '../../api/serve-api';
import { createApp } from '../../api/app';
import { findFreePort } from '../../runtime/free-port';
import { createLogger } from '../../runtime/logger';
import type { TestStack } from './test-stack';

export interface ExtraApi {
  baseUrl: string;
  stop(): Promise<void>;
}

/**
 * A second API process on a running test stack (same database, Temporal and worker), e.g. one
 * whose orders get a short preliminary window while the stack's own API keeps the tenant's.
 * Payment pages and webhooks still go through the stack's API (the worker's public base URL).
 */
export async function startExtraApi(
  stack: TestStack,
  options: { preliminaryWindowMs?: number; approvalWindowMs?: number } = {},
): Promise<ExtraApi> {
  const port = await findFreePort();
  const app = createApp({
    db: stack.database.db,
    temporal: stack.temporal,
    logger: createLogger('test-extra-api', process.env.TEST_LOG_LEVEL ?? 'silent'),
    taskQueue: stack.taskQueue,
    publicBaseUrl: stack.baseUrl,
    preliminaryWindowOverrideMs: options.preliminaryWindowMs,
    approvalWindowOverrideMs: options.approvalWindowMs,
  });
  const server = await serveApi(app, { port, hostname: '127.0.0.1' });
  return {
    baseUrl: `http://127.0.0.1:${port}`,
    stop: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
