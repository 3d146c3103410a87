import { createRoute, z } from '@hono/zod-openapi';
import { listEndpointDeliveries, redeliver, type WebhookDeliveryRow } from '../../db/queries/webhook-deliveries';
import {
  deleteWebhookEndpoint,
  getWebhookEndpoint,
  insertWebhookEndpoint,
  listWebhookEndpoints,
  rotateWebhookSecret,
  updateWebhookEndpoint,
  type WebhookEndpointRow,
} from '../../db/queries/webhook-endpoints';
import { generateWebhookSecret, PREVIOUS_SECRET_VALIDITY_MS, type WebhookEventType } from '../../domain/webhook-events';
import { requireAnyScope, requireScope } from '../auth';
import { decodeCursor, isTimestamp, isUuid, keysetPage } from '../cursor';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { limitQuery, problemResponses } from '../schemas/common';
import {
  webhookDeliveryListSchema,
  webhookDeliverySchema,
  webhookEndpointCreateSchema,
  webhookEndpointListSchema,
  webhookEndpointPatchSchema,
  webhookEndpointSchema,
  webhookEndpointWithSecretSchema,
} from '../schemas/webhook-endpoints';

// A tenant's outbound webhook endpoints, their delivery log and redelivery (docs/webhooks-outbound.md).
// Sending is the worker's (activities/notifications/webhook-dispatcher.ts); these routes only
// change rows. Another tenant's endpoint is 404, like an unknown id.

/** A tenant has few integrations; this bounds the fan-out's work per event. */
const MAX_ENDPOINTS_PER_TENANT = 50;

const json = <T>(schema: T) => ({ 'application/json': { schema } });
const locationHeader = { Location: { schema: { type: 'string' as const } } };
const idParams = z.object({ id: z.string() });
const readScopes = requireAnyScope('webhooks:read', 'webhooks:write');

function presentEndpoint(row: WebhookEndpointRow): z.infer<typeof webhookEndpointSchema> {
  const previousValid = row.previous_secret_expires_at && row.previous_secret_expires_at > new Date();
  return {
    id: row.id,
    url: row.url,
    event_types: row.event_types,
    description: row.description,
    enabled: row.enabled,
    previous_secret_expires_at: previousValid ? (row.previous_secret_expires_at?.toISOString() ?? null) : null,
    created_at: row.created_at.toISOString(),
    updated_at: row.updated_at.toISOString(),
  };
}

function presentDelivery(row: WebhookDeliveryRow): z.infer<typeof webhookDeliverySchema> {
  const order = (row.payload.data as { order?: { id?: string } } | undefined)?.order;
  return {
    id: row.id,
    event_type: row.event_type as WebhookEventType,
    order_id: order?.id ?? null,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.status === 'pending' ? row.next_attempt_at.toISOString() : null,
    last_attempt_at: row.last_attempt_at?.toISOString() ?? null,
    last_status_code: row.last_status_code,
    last_error: row.last_error,
    delivered_at: row.delivered_at?.toISOString() ?? null,
    created_at: row.created_at.toISOString(),
    payload: row.payload,
  };
}

/** Each public event type once, in the order given. */
const distinct = (types: readonly WebhookEventType[]) => [...new Set(types)];

