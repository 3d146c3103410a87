import { createRoute, z } from '@hono/zod-openapi';
import {
  getSubscriptionPeriod,
  insertSubscriptionPeriod,
  listSubscriptionPeriods,
  productTypeOf,
  type SubscriptionPeriodRow,
  updateSubscriptionPeriod,
} from '../../db/queries/subscription-periods';
import type { SubscriptionPaymentMethod } from '../../db/schema';
import { requireScope } from '../auth';
import { decodeCursor, keysetPage } from '../cursor';
import { type ProblemFieldError, problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { assertUuid, externalIdTaken, guardedCatalogWrite } from '../catalog-writes';
import { limitQuery, problemResponses } from '../schemas/common';
import {
  externalIdSchema,
  subscriptionPeriodCreateSchema,
  subscriptionPeriodListSchema,
  subscriptionPeriodPatchSchema,
  subscriptionPeriodSchema,
} from '../schemas/subscription-periods';

// The periods of a subscription product (issue 13, point 1), under /v1/catalog/products/{id}. Reading
// is open to every key of the tenant; each change needs catalog:admin. A period is never deleted:
// subscriptions and their orders will refer to it, so DELETE deactivates it.

const locationHeader = { Location: { schema: { type: 'string' as const } } };
const productParams = z.object({ id: z.string() });
const periodParams = z.object({ id: z.string(), period_id: z.string() });
const json = <T>(schema: T) => ({ 'application/json': { schema } });

export function presentSubscriptionPeriod(p: SubscriptionPeriodRow) {
  return {
    id: p.id,
    product_id: p.product_id,
    code: p.code,
    name: p.name,
    length_unit: p.length_unit,
    length_count: p.length_count,
    price: p.price,
    currency: p.currency,
    payment_methods: p.payment_methods,
    trial_days: p.trial_days,
    physical: p.physical,
    renewal_notice_days: p.renewal_notice_days,
    active: p.active,
    external_id: p.external_id,
    created_at: p.created_at.toISOString(),
    updated_at: p.updated_at.toISOString(),
  };
}

/** The payment rules that span fields; each error names `payment_methods`. */
export function periodPaymentErrors(price: number, methods: readonly SubscriptionPaymentMethod[]): ProblemFieldError[] {
  const field = 'payment_methods';
  if (methods.length === 0)
    return [{ code: 'payment_methods_empty', message: 'A period needs at least one payment method', field }];
  if (price > 0 && methods.includes('free'))
    return [{ code: 'free_period_has_price', message: '"free" is only for a period with price 0', field }];
  if (price === 0 && (methods.length !== 1 || methods[0] !== 'free'))
    return [{ code: 'zero_price_not_free', message: 'A period with price 0 is paid with "free" alone', field }];
  return [];
}

function invalidPeriod(errors: ProblemFieldError[]) {
  return problems.unprocessable(
    'period_invalid',
    `The period is not valid: ${errors.map((e) => e.message).join('; ')}`,
    errors,
  );
}

export const subscriptionPeriodRoutes = createResourceApp();

subscriptionPeriodRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/products/{id}/periods',
    tags: ['catalog admin'],
    summary: 'Add a period to a subscription product',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. Only a product of type `subscription` has periods (409 ' +
      '`product_not_subscription`); codes are unique per product regardless of case (409 `period_code_taken`), ' +
      '`external_id` per tenant among periods (409 `external_id_taken`). ' +
      'A price of 0 is paid with `free` alone, a price never with `free` (422 `period_invalid`).',
    request: { params: productParams, body: { required: true, content: json(subscriptionPeriodCreateSchema) } },
    responses: {
      201: { description: 'Created', headers: locationHeader, content: json(subscriptionPeriodSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    assertUuid(id, 'product');
    const paymentMethods = [...new Set(body.payment_methods)];
    const errors = periodPaymentErrors(body.price, paymentMethods);
    if (errors.length > 0) throw invalidPeriod(errors);

    const result = await guardedCatalogWrite(() =>
      insertSubscriptionPeriod(c.get('deps').db, c.get('auth').tenantId, id, {
        code: body.code,
        name: body.name,
        lengthUnit: body.length_unit,
        lengthCount: body.length_count,
        price: body.price,
        paymentMethods,
        trialDays: body.trial_days,
        physical: body.physical,
        renewalNoticeDays: body.renewal_notice_days,
        active: body.active,
        externalId: body.external_id,
      }),
    );
    if (!result.ok) {
      switch (result.reason) {
        case 'product_not_found':
          throw problems.notFound('product');
        case 'product_not_subscription':
          throw problems.conflict(
            'product_not_subscription',
            'Only a product of type "subscription" has periods; change its type first',
          );
        case 'code_taken':
          throw problems.conflict(
            'period_code_taken',
            `The product has a period with the code ${body.code} already (codes are case-insensitive)`,
          );
        case 'external_id_taken':
          throw externalIdTaken('period', body.external_id);
      }
    }
    return c.json(presentSubscriptionPeriod(result.row), 201, {
      Location: `/v1/catalog/products/${id}/periods/${result.row.id}`,
    });
  },
);

subscriptionPeriodRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/{id}/periods',
    tags: ['catalog'],
    summary: 'The periods of a product, active and not, by code',
    request: {
      params: productParams,
      query: z.object({
        active: z.enum(['true', 'false']).optional().openapi({ description: 'Only active (or only inactive) ones' }),
        external_id: externalIdSchema.optional().openapi({ description: 'Only the period with this external id' }),
        limit: limitQuery,
        cursor: z.string().optional(),
      }),
    },
    responses: {
      200: { description: 'Periods', content: json(subscriptionPeriodListSchema) },
      ...problemResponses(400, 401, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const q = c.req.valid('query');
    assertUuid(id, 'product');
    const after = decodeCursor<{ c: string }>(q.cursor, ['c'], (v) => typeof v.c === 'string');
    const { db } = c.get('deps');
    const { tenantId } = c.get('auth');
    if ((await productTypeOf(db, tenantId, id)) === undefined) throw problems.notFound('product');
    const rows = await listSubscriptionPeriods(db, tenantId, id, {
      active: q.active === undefined ? undefined : q.active === 'true',
      externalId: q.external_id,
      afterCode: after?.c,
      limit: q.limit + 1,
    });
    const page = keysetPage(rows, q.limit, presentSubscriptionPeriod, (last) => ({ c: last.code }));
    return c.json(page, 200);
  },
);

subscriptionPeriodRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products/{id}/periods/{period_id}',
    tags: ['catalog'],
    summary: 'One period of a subscription product',
    request: { params: periodParams },
    responses: {
      200: { description: 'The period', content: json(subscriptionPeriodSchema) },
      ...problemResponses(401, 404),
    },
  }),
  async (c) => {
    const { id, period_id: periodId } = c.req.valid('param');
    assertUuid(id, 'period');
    assertUuid(periodId, 'period');
    const row = await getSubscriptionPeriod(c.get('deps').db, c.get('auth').tenantId, id, periodId);
    if (!row) throw problems.notFound('period');
    return c.json(presentSubscriptionPeriod(row), 200);
  },
);

subscriptionPeriodRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/products/{id}/periods/{period_id}',
    tags: ['catalog admin'],
    summary: 'Change a period: name, price, payment methods, trial, physical, renewal notice, active, external id',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. The code and the length are fixed (a different length is a new ' +
      'period); the payment rules apply to the period as changed (422 `period_invalid`).',
    // No body is `{}` (request-rules.ts), a change of nothing: the body is optional.
    request: { params: periodParams, body: { required: false, content: json(subscriptionPeriodPatchSchema) } },
    responses: {
      200: { description: 'The changed period', content: json(subscriptionPeriodSchema) },
      ...problemResponses(400, 401, 403, 404, 409, 413, 415, 422),
    },
  }),
  async (c) => {
    const { id, period_id: periodId } = c.req.valid('param');
    const body = c.req.valid('json');
    assertUuid(id, 'period');
    assertUuid(periodId, 'period');
    const { db } = c.get('deps');
    const { tenantId } = c.get('auth');
    const paymentMethods = body.payment_methods ? [...new Set(body.payment_methods)] : undefined;
    if (body.price !== undefined || paymentMethods !== undefined) {
      const current = await getSubscriptionPeriod(db, tenantId, id, periodId);
      if (!current) throw problems.notFound('period');
      const errors = periodPaymentErrors(body.price ?? current.price, paymentMethods ?? current.payment_methods);
      // A concurrent change of the other field is caught by the table's CHECK (catalog_constraint_violated).
      if (errors.length > 0) throw invalidPeriod(errors);
    }
    const result = await guardedCatalogWrite(() =>
      updateSubscriptionPeriod(db, tenantId, id, periodId, {
        name: body.name,
        price: body.price,
        paymentMethods,
        trialDays: body.trial_days,
        physical: body.physical,
        renewalNoticeDays: body.renewal_notice_days,
        active: body.active,
        externalId: body.external_id,
      }),
    );
    if (!result.ok) {
      if (result.reason === 'not_found') throw problems.notFound('period');
      throw externalIdTaken('period', body.external_id);
    }
    return c.json(presentSubscriptionPeriod(result.row), 200);
  },
);

subscriptionPeriodRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/products/{id}/periods/{period_id}',
    tags: ['catalog admin'],
    summary: 'Deactivate a period (it is kept: subscriptions and orders refer to it)',
    middleware: [requireScope('catalog:admin')],
    description:
      'Needs the `catalog:admin` scope. Sets `active: false` and answers the period; repeating it changes ' +
      'nothing. The period leaves the public catalogue; `PATCH` with `active: true` brings it back.',
    request: { params: periodParams },
    responses: {
      200: { description: 'The deactivated period', content: json(subscriptionPeriodSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id, period_id: periodId } = c.req.valid('param');
    assertUuid(id, 'period');
    assertUuid(periodId, 'period');
    const result = await updateSubscriptionPeriod(c.get('deps').db, c.get('auth').tenantId, id, periodId, {
      active: false,
    });
    if (!result.ok) throw problems.notFound('period');
    return c.json(presentSubscriptionPeriod(result.row), 200);
  },
);
