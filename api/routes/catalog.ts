import { createRoute, z } from '@hono/zod-openapi';
import { listOccurrences, listProducts, type OccurrenceRow, type ProductRow } from '../../db/queries/catalog';
import { activePeriodsByProduct } from '../../db/queries/subscription-periods';
import type { Db } from '../../db/database';
import { createResourceApp } from '../resource-app';
import { decodeCursor, encodeCursor, isTimestamp, isUuid, keysetPage } from '../cursor';
import { limitQuery, problemResponses } from '../schemas/common';
import { occurrenceListSchema, productListSchema, productTypeSchema } from '../schemas/catalog';
import { externalIdSchema } from '../schemas/subscription-periods';
import { presentSubscriptionPeriod } from './subscription-periods';

export function presentProduct(p: ProductRow) {
  return {
    id: p.id,
    type: p.type,
    name: p.name,
    description: p.description,
    price: p.price,
    currency: p.currency,
    vat_rate: p.vat_rate_bp / 100,
    daily_capacity: p.daily_capacity,
    active: p.active,
    requires_approval: p.requires_approval,
    external_id: p.external_id,
  };
}

/** The catalogue reads: products as presentProduct, a subscription product with its active periods. */
export async function presentProductsWithPeriods(db: Db, tenantId: string, rows: readonly ProductRow[]) {
  const subscriptionIds = rows.filter((p) => p.type === 'subscription').map((p) => p.id);
  const periods = await activePeriodsByProduct(db, tenantId, subscriptionIds);
  return rows.map((p) =>
    p.type === 'subscription'
      ? { ...presentProduct(p), periods: (periods.get(p.id) ?? []).map(presentSubscriptionPeriod) }
      : presentProduct(p),
  );
}

export function presentOccurrence(o: OccurrenceRow) {
  return {
    id: o.id,
    product_id: o.product_id,
    name: o.name,
    starts_at: o.starts_at.toISOString(),
    ends_at: o.ends_at ? o.ends_at.toISOString() : null,
    capacity: o.capacity,
    seats_taken: o.seats_taken,
    seats_left: o.capacity - o.seats_taken,
    price: o.price ?? o.product_price,
    currency: o.currency,
    status: o.status,
    resource: o.resource_name && o.resource_kind ? { name: o.resource_name, kind: o.resource_kind } : null,
    external_id: o.external_id,
  };
}

export const catalogRoutes = createResourceApp();

catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/products',
    tags: ['catalog'],
    summary: 'List products',
    request: {
      query: z.object({
        type: productTypeSchema.optional(),
        external_id: externalIdSchema.optional().openapi({ description: 'Only the product with this external id' }),
        limit: limitQuery,
        cursor: z.string().optional(),
      }),
    },
    responses: {
      200: { description: 'Products', content: { 'application/json': { schema: productListSchema } } },
      ...problemResponses(400, 401),
    },
  }),
  async (c) => {
    const { type, external_id: externalId, limit, cursor } = c.req.valid('query');
    const after = decodeCursor<{ id: string }>(cursor, ['id'], (v) => isUuid(v.id));
    const rows = await listProducts(c.get('deps').db, c.get('auth').tenantId, {
      type,
      externalId,
      afterId: after?.id,
      limit: limit + 1,
    });
    const page = rows.slice(0, limit);
    const last = page.at(-1);
    return c.json(
      {
        data: await presentProductsWithPeriods(c.get('deps').db, c.get('auth').tenantId, page),
        next_cursor: rows.length > limit && last ? encodeCursor({ id: last.id }) : null,
      },
      200,
    );
  },
);

catalogRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/occurrences',
    tags: ['catalog'],
    summary: 'List dated occurrences (course dates, events, slots) with capacity and seats left',
    request: {
      query: z.object({
        product_id: z.string().uuid().optional(),
        external_id: externalIdSchema.optional().openapi({ description: 'Only the occurrence with this external id' }),
        from: z.string().datetime({ offset: true }).optional(),
        to: z.string().datetime({ offset: true }).optional(),
        limit: limitQuery,
        cursor: z.string().optional(),
      }),
    },
    responses: {
      200: { description: 'Occurrences', content: { 'application/json': { schema: occurrenceListSchema } } },
      ...problemResponses(400, 401),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const after = decodeCursor<{ s: string; id: string }>(
      q.cursor,
      ['s', 'id'],
      (v) => isTimestamp(v.s) && isUuid(v.id),
    );
    const rows = await listOccurrences(c.get('deps').db, c.get('auth').tenantId, {
      productId: q.product_id,
      externalId: q.external_id,
      from: q.from ? new Date(q.from) : undefined,
      to: q.to ? new Date(q.to) : undefined,
      after: after ? { startsAt: new Date(after.s), id: after.id } : undefined,
      limit: q.limit + 1,
    });
    const page = keysetPage(rows, q.limit, presentOccurrence, (last) => ({
      s: last.starts_at.toISOString(),
      id: last.id,
    }));
    return c.json(page, 200);
  },
);
