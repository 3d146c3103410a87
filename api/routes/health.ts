import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import type { App } from '../app';

const CHECK_TIMEOUT_MS = 2_000;

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  return Promise.race([promise, new Promise<T>((_, reject) => setTimeout(() => reject(new Error(`timed out after ${ms} ms`)), ms).unref())]);
}

const readyResponse = z.object({
  status: z.enum(['ready', 'unavailable']),
  checks: z.object({ postgres: z.string(), temporal: z.string() }),
});

export function registerHealthRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'get', path: '/health', tags: ['ops'], security: [],
      summary: 'Liveness: the process is up',
      responses: { 200: { description: 'Up', content: { 'application/json': { schema: z.object({ status: z.literal('ok') }) } } } },
    }),
    (c) => c.json({ status: 'ok' as const }, 200),
  );

  app.openapi(
    createRoute({
      method: 'get', path: '/ready', tags: ['ops'], security: [],
      summary: 'Readiness: PostgreSQL and Temporal answer',
      responses: {
        200: { description: 'Ready', content: { 'application/json': { schema: readyResponse } } },
        503: { description: 'A dependency is down (named in checks)', content: { 'application/json': { schema: readyResponse } } },
      },
    }),
    async (c) => {
      const { db, temporal } = c.var.deps;
      const [postgres, temporalCheck] = await Promise.all([
        withTimeout(sql`SELECT 1`.execute(db), CHECK_TIMEOUT_MS).then(() => 'ok', (e: Error) => `down: ${e.message}`),
        withTimeout(temporal.connection.workflowService.getSystemInfo({}), CHECK_TIMEOUT_MS).then(() => 'ok', (e: Error) => `down: ${e.message}`),
      ]);
      const ok = postgres === 'ok' && temporalCheck === 'ok';
      return c.json({ status: ok ? ('ready' as const) : ('unavailable' as const), checks: { postgres, temporal: temporalCheck } }, ok ? 200 : 503);
    },
  );
}
