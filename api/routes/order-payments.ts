import { createRoute, z } from '@hono/zod-openapi';
import { startPaymentUpdate } from '../../workflows/order-messages';
import { loadOrderLedger } from '../../db/queries/order-ledger';
import type { PaymentProviderName } from '../../db/schema';
import { findTenantPaymentProvider } from '../../db/queries/tenant-settings';
import type { StartPaymentRequest } from '../../domain/order-commands';
import { findUsableSavedCard } from '../../db/queries/saved-cards';
import { leftToPay } from '../../domain/order-money';
import { createResourceApp } from '../resource-app';
import { requireScope } from '../auth';
import { findOrder, orderUpdateProblem } from '../order-workflow-calls';
import { problems } from '../problem';
import { pageUrl, problemResponses } from '../schemas/common';

/** Where the provider's page sends the buyer: an absolute http(s) URL, as the order's own URLs. */
const attemptUrl = (description: string) => pageUrl().optional().openapi({ description });

/**
 * The methods each provider's page offers for an attempt. Both pages take cards only today, so
 * `card` is the only value; another is a 422 naming these, not a page that cannot take it.
 */
const PAGE_METHODS: Record<PaymentProviderName, readonly string[]> = { sandbox: ['card'], stripe: ['card'] };

const startPaymentRequest = z
  .strictObject({
    saved_card_id: z.string().uuid().optional(),
    success_url: attemptUrl(
      "This attempt only: where the provider's page sends the buyer after paying (else the order's " +
        "`payment_complete_url`, else the provider's own result page)",
    ),
    failure_url: attemptUrl(
      "This attempt only: where the page sends the buyer who gives up (else the order's " +
        '`payment_cancel_url`). A declined card stays on the page, so another card can be tried; the ' +
        'buyer is sent here on leaving it',
    ),
    payment_method: z
      .string()
      .min(1)
      .max(40)
      .optional()
      .openapi({
        enum: ['card'],
        description:
          "The method the provider's page offers for this attempt. Both providers' pages take cards " +
          'only, so `card` (the default) is the only value; another is `422 payment_method_unavailable`',
        example: 'card',
      }),
  })
  .openapi('StartPaymentRequest');

const paymentStarted = z
  .object({
    session_id: z.string(),
    redirect_url: z.string(),
    amount: z.number().int(),
    currency: z.string(),
    requires_redirect: z.boolean(),
  })
  .openapi('PaymentStarted');

/** Statuses whose order takes no payment, whatever its ledger says. */
const UNPAYABLE: ReadonlySet<string> = new Set(['expired', 'cancelled', 'rejected']);

export const orderPaymentRoutes = createResourceApp();

orderPaymentRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/payments',
    middleware: [requireScope('orders:write')],
    tags: ['payments'],
    summary: 'Start (another) payment for what is left to pay',
    description:
      "201 + Location of the provider's page for a new attempt (the previous session is closed " +
      "first; money that got through on it counts), with this attempt's own `success_url` / " +
      '`failure_url` if given, or 200 `{left_to_pay: 0}` when nothing is left ' +
      'to pay (a free order, or one paid in full, completed included). 409 `order_not_payable` ' +
      'when the order cannot take a payment: expired, cancelled, rejected, or an unpaid invoice order.',
    request: {
      params: z.object({ id: z.string() }),
      body: {
        required: false,
        content: {
          'application/json': { schema: startPaymentRequest },
        },
      },
    },
    responses: {
      201: {
        description: 'A new payment session',
        headers: { Location: { schema: { type: 'string' } } },
        content: { 'application/json': { schema: paymentStarted } },
      },
      200: {
        description: 'Nothing left to pay',
        content: { 'application/json': { schema: z.object({ left_to_pay: z.literal(0) }) } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 415, 422),
    },
  }),
  async (c) => {
    const id = c.req.valid('param').id;
    const order = await findOrder(c, id);
    const body = c.req.valid('json');
    // A shop's "pay order" call on a free or fully paid order is answered from the ledger, as the
    // venue platform's API does: there is nothing to pay, which is not a conflict.
    if (!UNPAYABLE.has(order.status) && leftToPay(await loadOrderLedger(c.get('deps').db, order.id)) === 0)
      return c.json({ left_to_pay: 0 as const }, 200);
    if (body.saved_card_id) {
      // An order without a customer has no saved cards: the nil uuid matches no card.
      const customerId = order.customer_id ?? '00000000-0000-0000-0000-000000000000';
      const card = await findUsableSavedCard(c.get('deps').db, c.get('auth').tenantId, customerId, body.saved_card_id);
      if (!card)
        throw problems.unprocessable('saved_card_invalid', "No such saved card for this order's customer", [
          { code: 'saved_card_invalid', message: 'Unknown saved card', field: 'saved_card_id' },
        ]);
    }
    if (body.payment_method !== undefined) {
      const provider = (await findTenantPaymentProvider(c.get('deps').db, c.get('auth').tenantId)) ?? 'sandbox';
      const offered = PAGE_METHODS[provider];
      if (!offered.includes(body.payment_method))
        throw problems.unprocessable(
          'payment_method_unavailable',
          `The ${provider} payment page offers ${offered.join(', ')} only`,
          [
            {
              code: 'payment_method_unavailable',
              message: `Use one of: ${offered.join(', ')}`,
              field: 'payment_method',
            },
          ],
        );
    }
    const request: StartPaymentRequest = {
      ...(body.saved_card_id ? { savedCardId: body.saved_card_id } : {}),
      ...(body.success_url ? { successUrl: body.success_url } : {}),
      ...(body.failure_url ? { failureUrl: body.failure_url } : {}),
    };
    try {
      const result = await c
        .get('deps')
        .temporal.workflow.getHandle(order.workflow_id)
        .executeUpdate(startPaymentUpdate, { args: [request] });
      if (!('sessionId' in result)) return c.json({ left_to_pay: 0 as const }, 200);
      c.header('Location', result.redirectUrl);
      return c.json(
        {
          session_id: result.sessionId,
          redirect_url: result.redirectUrl,
          amount: result.leftToPay,
          currency: order.currency,
          // A saved card is charged at once: nobody needs to visit the page.
          requires_redirect: !body.saved_card_id,
        },
        201,
      );
    } catch (error) {
      throw orderUpdateProblem(error, 'order_not_payable', "The order's process has ended; it takes no payment");
    }
  },
);
