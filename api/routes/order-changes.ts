import { loadOrderSummary } from '../../db/queries/order-summary';
import { createRoute, z } from '@hono/zod-openapi';
import { type ChangeOrderRequest, changeOrderUpdate } from '../../workflows/order-messages';
import { createResourceApp } from '../resource-app';
import { requireScope } from '../auth';
import { findOrder, orderUpdateProblem } from '../order-workflow-calls';
import { problems } from '../problem';
import { problemResponses } from '../schemas/common';
import { orderLineRequestSchema } from '../schemas/order-request';
import { MAX_CAMPAIGN_CODES } from '../../domain/campaign-codes';
import { orderSummarySchema } from '../schemas/order-response';
import { orderSummaryXmlExample } from '../schemas/order-xml-examples';
import { xmlContent, xmlWhenAsked } from '../xml-responses';

const changeBody = z
  .strictObject({
    notes: z
      .strictObject({
        mark: z.string().max(200).optional(),
        external: z.string().max(2000).optional(),
        internal: z.string().max(2000).optional(),
      })
      .optional(),
    campaign_code: z
      .string()
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: 'A new campaign code, or null to remove it (re-priced)' }),
    campaign_codes: z
      .array(z.string().max(64))
      .max(MAX_CAMPAIGN_CODES)
      .nullable()
      .optional()
      .openapi({
        description:
          "New campaign codes in the order they apply, replacing the order's (re-priced), or null to remove " +
          'them; the rules of `campaign_codes` at placement apply',
      }),
    voucher_code: z
      .string()
      .max(64)
      .nullable()
      .optional()
      .openapi({ description: 'A new voucher code, or null to remove it (re-priced)' }),
    lines: z
      .array(orderLineRequestSchema)
      .max(50)
      .optional()
      .openapi({ description: 'Replaces all lines and participants (while awaiting payment)' }),
    add_lines: z
      .array(orderLineRequestSchema)
      .max(50)
      .optional()
      .openapi({ description: 'Added to the current lines (while awaiting payment); extends the deadline' }),
    preliminary: z
      .literal(false)
      .optional()
      .openapi({ description: 'Confirm a preliminary card order: no deadline; it is invoiced instead' }),
  })
  // The route's own rules, stated: at least one field, and lines or add_lines, not both (400).
  .openapi('ChangeOrderRequest', { minProperties: 1, not: { required: ['lines', 'add_lines'] } });

export const orderChangeRoutes = createResourceApp();

orderChangeRoutes.openapi(
  createRoute({
    method: 'patch',
    path: '/{id}',
    middleware: [requireScope('orders:write'), xmlWhenAsked('order')],
    tags: ['orders'],
    summary: 'Change an order: notes any time; codes, lines, participants or confirmation while it awaits payment',
    description:
      'Runs as a workflow Update: a state that forbids the change answers 409 with a code ' +
      '(`order_not_changeable`, `change_in_progress`, `order_paid_meanwhile`). Changing lines ' +
      'holds and releases seats atomically, re-prices, extends the deadline (a preliminary order ' +
      'gets its full window again when items change) and opens a new payment session (new ' +
      '`payment.redirect_url`). Business errors answer 422 and leave the order as it was.',
    request: {
      params: z.object({ id: z.string() }),
      body: { required: true, content: { 'application/json': { schema: changeBody } } },
    },
    responses: {
      200: {
        description: 'The changed order (`Accept: application/xml`: XML, root `<order>`; docs/xml.md)',
        content: { 'application/json': { schema: orderSummarySchema }, ...xmlContent(orderSummaryXmlExample) },
      },
      ...problemResponses(400, 401, 403, 404, 409, 422),
    },
  }),
  async (c) => {
    const body = c.req.valid('json');
    const id = c.req.valid('param').id;
    if (Object.keys(body).length === 0)
      throw problems.badRequest('validation_failed', 'Nothing to change', [
        { code: 'field_required', message: 'Give at least one field to change' },
      ]);
    if (body.lines && body.add_lines)
      throw problems.badRequest('validation_failed', 'Use lines or add_lines, not both', [
        { code: 'invalid_value', message: 'lines and add_lines exclude each other', field: 'add_lines' },
      ]);
    const order = await findOrder(c, id);

    const change: ChangeOrderRequest = {
      ...(body.notes ? { notes: body.notes } : {}),
      ...(body.campaign_code !== undefined ? { campaignCode: body.campaign_code } : {}),
      ...(body.campaign_codes !== undefined ? { campaignCodes: body.campaign_codes } : {}),
      ...(body.voucher_code !== undefined ? { voucherCode: body.voucher_code } : {}),
      ...(body.lines ? { lines: body.lines } : {}),
      ...(body.add_lines ? { addLines: body.add_lines } : {}),
      ...(body.preliminary === false ? { confirm: true } : {}),
      ...(c.get('auth').scopes.has('orders:price_override') ? { canOverridePrice: true } : {}),
    };
    try {
      const result = await c
        .get('deps')
        .temporal.workflow.getHandle(order.workflow_id)
        .executeUpdate(changeOrderUpdate, { args: [change] });
      if (result.ok) {
        // The workflow answers only "changed"; the order as it now reads comes from PostgreSQL.
        const summary = await loadOrderSummary(c.get('deps').db, c.get('auth').tenantId, order.id);
        if (summary) return c.json(summary, 200);
        throw new Error(`order ${order.id} was changed but is not in the database`);
      }
      const [first] = result.errors;
      if (
        result.errors.length === 1 &&
        first &&
        ['order_not_changeable', 'order_paid_meanwhile'].includes(first.code)
      ) {
        throw problems.conflict(first.code, first.message);
      }
      throw problems.unprocessable(
        result.errors.length === 1 && first ? first.code : 'order_invalid',
        `The change was not made: ${result.errors.map((e) => e.message).join('; ')}`,
        result.errors,
      );
    } catch (error) {
      throw orderUpdateProblem(
        error,
        'order_not_changeable',
        "The order's process has ended; it can no longer be changed",
      );
    }
  },
);
