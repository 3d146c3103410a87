import type { Context } from 'hono';
import { getOccurrence } from '../../../db/queries/catalog';
import { tenantBaseCurrency } from '../../../db/queries/catalog-admin';
import { findOccurrenceByExternalId, findProductByExternalId } from '../../../db/queries/external-ids';
import type { AppEnv } from '../../app-env';
import { requireAnyScope, requireScope } from '../../auth';
import { isUuid } from '../../cursor';
import { ApiProblem } from '../../problem';
import { createResourceApp } from '../../resource-app';
import { type CallApi, callOurApi } from '../call-api';
import { authenticateCompat } from '../compat-auth';
import { type OurOrder, toCourseBookingSummary } from './answer-mapping';
import { type CourseBookingError, toCourseBookingFailure } from './error-mapping';
import { parseCourseBookingRequest, platformIdsOf, toOrderRequest } from './request-mapping';

// The course-booking platform's order calls, answered in its own shapes (docs/compatibility/course-booking.md).
// Nothing is decided here: the body is mapped to our OrderRequest and placed through POST
// /v1/orders itself, in-process, so validation, pricing, seats, payment and idempotency are that
// route's, and the order is an ordinary /v1 order afterwards.

function failure(
  c: Context<AppEnv>,
  status: number,
  errors: CourseBookingError[],
  headers: Record<string, string> = {},
) {
  return c.json({ successful: false as const, errors }, status as 400, headers);
}

/** Our answer, when it is a problem, in their shape with our status (and its Retry-After, if any). */
async function relayProblem(c: Context<AppEnv>, response: Response) {
  const problem = (await response.json()) as Parameters<typeof toCourseBookingFailure>[1];
  const retryAfter = response.headers.get('retry-after');
  const { errors } = toCourseBookingFailure(response.status, problem);
  return failure(c, response.status, errors, retryAfter ? { 'Retry-After': retryAfter } : {});
}

/** The course date as the client knows it: the occurrence's external id, else our id. */
async function coursedateOf(c: Context<AppEnv>, order: OurOrder & { lines: { occurrence_id: string | null }[] }) {
  const occurrenceId = order.lines.find((line) => line.occurrence_id)?.occurrence_id;
  if (!occurrenceId) return '';
  const occurrence = await getOccurrence(c.get('deps').db, c.get('auth').tenantId, occurrenceId);
  return occurrence?.external_id ?? occurrenceId;
}

/** Any problem of ours on these routes, in their failure shape with our status (and Retry-After). */
export function answerCourseBookingProblem(c: Context<AppEnv>, error: ApiProblem) {
  const { errors } = toCourseBookingFailure(error.status, { ...error, errors: error.errors });
  return failure(c, error.status, errors, error.headers);
}

export function courseBookingRoutes(callApi: CallApi) {
  const routes = createResourceApp();

  // Their clients read `{successful: false}` for every failure, a missing or unknown key included.
  routes.onError((error, c) => {
    if (!(error instanceof ApiProblem)) throw error;
    return answerCourseBookingProblem(c, error);
  });
  routes.use('*', authenticateCompat('header'));

  routes.post('/v2/orders', requireScope('orders:write'), async (c) => {
    let value: unknown;
    try {
      value = JSON.parse(await c.req.text());
    } catch {
      return failure(c, 400, [{ code: 'malformed_json', message: 'The body is not valid JSON' }]);
    }
    const parsed = parseCourseBookingRequest(value);
    if (!parsed.ok)
      return c.json(toCourseBookingFailure(400, { code: 'validation_failed', errors: parsed.errors }), 400);
    const body = parsed.body;

    // Their ids → ours. Our own UUIDs are taken as they are (a tenant without external ids); an id
    // that is neither is answered here, as the order's rules would answer an unknown one.
    const { db } = c.get('deps');
    const { tenantId } = c.get('auth');
    const wanted = platformIdsOf(body);
    const occurrence = await findOccurrenceByExternalId(db, tenantId, wanted.coursedateId);
    const occurrenceId = occurrence?.id ?? (isUuid(wanted.coursedateId) ? wanted.coursedateId : undefined);
    const productIds = new Map<string, string>();
    const unknownProducts: string[] = [];
    for (const id of wanted.productIds) {
      const ours = (await findProductByExternalId(db, tenantId, id)) ?? (isUuid(id) ? id : undefined);
      if (ours) productIds.set(id, ours);
      else unknownProducts.push(id);
    }
    const unresolved: CourseBookingError[] = [
      ...(occurrenceId
        ? []
        : [{ code: 'course_date_identifier_invalid', message: `Course date ${wanted.coursedateId} does not exist` }]),
      ...unknownProducts.map((id) => ({
        code: 'participant_products_invalid',
        message: `Product ${id} does not exist`,
      })),
    ];
    if (unresolved.length || !occurrenceId) return failure(c, 422, unresolved);

    const currency = typeof body.currency === 'string' ? body.currency : await tenantBaseCurrency(db, tenantId);
    const request = toOrderRequest(body, { occurrenceId, productIds }, currency);
    const response = await callOurApi(c, callApi, 'POST', '/v1/orders', request);
    if (!response.ok) return relayProblem(c, response);
    const order = (await response.json()) as Parameters<typeof coursedateOf>[1];
    const summary = toCourseBookingSummary(order, await coursedateOf(c, order));
    return c.json({ successful: true as const, summary }, response.status as 201, {
      Location: `/compat/course-booking/v2/orders/${order.id}`,
    });
  });

  // Where their documentation sends clients after payment: the same summary, for our order id.
  routes.get('/v2/orders/:id', requireAnyScope('orders:read', 'orders:write'), async (c) => {
    const response = await callOurApi(c, callApi, 'GET', `/v1/orders/${encodeURIComponent(c.req.param('id'))}`);
    if (!response.ok) return relayProblem(c, response);
    const order = (await response.json()) as Parameters<typeof coursedateOf>[1];
    return c.json({ successful: true as const, summary: toCourseBookingSummary(order, await coursedateOf(c, order)) });
  });

  return routes;
}
