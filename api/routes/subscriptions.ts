import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import {
  findSubscription,
  listSubscriptions,
  type SubscriptionDetailsRow,
  type SubscriptionRow,
} from '../../db/queries/subscriptions';
import {
  cancelSubscriptionUpdate,
  changeSubscriptionPeriodUpdate,
  pauseSubscriptionUpdate,
  resumeSubscriptionUpdate,
  type SubscriptionChangeResult,
  subscriptionWorkflowId,
} from '../../workflows/subscription-messages';
import type { AppEnv } from '../app-env';
import { requireScope } from '../auth';
import { decodeCursor, isTimestamp, isUuid, keysetPage } from '../cursor';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { problemResponses, uuidParam } from '../schemas/common';
import {
  cancelSubscriptionBody,
  changeSubscriptionPeriodBody,
  emptySubscriptionBody,
  subscriptionChangedSchema,
  subscriptionIdempotencyKeyHeader,
  subscriptionListQuerySchema,
  subscriptionListSchema,
  subscriptionSchema,
} from '../schemas/subscriptions';
import {
  findSubscriptionToChange,
  subscriptionUpdateId,
  subscriptionUpdateProblem,
} from '../subscription-workflow-calls';

// Reading subscriptions (issue 13, point 5) and changing them (point 4). The rows are made when an
// order with a subscription line completes; every change goes through the subscription's workflow,
// which decides it and writes it, so the answer is read back from PostgreSQL afterwards.

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
    // The workflow renews on the day the paid period ends, unless nothing is to be renewed.
    next_renewal_date:
      s.status === 'cancelled' || s.status === 'paused' || s.cancel_at_period_end ? null : s.current_period_end,
    cancel_at_period_end: s.cancel_at_period_end,
    created_at: s.created_at.toISOString(),
  };
}

export const presentSubscriptionListItem = (s: SubscriptionRow) => ({ ...presentShared(s), order_id: s.order_id });

/** A timestamp read inside JSON arrives as text, outside it as a Date: the same ISO string for both. */
const isoOrNull = (value: Date | string | null) => (value === null ? null : new Date(value).toISOString());

export const presentSubscription = (s: SubscriptionDetailsRow) => ({
  ...presentShared(s),
  order: { id: s.order.id, number: Number(s.order.number), status: s.order.status },
  periods: s.periods.map((cycle) => ({
    sequence: cycle.sequence,
    start_date: cycle.start_date,
    end_date: cycle.end_date,
    status: cycle.status,
    order: { id: cycle.order_id, number: Number(cycle.order_number), status: cycle.order_status },
    documents: cycle.documents.map((d) => ({ id: d.id, kind: d.kind, number: d.document_number })),
  })),
  cancelled_at: isoOrNull(s.cancelled_at),
  cancel_reason: s.cancel_reason,
  paused_at: isoOrNull(s.paused_at),
  next_period: s.next_period,
  saved_card: s.saved_card,
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
      c.get('deps').db,
      c.get('auth').tenantId,
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
    summary: 'One subscription with the order that bought it and its periods',
    middleware: [requireScope('orders:read')],
    description:
      "Needs `orders:read`. Another tenant's subscription is `404 not_found`, like an unknown id. `periods` " +
      'lists every period by sequence with the order that pays for it and that order’s documents.',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'The subscription', content: json(subscriptionSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!uuidParam.safeParse(id).success) throw problems.notFound('subscription');
    const row = await findSubscription(c.get('deps').db, c.get('auth').tenantId, id);
    if (!row) throw problems.notFound('subscription');
    return c.json(presentSubscription(row), 200);
  },
);

// Changing a subscription. Each change is an Update of the subscription's workflow, which checks the
// rules (domain/subscription-state.ts) and writes the row before it answers.

type ChangeHandle = ReturnType<Context<AppEnv>['var']['deps']['temporal']['workflow']['getHandle']>;

interface Change {
  /** Part of the Update id, and so of what an Idempotency-Key deduplicates. */
  name: string;
  /** The body field a 422 names. */
  field: string;
  send: (handle: ChangeHandle, updateId: string | undefined) => Promise<SubscriptionChangeResult>;
}

async function changeSubscription(c: Context<AppEnv>, id: string, key: string | undefined, change: Change) {
  const subscription = await findSubscriptionToChange(c, id);
  const handle = c
    .get('deps')
    .temporal.workflow.getHandle(subscriptionWorkflowId(c.get('auth').tenantSlug, Number(subscription.number)));
  let result: SubscriptionChangeResult;
  try {
    result = await change.send(handle, subscriptionUpdateId(change.name, key));
  } catch (error) {
    throw subscriptionUpdateProblem(error, change.field);
  }
  const row = await findSubscription(c.get('deps').db, c.get('auth').tenantId, subscription.id);
  if (!row) throw problems.notFound('subscription');
  return { ...presentSubscription(row), ...(result.credit ? { credit: result.credit } : {}) };
}

