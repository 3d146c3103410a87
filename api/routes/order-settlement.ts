import { createRoute, z } from '@hono/zod-openapi';
import { type SettleOrderRequest, settleOrderUpdate } from '../../workflows/order-messages';
import { describeActor, recordOperatorAction } from '../../db/queries/operator-actions';
import { operatorOf, requireScope } from '../auth';
import { createResourceApp } from '../resource-app';
import { findOrder, orderUpdateProblem } from '../order-workflow-calls';
import { ApiProblem, problems } from '../problem';
import { operatorReason, problemResponses } from '../schemas/common';

const settleBody = z
  .strictObject({
    action: z.enum(['accept', 'refund', 'cancel']).openapi({
      description:
        '`accept` the payment as it came (books the order; only for a payment that differs from the order), ' +
        '`refund` everything the ledger holds (cancels an unbooked order without fee), or `cancel` ' +
        'the order under the ' +
        "tenant's fee and refund the rest",
    }),
    reason: operatorReason,
    refund_via: z.enum(['provider', 'manual']).optional().openapi({
      description: '`manual`: the operator refunds by bank transfer (recorded as owed) instead of through the provider',
    }),
  })
  .openapi('SettleOrderRequest');

const settleResult = z
  .object({
    status: z.string(),
    refund_amount: z.number().int(),
    attention_reason: z.string().nullable().openapi({ description: 'Set when the provider refused the refund again' }),
  })
  .openapi('SettleOrderResult');

export const orderSettlementRoutes = createResourceApp();

orderSettlementRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/settle',
    middleware: [requireScope('ops')],
    tags: ['orders'],
    summary: 'Settle an order that needs attention (operators, scope ops)',
    description:
      'An order goes to `needs_attention` when a payment differs from what it asked for, or when the ' +
      'provider refuses a refund. An operator decides here; the decision, its reason and the API key that ' +
      'asked go to the timeline (`operator.settle_requested`, `operator.settle_refused` on a 409). ' +
      '409 `order_not_in_attention` when the order is not waiting for one; 409 `settlement_not_allowed` for ' +
      '`accept` on a refused refund.',
    request: {
      params: z.object({ id: z.string() }),
      body: { required: true, content: { 'application/json': { schema: settleBody } } },
    },
    responses: {
      200: {
        description: 'Settled (or parked again, with the reason)',
        content: { 'application/json': { schema: settleResult } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const order = await findOrder(c, c.req.valid('param').id);
    const request: SettleOrderRequest = {
      action: body.action,
      reason: body.reason,
      ...(body.refund_via ? { refundVia: body.refund_via } : {}),
    };
    // Who asked, and why, goes to the timeline before the workflow acts (its own events then say
    // what the settlement did); a refusal is recorded too, so the entry never stands alone.
    const scope = { tenantId: c.get('auth').tenantId, orderId: order.id };
    const actor = operatorOf(c);
    const via = body.refund_via ? `, refund via ${body.refund_via}` : '';
    await recordOperatorAction(c.get('deps').db, scope, actor, {
      type: 'operator.settle_requested',
      message: `Settlement (${body.action}${via}) asked by ${describeActor(actor)}: ${body.reason}`,
      reason: body.reason,
      data: { action: body.action, refund_via: body.refund_via ?? 'provider' },
    });
    let problem: unknown;
    try {
      const result = await c
        .get('deps')
        .temporal.workflow.getHandle(order.workflow_id)
        .executeUpdate(settleOrderUpdate, { args: [request] });
      if (!result.ok) throw problems.conflict(result.code, result.message);
      const { ok: _ok, ...rest } = result;
      return c.json(rest, 200);
    } catch (error) {
      problem = orderUpdateProblem(error, 'order_not_in_attention', 'The order is not waiting for an operator');
    }
    if (problem instanceof ApiProblem && problem.status === 409) {
      await recordOperatorAction(c.get('deps').db, scope, actor, {
        type: 'operator.settle_refused',
        message: `Settlement (${body.action}) refused: ${problem.code}`,
        reason: body.reason,
        data: { action: body.action, code: problem.code },
      });
    }
    throw problem;
  },
);
