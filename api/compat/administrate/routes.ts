import type { Context } from 'hono';
import { tenantBaseCurrency } from '../../../db/queries/catalog-admin';
import { findOccurrenceByExternalId, findProductByExternalId } from '../../../db/queries/external-ids';
import type { AppEnv } from '../../app-env';
import { requireScope } from '../../auth';
import { isUuid } from '../../cursor';
import { dependencyUnavailable, failedDependency } from '../../outages';
import { ApiProblem } from '../../problem';
import { createResourceApp } from '../../resource-app';
import { type CallApi, callOurApi } from '../call-api';
import { authenticateCompat } from '../compat-auth';
import { toOrderCreated } from './answer-mapping';
import { type AdministrateError, ORDER_NOT_CREATED, type OurError, toAdministrateFailure } from './error-mapping';
import {
  controlCharacterErrors,
  type FieldOrigins,
  type PlatformReference,
  parseAdministrateOrder,
  platformIdsOf,
  toOrderRequest,
} from './request-mapping';

// Administrate's create-order call, answered in its own shapes (docs/compatibility/administrate.md).
// Nothing is decided here: the body is mapped to our OrderRequest and placed through POST /v1/orders
// itself, in-process, so validation, pricing, seats, payment and idempotency are that route's.

const ORDERS_PATH = '/api/v2/orders';

function failure(
  c: Context<AppEnv>,
  status: number,
  msg: string,
  errors: AdministrateError[],
  headers: Record<string, string> = {},
) {
  return c.json({ msg, errors }, status as 400, headers);
}

/** Our answer, when it is a problem, in their shape with our status (and its Retry-After, if any). */
async function relayProblem(c: Context<AppEnv>, response: Response, origins?: FieldOrigins, currency?: string) {
  const problem = (await response.json()) as OurError & { errors?: OurError[] };
  const retryAfter = response.headers.get('retry-after');
  const { errors } = toAdministrateFailure(ORDER_NOT_CREATED, problem, origins, currency);
  return failure(c, response.status, ORDER_NOT_CREATED, errors, retryAfter ? { 'Retry-After': retryAfter } : {});
}

/** Their ids → ours, by external id (or our own UUID as it is); the ones we do not know, as errors. */
async function resolve(
  references: PlatformReference[],
  find: (id: string) => Promise<string | undefined>,
  unknown: (reference: PlatformReference) => AdministrateError,
): Promise<{ found: Map<string, string>; errors: AdministrateError[] }> {
  const looked = new Map<string, string | undefined>();
  const errors: AdministrateError[] = [];
  for (const reference of references) {
    if (!looked.has(reference.id)) {
      looked.set(reference.id, (await find(reference.id)) ?? (isUuid(reference.id) ? reference.id : undefined));
    }
    if (looked.get(reference.id) === undefined) errors.push(unknown(reference));
  }
  const found = new Map([...looked].filter((entry): entry is [string, string] => entry[1] !== undefined));
  return { found, errors };
}

/** Any problem of ours on these routes, as their `{msg, errors}` with our status (and Retry-After). */
export function answerAdministrateProblem(c: Context<AppEnv>, error: ApiProblem) {
  const msg = c.req.method === 'POST' && c.req.path.endsWith(ORDERS_PATH) ? ORDER_NOT_CREATED : error.title;
  const { errors } = toAdministrateFailure(msg, { ...error, errors: error.errors });
  return failure(c, error.status, msg, errors, error.headers);
}

export function administrateRoutes(callApi: CallApi) {
  const routes = createResourceApp();

  // Their clients read `{msg, errors}` for every failure, a missing or unknown key included.
  routes.onError((caught, c) => {
    // Our own lookups (external ids, base currency) meet a database outage as /v1 would: 503 + Retry-After.
    const dependency = caught instanceof ApiProblem ? undefined : failedDependency(caught);
    const error = dependency ? dependencyUnavailable(dependency) : caught;
    if (!(error instanceof ApiProblem)) throw error;
    return answerAdministrateProblem(c, error);
  });
  // Their curl example authenticates with HTTP Basic (`-u user:password`): the password is the key.
  routes.use('*', authenticateCompat('header', 'basic'));

  routes.post(ORDERS_PATH, requireScope('orders:write'), async (c) => {
    const refuse = (status: number, errors: AdministrateError[]) => failure(c, status, ORDER_NOT_CREATED, errors);
    const text = await c.req.text();
    let value: unknown;
    try {
      value = JSON.parse(text);
    } catch {
      return refuse(400, [{ code: 'malformed_json', message: 'The body is not valid JSON' }]);
    }
    const parsed = parseAdministrateOrder(value);
    if (!parsed.ok) return c.json(toAdministrateFailure(ORDER_NOT_CREATED, { code: '', errors: parsed.errors }), 400);
    const body = parsed.body;
    const controlCharacters = controlCharacterErrors(body);
    if (controlCharacters.length) return refuse(400, controlCharacters.slice(0, 20));

    // Administrate drops events and items it does not know without a word; we refuse them, so a
    // delegate is never left without the seat the client thinks it booked.
    const { db } = c.get('deps');
    const { tenantId } = c.get('auth');
    const wanted = platformIdsOf(body);
    const events = await resolve(
      wanted.events,
      async (id) => (await findOccurrenceByExternalId(db, tenantId, id))?.id,
      ({ id, field }) => ({ code: 'course_date_identifier_invalid', message: `Event ${id} does not exist`, field }),
    );
    const items = await resolve(
      wanted.items,
      (id) => findProductByExternalId(db, tenantId, id),
      ({ id, field }) => ({ code: 'product_identifier_invalid', message: `Item ${id} does not exist`, field }),
    );
    if (events.errors.length || items.errors.length) return refuse(422, [...events.errors, ...items.errors]);

    const baseCurrency = await tenantBaseCurrency(db, tenantId);
    const mapped = toOrderRequest(body, { occurrences: events.found, products: items.found }, baseCurrency);
    if (!mapped.ok) return refuse(422, mapped.errors);
    const currency = mapped.request.currency ?? baseCurrency;
    const response = await callOurApi(c, callApi, 'POST', '/v1/orders', mapped.request);
    if (!response.ok) return relayProblem(c, response, mapped.origins, currency);
    const order = (await response.json()) as Parameters<typeof toOrderCreated>[0];
    return c.json(toOrderCreated(order), response.status as 201, { Location: `/v1/orders/${order.id}` });
  });

  // Their document describes creating orders only: the order is read through /v1.
  routes.all(ORDERS_PATH, (c) => {
    const message = 'Only POST is supported here; read an order with GET /v1/orders/{id}';
    return failure(c, 405, 'method not allowed', [{ code: 'method_not_allowed', message }], { Allow: 'POST' });
  });
  routes.all('*', (c) => {
    const message = `No such route: ${c.req.method} ${c.req.path}. This adapter serves POST ${ORDERS_PATH}`;
    return failure(c, 404, 'not found', [{ code: 'route_not_found', message }]);
  });

  return routes;
}
