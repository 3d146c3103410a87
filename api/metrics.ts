import type { Context, MiddlewareHandler } from 'hono';
import { matchedRoutes } from 'hono/route';
import { apiMetrics, recordHttpRequest, recordWebhookDelivery } from '../runtime/metrics';
import type { AppEnv } from './app-env';

// RED metrics of every request (runtime/metrics.ts), and GET /metrics itself.

const WEBHOOK_ROUTE = /^\/v1\/webhooks\/([^/]+)\//;

/**
 * The route template that answered ('/v1/orders/:id'), never the raw path with its ids: the
 * last matched route registered for a method (middleware is registered for ALL); 'unmatched'
 * for a 404 or 405 that no route declares.
 */
function routeTemplate(c: Context): string {
  const routes = matchedRoutes(c);
  for (let i = routes.length - 1; i >= 0; i--) {
    const route = routes[i];
    if (route && route.method !== 'ALL') return route.path;
  }
  return 'unmatched';
}

export const httpMetrics: MiddlewareHandler<AppEnv> = async (c, next) => {
  const started = performance.now();
  try {
    await next();
  } finally {
    const route = routeTemplate(c);
    const status = c.res.status;
    recordHttpRequest(c.req.method, route, status, (performance.now() - started) / 1000);
    // A webhook the provider sent that we refused (signature, payload); taken ones are counted
    // by takeWebhookEvent.
    const provider = WEBHOOK_ROUTE.exec(route)?.[1];
    if (provider && status >= 400 && status < 500 && status !== 404) recordWebhookDelivery(provider, 'rejected');
  }
};

/** GET /metrics: Prometheus text format, no API key (keep it off the public internet). */
export async function metricsEndpoint(c: Context<AppEnv>): Promise<Response> {
  const registry = apiMetrics();
  return c.body(await registry.metrics(), 200, { 'Content-Type': registry.contentType });
}