const idParam = z.object({ id: z.string() });
const changeHeaders = z.object({ 'idempotency-key': subscriptionIdempotencyKeyHeader });
const CHANGE_DESCRIPTION =
  'Needs `orders:write`. Sent to the subscription’s workflow as an Update; the answer is the subscription as ' +
  '`GET /v1/subscriptions/{id}` shows it afterwards. The same `Idempotency-Key` asks the same change once. ' +
  '409 names the rule that refuses it (`subscription_cancelled` once it has ended). ';
const changeResponses = {
  200: { description: 'Changed', content: json(subscriptionChangedSchema) },
  ...problemResponses(400, 401, 403, 404, 409, 415, 422, 503),
};

subscriptionRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/cancel',
    tags: ['subscriptions'],
    summary: 'Cancel a subscription at the end of its period or at once',
    middleware: [requireScope('orders:write')],
    description:
      CHANGE_DESCRIPTION +
      '`at: period_end` (default) lets it run to the end of the paid period (409 `subscription_not_active` unless ' +
      'it is active or paused); `at: now` ends it at once and credits the unused part (`credit`; 409 ' +
      '`renewal_in_progress` while a renewal is being charged).',
    request: {
      params: idParam,
      headers: changeHeaders,
      body: { required: false, content: json(cancelSubscriptionBody) },
    },
    responses: changeResponses,
  }),
  async (c) => {
    const body = c.req.valid('json');
    const answer = await changeSubscription(c, c.req.valid('param').id, c.req.valid('header')['idempotency-key'], {
      name: 'cancel',
      field: 'at',
      send: (handle, updateId) =>
        handle.executeUpdate(cancelSubscriptionUpdate, {
          args: [{ at: body.at, ...(body.reason === undefined ? {} : { reason: body.reason }) }],
          updateId,
        }),
    });
    return c.json(answer, 200);
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/pause',
    tags: ['subscriptions'],
    summary: 'Pause an active subscription: it renews no more until resumed',
    middleware: [requireScope('orders:write')],
    description:
      CHANGE_DESCRIPTION +
      '409 `subscription_not_active` unless active, `subscription_ending` when it is cancelled at the period ' +
      'end, `renewal_in_progress` while a renewal is being charged.',
    request: {
      params: idParam,
      headers: changeHeaders,
      body: { required: false, content: json(emptySubscriptionBody) },
    },
    responses: changeResponses,
  }),
  async (c) => {
    c.req.valid('json');
    const answer = await changeSubscription(c, c.req.valid('param').id, c.req.valid('header')['idempotency-key'], {
      name: 'pause',
      field: 'id',
      send: (handle, updateId) => handle.executeUpdate(pauseSubscriptionUpdate, { updateId }),
    });
    return c.json(answer, 200);
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/resume',
    tags: ['subscriptions'],
    summary: 'Resume a paused subscription',
    middleware: [requireScope('orders:write')],
    description: `${CHANGE_DESCRIPTION}409 \`subscription_not_paused\` unless it is paused.`,
    request: {
      params: idParam,
      headers: changeHeaders,
      body: { required: false, content: json(emptySubscriptionBody) },
    },
    responses: changeResponses,
  }),
  async (c) => {
    c.req.valid('json');
    const answer = await changeSubscription(c, c.req.valid('param').id, c.req.valid('header')['idempotency-key'], {
      name: 'resume',
      field: 'id',
      send: (handle, updateId) => handle.executeUpdate(resumeSubscriptionUpdate, { updateId }),
    });
    return c.json(answer, 200);
  },
);

subscriptionRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/period',
    tags: ['subscriptions'],
    summary: 'Change the period a subscription renews on, from the next renewal',
    middleware: [requireScope('orders:write')],
    description:
      CHANGE_DESCRIPTION +
      '409 `subscription_ending` when it is cancelled at the period end. 422 (`errors[]` naming `period_id`): ' +
      '`period_not_found` (not a period of the same product), `period_inactive`, ' +
      '`payment_method_not_allowed_for_period` (the period does not take the subscription’s payment method).',
    request: {
      params: idParam,
      headers: changeHeaders,
      body: { required: true, content: json(changeSubscriptionPeriodBody) },
    },
    responses: changeResponses,
  }),
  async (c) => {
    const body = c.req.valid('json');
    const answer = await changeSubscription(c, c.req.valid('param').id, c.req.valid('header')['idempotency-key'], {
      name: 'period',
      field: 'period_id',
      send: (handle, updateId) =>
        handle.executeUpdate(changeSubscriptionPeriodUpdate, { args: [{ periodId: body.period_id }], updateId }),
    });
    return c.json(answer, 200);
  },
);
