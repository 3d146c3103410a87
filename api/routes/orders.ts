import { createHash } from 'node:crypto';
import { createRoute, z } from '@hono/zod-openapi';
import {
  WithStartWorkflowOperation,
  WorkflowExecutionAlreadyStartedError,
  WorkflowUpdateFailedError,
} from '@temporalio/client';
import type { Db } from '../../db/database';
import { loadOrderDetails } from '../../db/queries/order-details';
import {
  claimIdempotencyKey,
  nextOrderNumber,
  releaseIdempotencyLease,
  renewIdempotencyIdentity,
} from '../../db/queries/order-numbers';
import { loadOrderSummary } from '../../db/queries/order-summary';
import type { OrderSubmission, OrderWorkflowStart, SubmitResult } from '../../workflows/order-messages';
import { ORDER_INTAKE_UNAVAILABLE, orderWorkflowId, submitOrderUpdate } from '../../workflows/order-messages';
import type { orderWorkflow } from '../../workflows/order-workflow';
import { OrderNumberKey, OrderStatusKey, TenantIdKey } from '../../workflows/search-attributes';
import { recordOrderStarted } from '../../runtime/metrics';
import { admitOrderCreate } from '../admission';
import { createResourceApp } from '../resource-app';
import { requireAnyScope, requireScope } from '../auth';
import { answerOrder, resumeAttempt, sendAnswer, settleInFlight, submitUpdateId } from '../order-idempotency';
import { waitForOrderStatus } from '../order-status-wait';
import { ORDER_STATUSES } from '../../domain/order-status';
import { ApiProblem, problems } from '../problem';
import { problemResponses } from '../schemas/common';
import { type OrderRequest, orderRequestSchema } from '../schemas/order-request';
import { orderDetailsSchema, orderSummarySchema } from '../schemas/order-response';
import { orderDetailsXmlExample, orderSummaryXmlExample } from '../schemas/order-xml-examples';
import { xmlContent, xmlWhenAsked } from '../xml-responses';

const DEFAULT_WAIT_S = 20;
const MAX_WAIT_S = 30;
const ORDER_STATUS_LIST = new RegExp(`^(${ORDER_STATUSES.join('|')})(,(${ORDER_STATUSES.join('|')}))*$`);

/** Stable hash of the body: key order inside objects does not make a different request. */
function requestHash(body: unknown): string {
  const canonical = (value: unknown): unknown =>
    Array.isArray(value)
      ? value.map(canonical)
      : value && typeof value === 'object'
        ? Object.fromEntries(
            Object.keys(value)
              .sort()
              .map((k) => [k, canonical((value as Record<string, unknown>)[k])]),
          )
        : value;
  return createHash('sha256')
    .update(JSON.stringify(canonical(body)))
    .digest('hex');
}

const idempotencyKeyHeader = z
  .string()
  .min(1)
  .max(200)
  .regex(/^[\x21-\x7e]+$/, 'printable ASCII without spaces')
  .optional();

export const orderRoutes = createResourceApp();

orderRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/',
    // XML for a client that prefers it; a stored idempotent answer is converted the same way.
    middleware: [requireScope('orders:write'), xmlWhenAsked('order'), admitOrderCreate],
    tags: ['orders'],
    summary: 'Place an order: validated, priced, seats held, payment started — in one round trip',
    description:
      "Starts the order's workflow with Update-with-Start and answers with its `submit` result. " +
      'Retrying with the same `Idempotency-Key` and body answers the same again. ' +
      '`Accept: application/xml` answers XML (root `<order>`; docs/xml.md), a replay too.',
    request: {
      headers: z.object({ 'idempotency-key': idempotencyKeyHeader }),
      body: { required: true, content: { 'application/json': { schema: orderRequestSchema } } },
    },
    responses: {
      201: {
        description: 'Order accepted',
        headers: { Location: { schema: { type: 'string' } } },
        content: { 'application/json': { schema: orderSummarySchema }, ...xmlContent(orderSummaryXmlExample) },
      },
      ...problemResponses(400, 401, 403, 409, 413, 415, 422, 503),
    },
  }),
  async (c) => {
    const request = c.req.valid('json');
    const key = c.req.valid('header')['idempotency-key'];
    const { db } = c.get('deps');
    const { tenantId, tenantSlug } = c.get('auth');
    const hash = requestHash(request);

    let identity: { orderId: string; orderNumber: number };
    if (key) {
      // The lease ends with this request's deadline: a retry after our answer is never blocked.
      const claim = await claimIdempotencyKey(db, tenantId, key, hash, c.get('deadline') - Date.now());
      if (claim.kind === 'mismatch')
        throw problems.unprocessable(
          'idempotency_key_reused',
          'This Idempotency-Key was used with a different request body',
        );
      if (claim.kind === 'in_flight') {
        const { orderId, orderNumber } = claim;
        const settled =
          orderId && orderNumber
            ? await settleInFlight(c, key, { orderId, orderNumber }, orderWorkflowId(tenantSlug, orderNumber))
            : undefined;
        if (settled) return settled as never;
        const detail = 'A request with this Idempotency-Key is still being processed; retry shortly';
        throw problems.conflict('request_in_progress', detail);
      }
      if (claim.kind === 'replay') return sendAnswer(c, claim, claim.orderId) as never;
      identity = claim;
      if (claim.kind === 'resume') {
        const resumed = await resumeAttempt(c, key, claim, orderWorkflowId(tenantSlug, claim.orderNumber));
        if ('response' in resumed) return resumed.response as never;
        identity = resumed.identity;
      }
    } else {
      identity = { orderId: crypto.randomUUID(), orderNumber: await nextOrderNumber(db, tenantId) };
    }

    try {
      const result = await submitOrder(c, request, hash, identity);
      if (result.ok) recordOrderStarted(request.payment_method);
      const { status, body } = result.ok
        ? { status: 201, body: await placedOrderSummary(db, tenantId, identity.orderId) }
        : { status: 422, body: businessErrorBody(result.errors, c.req.path) };
      return answerOrder(c, key, identity.orderId, status, body) as never;
    } catch (error) {
      if (key) await releaseIdempotencyLease(db, tenantId, key).catch(() => undefined);
      if (
        error instanceof WorkflowUpdateFailedError &&
        (error.cause as { type?: string } | undefined)?.type === ORDER_INTAKE_UNAVAILABLE
      ) {
        // That workflow has ended and its id cannot run again: the key moves on to a fresh order
        // identity, so the retry is a new attempt. (If the database is down now, the retry's
        // resumeAttempt finds the failed workflow and renews the key then.)
        if (key) await renewIdempotencyIdentity(db, tenantId, key, identity.orderId, true).catch(() => undefined);
        throw new ApiProblem(
          503,
          'order_intake_unavailable',
          'Service Unavailable',
          'The order could not be taken right now; nothing was held. Retry later.',
          undefined,
          { 'Retry-After': '5' },
        );
      }
      if (error instanceof WorkflowExecutionAlreadyStartedError) {
        // The workflow ran to its end before; its stored order is the answer.
        const summary = await loadOrderSummary(db, tenantId, identity.orderId);
        if (summary) return answerOrder(c, key, identity.orderId, 201, summary) as never;
        throw problems.conflict(
          'order_already_processed',
          'This request was already processed and rejected; send it with a new Idempotency-Key',
        );
      }
      throw error;
    }

    async function submitOrder(
      ctx: typeof c,
      body: OrderRequest,
      requestHashValue: string,
      id: { orderId: string; orderNumber: number },
    ): Promise<SubmitResult> {
      const start: OrderWorkflowStart = {
        tenantId,
        tenantSlug,
        orderId: id.orderId,
        orderNumber: id.orderNumber,
        ...(ctx.get('deps').preliminaryWindowOverrideMs
          ? { preliminaryWindowOverrideMs: ctx.get('deps').preliminaryWindowOverrideMs }
          : {}),
        ...(ctx.get('deps').approvalWindowOverrideMs
          ? { approvalWindowOverrideMs: ctx.get('deps').approvalWindowOverrideMs }
          : {}),
        ...(ctx.get('deps').subscriptionDayMsOverride
          ? { subscriptionDayMsOverride: ctx.get('deps').subscriptionDayMsOverride }
          : {}),
      };
      const submission: OrderSubmission = {
        request: body,
        requestHash: requestHashValue,
        canOverridePrice: ctx.get('auth').scopes.has('orders:price_override'),
      };
      const operation = new WithStartWorkflowOperation<typeof orderWorkflow>('orderWorkflow', {
        workflowId: orderWorkflowId(tenantSlug, id.orderNumber),
        taskQueue: ctx.get('deps').taskQueue,
        args: [start],
        workflowIdConflictPolicy: 'USE_EXISTING',
        // A finished order's id is never reused for a second run.
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
        staticSummary:
          `Order ${id.orderNumber} (${tenantSlug}) · ${body.payment_method} · ` + `${body.lines.length} line(s)`,
        typedSearchAttributes: [
          { key: OrderNumberKey, value: String(id.orderNumber) },
          { key: OrderStatusKey, value: 'received' },
          { key: TenantIdKey, value: tenantId },
        ],
      });
      return ctx.get('deps').temporal.workflow.executeUpdateWithStart(submitOrderUpdate, {
        args: [submission],
        // One Update id per order: a retried POST is deduplicated by the server.
        updateId: submitUpdateId(id.orderId),
        startWorkflowOperation: operation,
      });
    }
  },
);

orderRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    middleware: [requireAnyScope('orders:read', 'orders:write'), xmlWhenAsked('order')],
    tags: ['orders'],
    summary: 'One order: status, lines, participants, payments, documents, timeline',
    description:
      'With `wait_for` the answer waits (a long poll) until the order is in one of the listed statuses, or in ' +
      'one it does not leave by itself (`completed`, `cancelled`, `expired`, `rejected`, `needs_attention`), ' +
      'or `timeout` passed; then it answers 200 with the order as it is — check its `status`. The wait is ' +
      'woken by the database (no polling) and is bounded by the request deadline.',
    request: {
      params: z.object({ id: z.string() }),
      query: z.object({
        wait_for: z
          .string()
          .regex(ORDER_STATUS_LIST, 'A comma-separated list of order statuses')
          .optional()
          .openapi({ example: 'completed,invoiced', description: 'Statuses to wait for, comma-separated' }),
        timeout: z
          .string()
          .regex(/^\d{1,2}s?$/, 'Seconds, e.g. 20 or 20s (at most 30)')
          .optional()
          .openapi({ example: '20s', description: `How long to wait, at most 30 s (default ${DEFAULT_WAIT_S} s)` }),
      }),
    },
    responses: {
      200: {
        description: 'The order (`Accept: application/xml`: XML, root `<order>`; docs/xml.md)',
        content: { 'application/json': { schema: orderDetailsSchema }, ...xmlContent(orderDetailsXmlExample) },
      },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    const { wait_for: waitFor, timeout } = c.req.valid('query');
    // Another tenant's order, or no order at all: the same 404, so ids cannot be probed.
    if (!z.string().uuid().safeParse(id).success) throw problems.notFound('order');
    if (waitFor) {
      // Answer a second before the request deadline would.
      const seconds = Math.min(MAX_WAIT_S, timeout ? Number.parseInt(timeout, 10) : DEFAULT_WAIT_S);
      const timeoutMs = Math.min(seconds * 1000, c.get('deadline') - Date.now() - 1000);
      const scope = { tenantId: c.get('auth').tenantId, orderId: id };
      await waitForOrderStatus(c.get('deps'), scope, new Set(waitFor.split(',')), timeoutMs);
    }
    const details = await loadOrderDetails(c.get('deps').db, c.get('auth').tenantId, id);
    if (!details) throw problems.notFound('order');
    return c.json(details as z.infer<typeof orderDetailsSchema>, 200);
  },
);

function businessErrorBody(
  errors: { code: string; message: string; field?: string; index?: number }[],
  instance: string,
) {
  return {
    type: 'https://docs.order-orchestrator.dev/problems/order_invalid',
    title: 'Unprocessable Content',
    status: 422,
    code: errors.length === 1 ? errors[0]!.code : 'order_invalid',
    detail: `The order was not accepted: ${errors.map((e) => e.message).join('; ')}`,
    errors,
    instance,
  };
}

/** The workflow answers only "taken"; what the client gets is read from PostgreSQL, which owns it. */
async function placedOrderSummary(db: Db, tenantId: string, orderId: string) {
  const summary = await loadOrderSummary(db, tenantId, orderId);
  if (!summary) throw new Error(`order ${orderId} was taken but is not in the database`);
  return summary;
}
