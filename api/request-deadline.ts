import type { MiddlewareHandler } from 'hono';
import type { AppDeps, AppEnv } from './app-env';
import { answerProblem, requestTimedOut } from './outages';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;

/**
 * Temporal calls must give up before the request does, so that a Temporal outage is answered as
 * such (503 dependency_unavailable) and the route still has time to store its answer: 80 % of the
 * request deadline, and at least one second before it.
 */
export function temporalCallBudgetMs(requestTimeoutMs: number): number {
  return Math.min(Math.round(requestTimeoutMs * 0.8), requestTimeoutMs - 1_000);
}

/**
 * Every request answers within the request deadline: whatever still runs then (a query waiting
 * for a connection, a workflow that does not answer) is answered 503 request_timeout with
 * Retry-After. The work itself is not cut off — an order being taken finishes and stores its
 * answer for the client's retry. Every Temporal call made while the request runs carries a gRPC
 * deadline (Connection.withDeadline, kept in async context), so none waits past it.
 */
export function requestDeadline(deps: AppDeps): MiddlewareHandler<AppEnv> {
  const timeoutMs = deps.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const temporalMs = temporalCallBudgetMs(timeoutMs);
  return async (c, next) => {
    const started = Date.now();
    c.set('deadline', started + timeoutMs);
    let timer: NodeJS.Timeout | undefined;
    const expired = new Promise<'expired'>((resolve) => {
      timer = setTimeout(() => resolve('expired'), timeoutMs);
    });
    const work = deps.temporal.connection.withDeadline(started + temporalMs, () => next());
    try {
      const outcome = await Promise.race([work.then(() => 'answered' as const), expired]);
      if (outcome === 'answered') return;
    } finally {
      clearTimeout(timer);
    }
    // Hono's compose hands errors of the handlers to onError, so `work` rejects only on a bug in
    // a middleware; its late result must not become an unhandled rejection.
    work.catch((error) => c.get('logger').error({ err: error }, 'request failed after its deadline'));
    c.get('logger').warn({ method: c.req.method, path: c.req.path, timeout_ms: timeoutMs }, 'request deadline passed');
    return answerProblem(c, requestTimedOut(timeoutMs));
  };
}
