import { createRoute, z } from '@hono/zod-openapi';
import {
  findSubscription,
  listSubscriptions,
  type SubscriptionDetailsRow,
  type SubscriptionRow,
} from '../../db/queries/subscriptions';
import { requireScope } from '../auth';
import { decodeCursor, isTimestamp, isUuid, keysetPage } from '../cursor';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { problemResponses, uuidParam } from '../schemas/common';
import { subscriptionListQuerySchema, subscriptionListSchema, subscriptionSchema } from '../schemas/subscriptions';

// Reading subscriptions (issue 13, point 5). The rows are made when an order with a subscription
// line completes; renewals, and so a next renewal date of their own, are not built yet.

const json = <T>(schema: T) => ({ 'application/json': { schema } });

function presentShared(s: SubscriptionRow) {
  return {
    id: s.id,
    number: s.number,
    status: s.status,
    product: { id: s.product_id, name: s.product_name },
    period: {
      id: s.period_id,
      code: s.period_code,
      name: s.period_name,
      length_unit: s.period_length_unit,
      length_count: s.period_length_count,
    },
    payment_method: s.payment_method,
    customer: { id: s.customer_id, email: s.customer_email },
    start_date: s.start_date,
    current_period_end: s.current_period_end,
    // Until the subscription workflow renews, the next period starts when the current one ends.
    next_renewal_date: s.current_period_end,
    created_at: s.created_at.toISOString(),
  };
}

export const presentSubscriptionListItem = (s: SubscriptionRow) => ({ ...presentShared(s), order_id: s.order_id });

export const presentSubscription = (s: SubscriptionDetailsRow) => ({
  ...presentShared(s),
  order: { id: s.order.id, number: Number(s.order.number), status: s.order.status },
});

export const subscriptionRoutes = createResourceApp();

subscriptionRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['subscriptions'],
    summary: 'List subscriptions, newest first',
    middleware: [requireScope('orders:read')],
    description:
      'Needs `orders:read`. Keyset pagination on (created_at, id) descending: pass `next_cursor` back as ' +
      '`cursor` with the same filters. `customer_email` matches exactly, regardless of case.',
    request: { query: subscriptionListQuerySchema },
    responses: {
      200: { description: 'One page of subscriptions', content: json(subscriptionListSchema) },
      ...problemResponses(400, 401, 403),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const after = decodeCursor<{ t: string; id: string }>(
      q.cursor,
      ['t', 'id'],
      (v) => isTimestamp(v.t) && isUuid(v.id),
    );
    const rows = await listSubscriptions(
      c.var.deps.db,
      c.var.auth.tenantId,
      { status: q.status, customerEmail: q.customer_email, productId: q.product_id },
      { after: after && { createdAt: after.t, id: after.id }, limit: q.limit + 1 },
    );
    return c.json(
      keysetPage(rows, q.limit, presentSubscriptionListItem, (last) => ({ t: last.created_at_key, id: last.id })),
      200,
    );
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    tags: ['subscriptions'],
    summary: 'One subscription with the order that bought it',
    middleware: [requireScope('orders:read')],
    description: "Needs `orders:read`. Another tenant's subscription is `404 not_found`, like an unknown id.",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'The subscription', content: json(subscriptionSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!uuidParam.safeParse(id).success) throw problems.notFound('subscription');
    const row = await findSubscription(c.var.deps.db, c.var.auth.tenantId, id);
    if (!row) throw problems.notFound('subscription');
    return c.json(presentSubscription(row), 200);
  },
);