export const webhookEndpointRoutes = createResourceApp();

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    tags: ['webhooks'],
    summary: 'Register an endpoint for outbound webhooks',
    middleware: [requireScope('webhooks:write')],
    description:
      'Needs `webhooks:write`. The answer carries the signing secret — the only time it is shown. ' +
      'Events that happen from now on and match `event_types` are POSTed to `url`, signed in the ' +
      `Standard Webhooks scheme. At most ${MAX_ENDPOINTS_PER_TENANT} endpoints per tenant ` +
      '(`422 webhook_endpoint_limit`).',
    request: { body: { required: true, content: json(webhookEndpointCreateSchema) } },
    responses: {
      201: { description: 'Created', headers: locationHeader, content: json(webhookEndpointWithSecretSchema) },
      ...problemResponses(400, 401, 403, 413, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const { db } = c.get('deps');
    const tenantId = c.get('auth').tenantId;
    const existing = await listWebhookEndpoints(db, tenantId, { limit: MAX_ENDPOINTS_PER_TENANT });
    if (existing.length >= MAX_ENDPOINTS_PER_TENANT)
      throw problems.unprocessable(
        'webhook_endpoint_limit',
        `A tenant has at most ${MAX_ENDPOINTS_PER_TENANT} webhook endpoints; delete one first`,
      );
    const secret = generateWebhookSecret();
    const row = await insertWebhookEndpoint(db, {
      tenantId,
      url: body.url,
      eventTypes: distinct(body.event_types),
      description: body.description ?? null,
      secret,
      enabled: body.enabled ?? true,
    });
    c.header('Location', `/v1/webhook-endpoints/${row.id}`);
    return c.json({ ...presentEndpoint(row), secret }, 201);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    tags: ['webhooks'],
    summary: "The tenant's webhook endpoints, oldest first",
    middleware: [readScopes],
    description: 'Needs `webhooks:read` or `webhooks:write`. Secrets are never listed.',
    responses: {
      200: { description: 'Every endpoint of the tenant', content: json(webhookEndpointListSchema) },
      ...problemResponses(401, 403),
    },
  }),
  async (c) => {
    const rows = await listWebhookEndpoints(c.get('deps').db, c.get('auth').tenantId, {
      limit: MAX_ENDPOINTS_PER_TENANT,
    });
    return c.json({ data: rows.map(presentEndpoint) }, 200);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    tags: ['webhooks'],
    summary: 'One webhook endpoint',
    middleware: [readScopes],
    request: { params: idParams },
    responses: {
      200: { description: 'The endpoint (without its secret)', content: json(webhookEndpointSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const row = await findEndpoint(c.get('deps').db, c.get('auth').tenantId, c.req.valid('param').id);
    return c.json(presentEndpoint(row), 200);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    tags: ['webhooks'],
    summary: "Change an endpoint's URL, event types, description or whether it is enabled",
    middleware: [requireScope('webhooks:write')],
    description:
      'Needs `webhooks:write`. A disabled endpoint gets no new deliveries, and its pending ones wait ' +
      'until it is enabled again. Changed event types apply to events from now on.',
    // No body is `{}` (request-rules.ts), a change of nothing: the body is optional.
    request: { params: idParams, body: { required: false, content: json(webhookEndpointPatchSchema) } },
    responses: {
      200: { description: 'The changed endpoint', content: json(webhookEndpointSchema) },
      ...problemResponses(400, 401, 403, 404, 413, 415),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    if (!isUuid(id)) throw problems.notFound('webhook endpoint');
    const row = await updateWebhookEndpoint(c.get('deps').db, c.get('auth').tenantId, id, {
      url: body.url,
      eventTypes: body.event_types ? distinct(body.event_types) : undefined,
      description: body.description,
      enabled: body.enabled,
    });
    if (!row) throw problems.notFound('webhook endpoint');
    return c.json(presentEndpoint(row), 200);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    tags: ['webhooks'],
    summary: 'Delete an endpoint and its delivery log',
    middleware: [requireScope('webhooks:write')],
    request: { params: idParams },
    responses: { 204: { description: 'Deleted' }, ...problemResponses(401, 403, 404) },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id) || !(await deleteWebhookEndpoint(c.get('deps').db, c.get('auth').tenantId, id)))
      throw problems.notFound('webhook endpoint');
    return c.body(null, 204);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/rotate-secret',
    tags: ['webhooks'],
    summary: 'A new signing secret; the old one is still signed with for 24 hours',
    middleware: [requireScope('webhooks:write')],
    description:
      'Needs `webhooks:write`. From now on every request carries two signatures in ' +
      '`webhook-signature` (new and old secret, space-separated) until `previous_secret_expires_at`, ' +
      'so receivers can switch secrets without missing an event. Rotating again replaces the old one.',
    request: { params: idParams },
    responses: {
      200: { description: 'The endpoint with its new secret', content: json(webhookEndpointWithSecretSchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id)) throw problems.notFound('webhook endpoint');
    const secret = generateWebhookSecret();
    const row = await rotateWebhookSecret(c.get('deps').db, c.get('auth').tenantId, id, {
      secret,
      previousValidMs: PREVIOUS_SECRET_VALIDITY_MS,
    });
    if (!row) throw problems.notFound('webhook endpoint');
    return c.json({ ...presentEndpoint(row), secret }, 200);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/deliveries',
    tags: ['webhooks'],
    summary: "The endpoint's deliveries, newest first, with their attempts",
    middleware: [readScopes],
    description: 'Needs `webhooks:read` or `webhooks:write`. Page with `next_cursor`.',
    request: {
      params: idParams,
      query: z.strictObject({ limit: limitQuery, cursor: z.string().max(500).optional() }),
    },
    responses: {
      200: { description: 'Deliveries, newest first', content: json(webhookDeliveryListSchema) },
      ...problemResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const { db } = c.get('deps');
    const tenantId = c.get('auth').tenantId;
    const q = c.req.valid('query');
    const endpoint = await findEndpoint(db, tenantId, c.req.valid('param').id);
    const before = decodeCursor<{ t: string; i: string }>(q.cursor, ['t', 'i'], (v) => isTimestamp(v.t) && isUuid(v.i));
    const rows = await listEndpointDeliveries(
      db,
      { tenantId, endpointId: endpoint.id },
      { limit: q.limit + 1, ...(before ? { before: { createdAt: new Date(before.t), id: before.i } } : {}) },
    );
    const page = keysetPage(rows, q.limit, presentDelivery, (last) => ({
      t: last.created_at.toISOString(),
      i: last.id,
    }));
    return c.json(page, 200);
  },
);

webhookEndpointRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/deliveries/{delivery_id}/redeliver',
    tags: ['webhooks'],
    summary: 'Send a delivery again, now',
    middleware: [requireScope('webhooks:write')],
    description:
      'Needs `webhooks:write`. Whatever its status, the delivery becomes pending and due at once with ' +
      'a fresh budget of attempts; the worker sends it within a second or so, with the same ' +
      '`webhook-id` (receivers that deduplicate see a repeat) and a fresh timestamp and signature. ' +
      "404 `delivery_not_found` for an id that is not one of the endpoint's deliveries.",
    request: { params: z.object({ id: z.string(), delivery_id: z.string() }) },
    responses: {
      202: { description: 'Pending again, due now', content: json(webhookDeliverySchema) },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { db } = c.get('deps');
    const tenantId = c.get('auth').tenantId;
    const { id, delivery_id: deliveryId } = c.req.valid('param');
    const endpoint = await findEndpoint(db, tenantId, id);
    const row = isUuid(deliveryId) ? await redeliver(db, { tenantId, endpointId: endpoint.id, deliveryId }) : undefined;
    if (!row) throw problems.notFound('delivery of this endpoint', 'delivery_not_found');
    return c.json(presentDelivery(row), 202);
  },
);

async function findEndpoint(
  db: Parameters<typeof getWebhookEndpoint>[0],
  tenantId: string,
  id: string,
): Promise<WebhookEndpointRow> {
  const row = isUuid(id) ? await getWebhookEndpoint(db, tenantId, id) : undefined;
  if (!row) throw problems.notFound('webhook endpoint');
  return row;
}
