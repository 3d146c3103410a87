import { createRoute, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { type CancelOrderRequest, cancelOrderUpdate } from '../../workflows/order-messages';
import { requireAnyScope } from '../auth';
import { createResourceApp } from '../resource-app';
import type { AppEnv } from '../app-env';
import { findOrder, orderUpdateProblem } from '../order-workflow-calls';
import { type ProblemFieldError, problems } from '../problem';
import { problemResponses } from '../schemas/common';

const cancelBody = z
  .strictObject({
    reason: z.string().min(1).max(500).optional(),
    // Items are plain numbers so that a negative, fractional or repeated index reaches
    // participantIndexProblem (422 naming it) instead of a generic shape error.
    participant_indexes: z
      .array(z.number().openapi({ type: 'integer', minimum: 0 }))
      .min(1)
      .max(200)
      .optional()
      .openapi({
        uniqueItems: true,
        description:
          'Cancel only these participants (0-based, as in the order, each once); absent = the whole order. ' +
          'A negative, fractional or repeated index is `422 participant_indexes_invalid`.',
      }),
    override: z
      .boolean()
      .optional()
      .openapi({ description: 'Operators (scope ops) only: ignore the cancellation deadline; needs a reason' }),
    fee_percent: z
      .number()
      .min(0)
      .max(100)
      .optional()
      .openapi({ description: 'Operators only, with override: the fee to keep (default 0)' }),
  })
  // The route's own rule, stated: an override needs a reason (400).
  .openapi('CancelOrderRequest', {
    anyOf: [{ not: { properties: { override: { enum: [true] } }, required: ['override'] } }, { required: ['reason'] }],
  });

const cancelResult = z
  .object({
    status: z.string(),
    full: z.boolean(),
    seats_released: z.number().int(),
    fee: z
      .number()
      .int()
      .openapi({ description: 'The fee the policy keeps on the cancelled part (docs/payments.md, "Money rules")' }),
    credit_amount: z.number().int().openapi({ description: 'What this cancellation credited (the credit note total)' }),
    refund_amount: z.number().int(),
    refund_via: z.enum(['card', 'manual']).nullable(),
    credit_note_number: z.string().nullable(),
    attention_reason: z.string().nullable().openapi({
      description: 'Set when the provider refused the refund: the order went to `needs_attention` for an operator',
    }),
  })
  .openapi('CancelOrderResult');

const orderParam = z.object({ id: z.string() });

/**
 * A repeated index once made `[0, 0]` on a two-participant order count as "everyone" and cancel
 * and refund the whole order; bad indexes are refused before the workflow is asked.
 */
function participantIndexProblem(indexes: readonly number[]) {
  const seen = new Set<number>();
  const errors: ProblemFieldError[] = [];
  indexes.forEach((index, i) => {
    const field = `participant_indexes.${i}`;
    if (!Number.isInteger(index) || index < 0) {
      const message = `${index} is not a participant index (0, 1, 2, …)`;
      errors.push({ code: 'participant_indexes_invalid', message, field });
    } else if (seen.has(index)) {
      errors.push({ code: 'participant_indexes_invalid', message: `Participant index ${index} is given twice`, field });
    }
    seen.add(index);
  });
  if (errors.length === 0) return undefined;
  const detail = `participant_indexes must be distinct indexes from 0: ${errors.map((e) => e.message).join('; ')}`;
  return problems.unprocessable('participant_indexes_invalid', detail, errors);
}

async function cancel(c: Context<AppEnv>, orderId: string, body: z.infer<typeof cancelBody>) {
  const scopes = c.get('auth').scopes;
  if ((body.override || body.fee_percent !== undefined) && !scopes.has('ops')) throw problems.forbidden('ops');
  if (body.override && !body.reason)
    throw problems.badRequest('validation_failed', 'An override needs a reason', [
      { code: 'field_required', message: 'A reason is required with override', field: 'reason' },
    ]);
  const indexProblem = body.participant_indexes && participantIndexProblem(body.participant_indexes);
  if (indexProblem) throw indexProblem;
  const order = await findOrder(c, orderId);

  const request: CancelOrderRequest = {
    by: scopes.has('ops') && body.override ? 'operator' : 'client',
    ...(body.reason ? { reason: body.reason } : {}),
    ...(body.override ? { override: true, feePercent: body.fee_percent ?? 0 } : {}),
    ...(body.participant_indexes ? { participantIndexes: body.participant_indexes } : {}),
  };
  try {
    const result = await c
      .get('deps')
      .temporal.workflow.getHandle(order.workflow_id)
      .executeUpdate(cancelOrderUpdate, { args: [request] });
    if (!result.ok) throw problems.conflict(result.code, result.message);
    return result;
  } catch (error) {
    throw orderUpdateProblem(
      error,
      'order_not_cancellable',
      'The order can no longer be cancelled: its service has started or it has ended',
    );
  }
}

export const orderCancellationRoutes = createResourceApp();

orderCancellationRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/cancel',
    middleware: [requireAnyScope('orders:write', 'ops')],
    tags: ['orders'],
    summary: "Cancel an order (or some participants) under the tenant's cancellation policy",
    description:
      'Seats are released, a card payment is refunded (less the fee), an issued invoice or ' +
      'receipt gets a credit note, and the customer is emailed. 409 names the rule that forbids ' +
      'it (e.g. `cancellation_deadline_passed`, or `paid_order_not_deletable` for a paid order when the ' +
      "tenant's `paid_order_deletion` setting is `refuse`). Operators (scope `ops`) may `override` the " +
      'deadline and that setting with a reason.',
    request: { params: orderParam, body: { required: false, content: { 'application/json': { schema: cancelBody } } } },
    responses: {
      200: { description: 'Cancelled', content: { 'application/json': { schema: cancelResult } } },
      ...problemResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const result = await cancel(c, c.req.valid('param').id, body);
    const { ok: _ok, ...rest } = result;
    return c.json(rest, 200);
  },
);

orderCancellationRoutes.openapi(
  createRoute({
    method: 'delete',
    path: '/{id}',
    middleware: [requireAnyScope('orders:write', 'ops')],
    tags: ['orders'],
    summary:
      'Cancel the whole order (the DELETE clients of booking systems send): 204, or 409 naming ' +
      'the rule that forbids it',
    description:
      "A paid order is cancelled and refunded, unless the tenant's `paid_order_deletion` setting is " +
      '`refuse` (`GET /v1/settings`): then `409 paid_order_not_deletable` and nothing changes.',
    request: { params: orderParam },
    responses: { 204: { description: 'Cancelled' }, ...problemResponses(401, 403, 404, 409) },
  }),
  async (c) => {
    await cancel(c, c.req.valid('param').id, {});
    return c.body(null, 204);
  },
);
