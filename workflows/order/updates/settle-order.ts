import { mayOrder } from '../../../domain/order-state';
import type { SettleOrderRequest, SettleResult } from '../../order-messages';
import { activities } from '../activities';
import { type CardRefund, refundOrPark } from '../compensations';
import type { OrderProcess } from '../order-process';

export function validateSettlement(order: OrderProcess, request: SettleOrderRequest): void {
  order.assertMay({ kind: 'settle', action: request.action });
  order.assertNoUpdateRunning('change_in_progress', 'Another change of this order is in progress');
}

/**
 * The settle Update, an operator's decision on a parked order: accept the payment (book it),
 * refund what the ledger holds, or cancel under the tenant's fee and refund the rest.
 */
export async function settleOrder(order: OrderProcess, request: SettleOrderRequest): Promise<SettleResult> {
  const refusal = mayOrder(order.state, { kind: 'settle', action: request.action });
  if (refusal) return { ok: false, ...refusal };
  order.sequence.settlements += 1;
  const key = `settlement-${order.sequence.settlements}`;
  if (request.action === 'accept') {
    const message = `Payment accepted by an operator: ${request.reason}`;
    await activities.resumeOrder({ ...order.scope, status: 'paid', eventKey: key, message });
    order.move('settled', 'booking', 'paid');
    return { ok: true, status: order.status, refund_amount: 0, attention_reason: null };
  }
  const refund = await refundsOf(order, request);
  if ('code' in refund) return { ok: false, ...refund };
  const refundRefused = await refundOrPark(order, refund.refunds, key);
  if (refundRefused === null) {
    const resumeTo = order.state.attention?.resumeTo ?? 'cancelled';
    const message = `Settled by an operator (${request.action}): ${request.reason}`;
    await activities.resumeOrder({ ...order.scope, status: resumeTo, eventKey: key, message });
    order.move('settled', null, resumeTo);
  }
  return { ok: true, status: order.status, refund_amount: refund.amount, attention_reason: refundRefused };
}

/**
 * Nothing was booked for a payment that differs, so settling it cancels the order (as does
 * `cancel`); otherwise everything the ledger holds is refunded.
 */
async function refundsOf(
  order: OrderProcess,
  request: SettleOrderRequest,
): Promise<{ refunds: CardRefund[]; amount: number } | { code: string; message: string }> {
  const refundVia = request.refundVia ?? 'provider';
  if (!order.isCancelled && (order.state.attention?.cause === 'payment' || request.action === 'cancel')) {
    order.sequence.cancellations += 1;
    const cancelRequest = {
      by: 'operator' as const,
      reason: request.reason,
      override: true,
      tenantFee: request.action === 'cancel',
    };
    const decision = await activities.evaluateCancellation({ ...order.scope, request: cancelRequest });
    if (!decision.allowed) return { code: decision.code, message: decision.message };
    const sequence = order.sequence.cancellations;
    const outcome = await activities.cancelOrder({
      ...order.scope,
      cancellationId: String(sequence),
      request: cancelRequest,
      decision,
      refundVia,
    });
    await activities.queueOrderEmail({ ...order.scope, kind: 'cancelled', sequence });
    order.returnTo('cancelled');
    return { refunds: outcome.cardRefunds, amount: outcome.refundAmount };
  }
  const plan = await activities.planSettlementRefund({
    ...order.scope,
    settlementId: String(order.sequence.settlements),
    refundVia,
  });
  return { refunds: plan.cardRefunds, amount: plan.amount };
}
