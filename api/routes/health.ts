import { createRoute, z } from '@hono/zod-openapi';
import { pingDatabase } from '../../db/queries/database-ping';
import { createResourceApp } from '../resource-app';
import type { AppDeps } from '../app-env';
import { RETRY_AFTER_SECONDS } from '../outages';

const CHECK_TIMEOUT_MS = 2_000;
const DEFAULT_WORKER_POLL_MAX_AGE_MS = 90_000;
// Temporal's enums, by number (as the task-queue API answers them).
const TASK_QUEUE_KIND_NORMAL = 1;
const TASK_QUEUE_TYPES = { workflow: 1, activity: 2 } as const;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([
    promise,
    new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref()),
  ]);
}

const readyResponse = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: z.string(), temporal: z.string(), worker: z.string() }),
});

/**
 * Is a worker serving our task queue? Temporal cannot say so directly; DescribeTaskQueue lists
 * the pollers it saw (for minutes after they are gone), each with the time its latest poll
 * started. A live worker starts one at least every long-poll interval (about a minute), so a
 * worker counts as present when it polled both the workflow and the activity queue recently.
 */
async function workerCheck(deps: AppDeps): Promise<string> {
  const maxAgeMs = deps.workerPollMaxAgeMs ?? DEFAULT_WORKER_POLL_MAX_AGE_MS;
  const ages = await Promise.all(
    Object.entries(TASK_QUEUE_TYPES).map(async ([name, taskQueueType]) => {
      const described = await deps.temporal.workflowService.describeTaskQueue({
        namespace: deps.temporal.options.namespace,
        taskQueue: { name: deps.taskQueue, kind: TASK_QUEUE_KIND_NORMAL },
        taskQueueType,
      });
      const newest = Math.max(
        0,
        ...(described.pollers ?? []).map((poller) => {
          const at = poller.lastAccessTime;
          return at ? Number(at.seconds ?? 0) * 1000 + Math.floor((at.nanos ?? 0) / 1e6) : 0;
        }),
      );
      return { name, ageMs: newest === 0 ? undefined : Date.now() - newest };
    }),
  );
  const missing = ages.filter((q) => q.ageMs === undefined || q.ageMs > maxAgeMs);
  if (missing.length === 0) return 'ok';
  const what = missing.map((q) =>
    q.ageMs === undefined ? `${q.name}: never polled` : `${q.name}: last poll ${Math.round(q.ageMs / 1000)} s ago`,
  );
  return `down: no worker polls task queue "${deps.taskQueue}" (${what.join('; ')})`;
}

export const healthRoutes = createResourceApp();

healthRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/health',
    tags: ['ops'],
    security: [],
    summary: 'Liveness: the process is up',
    responses: {
      200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } },
    },
  }),
  (c) => c.json({ status: 'ok' as const }, 200),
);

healthRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/ready',
    tags: ['ops'],
    security: [],
    summary: 'Readiness: PostgreSQL and Temporal answer, and a worker polls the task queue',
    responses: {
      200: { description: 'Ready', content: { 'application/json': { schema: readyResponse } } },
      503: {
        description: 'A dependency is down (named in checks)',
        content: { 'application/json': { schema: readyResponse } },
      },
    },
  }),
  async (c) => {
    const { db, temporal } = c.get('deps');
    const [postgres, temporalCheck, worker] = await Promise.all([
      withTimeout(pingDatabase(db), CHECK_TIMEOUT_MS).then(
        () => 'ok',
        (e: Error) => `down: ${e.message}`,
      ),
      withTimeout(temporal.connection.workflowService.getSystemInfo({}), CHECK_TIMEOUT_MS).then(
        () => 'ok',
        (e: Error) => `down: ${e.message}`,
      ),
      withTimeout(workerCheck(c.get('deps')), CHECK_TIMEOUT_MS).catch((e: Error) => `unknown: ${e.message}`),
    ]);
    const ok = postgres === 'ok' && temporalCheck === 'ok' && worker === 'ok';
    // Not ready is a 503 with Retry-After, like every other outage answer.
    if (!ok) c.header('Retry-After', String(RETRY_AFTER_SECONDS));
    const body = {
      status: ok ? ('ready' as const) : ('unavailable' as const),
      checks: { postgres, temporal: temporalCheck, worker },
    };
    return c.json(body, ok ? 200 : 503);
  },
);
