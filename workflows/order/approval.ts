import type { ApprovalDecision } from '../order-messages';
import type { OrderStatus } from '../../domain/order-status';
import { activities } from './activities';
import { refundOrPark } from './compensations';
import type { OrderProcess } from './order-process';

/**
 * The approval hold: the order rests in `awaiting_approval`, seats held, until an operator
 * decides (the decideApproval Update does the work) or the deadline passes — which rejects
 * the order, or escalates it to the operators' list and keeps waiting (tenant setting).
 * Answers whether the order goes on to its payment or booking.
 */
export async function awaitApproval(order: OrderProcess): Promise<boolean> {
  const hold = order.facts.approval!;
  order.move('held_for_approval', "an operator's approval (POST /v1/orders/{id}/approval)");
  const decided = () => order.status !== 'awaiting_approval';
  if (!(await order.wait(decided, hold.untilMs - Date.now(), 'approval deadline'))) {
    await order.step(async () => {
      if (decided()) return;
      if (hold.onDeadline === 'reject') {
        await rejectHeldOrder(order, {
          decision: 'reject',
          reason: 'No decision by the approval deadline',
          by: 'deadline',
        });
        return;
      }
      await activities.flagForAttention({
        ...order.scope,
        reason: 'No approval decision by the deadline: the order still waits for an operator',
        eventKey: 'approval_escalated',
      });
      order.publish('escalated: past its approval deadline');
    });
    await order.wait(decided);
  }
  await order.awaitUpdates();
  return !order.isCancelled;
}

/** Where an approved order goes: its payment page (card), its booking (invoice, free) or, paid already, booking. */
function approvedStatus(order: OrderProcess): OrderStatus {
  switch (order.facts.paymentMethod) {
    case 'card':
      return 'awaiting_payment';
    case 'prepaid':
      return 'paid';
    default:
      return 'reserved';
  }
}

/**
 * Approved: a card order gets its payment window from now, its payment page and the mail with
 * its link; the others go on to booking. The main process continues from the new status.
 */
export async function approveHeldOrder(order: OrderProcess, decision: ApprovalDecision): Promise<void> {
  const status = approvedStatus(order);
  const card = status === 'awaiting_payment';
  const preliminaryUntil = card ? Date.now() + order.facts.windowMs : null;
  await activities.approveHeldOrder({
    ...order.scope,
    status,
    preliminaryUntil: preliminaryUntil === null ? null : new Date(preliminaryUntil).toISOString(),
    decidedBy: decision.by,
    reason: decision.reason,
  });
  if (card) {
    await activities.createPaymentSession({ ...order.scope, attempt: 1 });
    order.facts.preliminaryUntil = preliminaryUntil;
    await activities.queueOrderEmail({ ...order.scope, kind: 'order_received' });
  }
  order.move('approved', card ? 'the card payment' : 'booking', status);
}

/**
 * Rejected (by an operator or the deadline): everything is given back as a cancellation
 * without fee — seats, campaign use, voucher value; money a prepaid order brought is owed back —
 * and the booker is told.
 */
export async function rejectHeldOrder(order: OrderProcess, decision: ApprovalDecision): Promise<void> {
  order.sequence.cancellations += 1;
  const sequence = order.sequence.cancellations;
  const outcome = await activities.cancelOrder({
    ...order.scope,
    cancellationId: String(sequence),
    request: { by: 'operator', reason: `Not approved (${decision.by}): ${decision.reason}` },
    decision: { feePercent: 0, participantPositions: null },
  });
  await activities.queueOrderEmail({ ...order.scope, kind: 'cancelled', sequence });
  order.move('cancelled', outcome.manualRefund > 0 ? 'an operator to refund by bank transfer' : null);
  await refundOrPark(order, outcome.cardRefunds, 'approval_rejected');
}
