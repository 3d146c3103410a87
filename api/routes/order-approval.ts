import { createRoute, z } from '@hono/zod-openapi';
import { describeActor, recordOperatorAction } from '../../db/queries/operator-actions';
import { type ApprovalDecision, decideApprovalUpdate } from '../../workflows/order-messages';
import { operatorOf, requireScope } from '../auth';
import { findOrder, orderUpdateProblem } from '../order-workflow-calls';
import { createResourceApp } from '../resource-app';
import { operatorReason, problemResponses } from '../schemas/common';

const approvalBody = z
  .strictObject({
    decision: z.enum(['approve', 'reject']).openapi({
      description:
        '`approve`: the order goes on to its payment (a card order gets its payment page and the mail with ' +
        'its link, its payment deadline counted from now) or its booking; `reject`: it is cancelled without ' +
        'fee, everything it held is given back and the booker is told',
    }),
    reason: operatorReason,
  })
  .openapi('ApprovalDecision');

const approvalResult = z
  .object({ status: z.string().openapi({ example: 'awaiting_payment' }) })
  .openapi('ApprovalResult');

export const orderApprovalRoutes = createResourceApp();

orderApprovalRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/approval',
    middleware: [requireScope('ops')],
    tags: ['orders'],
    summary: 'Approve or reject an order held for approval (operators, scope ops)',
    description:
      'An order of a tenant (or with a product) that asks for manual approval is taken with its seats held ' +
      'and rests in `awaiting_approval` until `approval_until`. The decision runs as the workflow Update ' +
      '`decideApproval` (visible in the Temporal UI); it, its reason and the API key that asked go to the ' +
      'timeline. 409 `order_not_awaiting_approval` when the order is not (or no longer) waiting for one.',
    request: {
      params: z.object({ id: z.string() }),
      body: { required: true, content: { 'application/json': { schema: approvalBody } } },
    },
    responses: {
      200: { description: 'Decided', content: { 'application/json': { schema: approvalResult } } },
      ...problemResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const order = await findOrder(c, c.req.valid('param').id);
    const actor = operatorOf(c);
    await recordOperatorAction(c.get('deps').db, { tenantId: c.get('auth').tenantId, orderId: order.id }, actor, {
      type: 'operator.approval_decided',
      message: `${body.decision === 'approve' ? 'Approval' : 'Rejection'} asked by ${describeActor(actor)}`,
      reason: body.reason,
      data: { decision: body.decision },
    });
    const decision: ApprovalDecision = { decision: body.decision, reason: body.reason, by: actor.apiKeyName };
    try {
      const result = await c
        .get('deps')
        .temporal.workflow.getHandle(order.workflow_id)
        .executeUpdate(decideApprovalUpdate, { args: [decision] });
      return c.json(result, 200);
    } catch (error) {
      throw orderUpdateProblem(error, 'order_not_awaiting_approval', 'The order is not waiting for an approval');
    }
  },
);
