import { mayOrder } from '../../../domain/order-state';
import type { CancelOrderRequest, CancelResult } from '../../order-messages';
import { activities } from '../activities';
import { refundOrPark } from '../compensations';
import type { OrderProcess } from '../order-process';

// Crediting a subscription's unused days is a part of the order, as cancelling some participants is.
const kindOf = (request: CancelOrderRequest) =>
  ({
    kind: 'cancel',
    by: request.by,
    partial: Boolean(request.participantIndexes?.length) || request.bySubscription?.kind === 'credit_unused',
  }) as const;

export function validateCancellation(order: OrderProcess, request: CancelOrderRequest): void {
  order.assertMay(kindOf(request));
  order.assertNoUpdateRunning('cancellation_in_progress', 'Another cancellation of this order is in progress');
}

/**
 * The cancel Update: the tenant's policy decides (fee, deadline), the order gives back its
 * seats and is credited, and what the ledger says is refundable goes back to the cards.
 */
export async function cancelOrder(order: OrderProcess, request: CancelOrderRequest): Promise<CancelResult> {
  const refusal = mayOrder(order.state, kindOf(request));
  if (refusal) return { ok: false, ...refusal };
  const decision = await activities.evaluateCancellation({ ...order.scope, request });
  if (!decision.allowed) return { ok: false, code: decision.code, message: decision.message };
  if (order.isOpenForPayment) {
    // The customer may be paying this very moment: close the session first; money that got
    // through anyway is recorded here and refunded by the cancellation below.
    const check = await activities.closePaymentSession(order.scope);
    if (order.inbox.claimPayment(check.event)) {
      await activities.recordPaymentOutcome({ ...order.scope, event: check.event! });
    }
  }
  order.sequence.cancellations += 1;
  const sequence = order.sequence.cancellations;
  const outcome = await activities.cancelOrder({
    ...order.scope,
    cancellationId: String(sequence),
    request,
    decision,
  });
  // A renewal its subscription withdraws is the subscription's news (its cancelled mail), not the order's.
  if (request.bySubscription?.kind !== 'withdraw')
    await activities.queueOrderEmail({ ...order.scope, kind: 'cancelled', sequence });
  if (outcome.full) {
    order.move('cancelled', outcome.manualRefund > 0 ? 'an operator to refund by bank transfer' : null);
  } else {
    order.facts.amountDue = outcome.leftToPay;
    order.publish(
      request.bySubscription
        ? 'the unused part of the subscription period credited'
        : `${request.participantIndexes?.length ?? 0} participant(s) cancelled`,
    );
  }
  const refundRefused = await refundOrPark(order, outcome.cardRefunds, `cancellation-${sequence}`);
  return {
    ok: true,
    status: order.status,
    full: outcome.full,
    seats_released: outcome.seatsReleased,
    fee: outcome.fee,
    credit_amount: outcome.creditAmount,
    refund_amount: outcome.refundAmount,
    refund_via: outcome.refundVia,
    credit_note_number: outcome.creditNoteNumber,
    attention_reason: refundRefused,
  };
}
