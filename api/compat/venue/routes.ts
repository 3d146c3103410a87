import type { Context } from 'hono';
import type { AppEnv } from '../../app-env';
import { ApiProblem } from '../../problem';
import { createResourceApp } from '../../resource-app';
import type { CallApi } from '../call-api';
import { authenticateCompat } from '../compat-auth';
import { refuse, toVenueError, venueFailure } from './error-mapping';
import { addInvoiceRoutes } from './invoice-routes';
import { addOrderRoutes } from './order-routes';
import { addUnsupportedRoutes } from './unsupported-routes';
import { addVoucherRoutes } from './voucher-routes';
import { addCatalogRoutes } from './catalog-routes';

// The venue platform's shop API (seed 004), answered in its shapes (docs/compatibility/venue.md).
// Every call maps to /v1 in-process; nothing is decided here.

/** Any problem of ours on these routes, as their `{error, errorCode}` (and Retry-After). */
export function answerVenueProblem(c: Context<AppEnv>, error: ApiProblem) {
  const body = toVenueError({ code: error.code, title: error.title, detail: error.detail, errors: error.errors });
  return venueFailure(c, error.status, body, error.headers);
}

export function venueRoutes(callApi: CallApi) {
  const routes = createResourceApp();

  // Their clients read `{error, errorCode}` for every failure, a missing key or scope included.
  routes.onError((error, c) => {
    if (!(error instanceof ApiProblem)) throw error;
    return answerVenueProblem(c, error);
  });

  addUnsupportedRoutes(routes);
  // Their customer JWTs are not ours: the shop sends our API key (X-API-Key or Bearer). Their
  // invoice export authenticates with HTTP Basic, so those routes take the key as its password too.
  const key = authenticateCompat('header');
  const keyOrBasic = authenticateCompat('header', 'basic');
  addOrderRoutes(routes, callApi, key);
  addInvoiceRoutes(routes, callApi, keyOrBasic);
  addVoucherRoutes(routes, callApi, key);
  addCatalogRoutes(routes, callApi, key);
  // A known path with another method: 405 in their shape (the app's own 405 would be ours).
  const methodsByPath = new Map<string, Set<string>>();
  for (const route of routes.routes) {
    if (route.method === 'ALL') continue;
    methodsByPath.set(route.path, (methodsByPath.get(route.path) ?? new Set()).add(route.method));
  }
  for (const [path, methods] of methodsByPath) {
    const allowed = [...methods].join(', ');
    routes.all(path, (c) =>
      venueFailure(c, 405, toVenueError({ code: 'method_not_allowed', detail: `Use ${allowed}` }), { Allow: allowed }),
    );
  }
  // Registered last: only a path none of the above serves gets here.
  routes.all('*', (c) => refuse(c, 404, 'not_found', `No route ${c.req.method} ${c.req.path}`));
  return routes;
}
