import { ApplicationFailure } from '@temporalio/workflow';
import { mayOrder } from '../../../domain/order-state';
import { ORDER_STATE_CONFLICT, type StartPaymentRequest, type StartPaymentResult } from '../../order-messages';
import { activities } from '../activities';
import type { OrderProcess } from '../order-process';

export function validateStartPayment(order: OrderProcess): void {
  order.assertMay({ kind: 'pay' });
  order.assertNoUpdateRunning('change_in_progress', 'Another change of this order is in progress');
}

/**
 * The startPayment Update (a new attempt, maybe with a saved card): replaces the open session;
 * money that got through on the old one counts, and an order paid meanwhile needs nothing.
 */
export async function startPayment(order: OrderProcess, request: StartPaymentRequest): Promise<StartPaymentResult> {
  // The step we waited for may have finished the order: then it takes no payment.
  const refusal = mayOrder(order.state, { kind: 'pay' });
  if (refusal) {
    throw ApplicationFailure.create({
      type: ORDER_STATE_CONFLICT,
      message: refusal.message,
      details: [refusal.code],
      nonRetryable: true,
    });
  }
  if (!order.isOpenForPayment) return { ok: true, leftToPay: 0 };
  const check = await activities.closePaymentSession(order.scope);
  if (check.event) {
    order.inbox.addPayment(check.event);
    return { ok: true, leftToPay: 0 };
  }
  order.sequence.paymentAttempts += 1;
  const session = await activities.createPaymentSession({
    ...order.scope,
    attempt: order.sequence.paymentAttempts,
    ...(request?.savedCardId ? { savedCardId: request.savedCardId } : {}),
    ...(request?.successUrl ? { successUrl: request.successUrl } : {}),
    ...(request?.failureUrl ? { failureUrl: request.failureUrl } : {}),
  });
  // A saved card may be charged at once: its event counts like a webhook's.
  order.inbox.addPayment(session.paidEvent);
  return { ok: true, leftToPay: order.facts.amountDue, sessionId: session.sessionId, redirectUrl: session.redirectUrl };
}
