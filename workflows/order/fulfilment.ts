import { log } from '@temporalio/workflow';
import { activities, bookingActivities } from './activities';
import { type Compensations, refundOrPark } from './compensations';
import type { OrderProcess } from './order-process';

/** A paid or free order: booked, receipt numbered (when money changed hands), completed, mailed. */
export async function completeOrder(order: OrderProcess, saga: Compensations): Promise<void> {
  await order.step(async () => {
    try {
      await bookingActivities.completePaidOrder({
        ...order.scope,
        receipt: order.facts.total > 0,
        sells: order.completionScope,
      });
    } catch (error) {
      await compensateFailedBooking(order, saga, String(error));
      return;
    }
    await finishCompletedOrder(order);
  });
}

/** What follows the completion transaction: gift voucher codes, then the status operators see. */
export async function finishCompletedOrder(order: OrderProcess): Promise<void> {
  await deliverGiftVouchers(order);
  await startSubscriptions(order);
  order.move('completed', null);
}

/**
 * The subscriptions this order bought (their rows were written with its completion) get their
 * workflows. A renewal buys none: it moved its subscription on.
 */
export async function startSubscriptions(order: OrderProcess): Promise<void> {
  if (!order.facts.sellsSubscriptions || order.start.renewal) return;
  const dayMsOverride = order.start.subscriptionDayMsOverride;
  await activities.startSubscriptionWorkflows({ ...order.scope, ...(dayMsOverride ? { dayMsOverride } : {}) });
}

/** Gift vouchers bought in this order (issued with its completion) go to the buyer by mail. */
export async function deliverGiftVouchers(order: OrderProcess): Promise<void> {
  if (!order.facts.sellsGiftVouchers) return;
  const { issued } = await activities.issueGiftVouchers(order.scope);
  if (issued > 0) await activities.queueOrderEmail({ ...order.scope, kind: 'gift_voucher' });
}

/**
 * The order was paid but could not be booked: the saga gives back what it holds and refunds
 * what the ledger says is refundable (keyed, so never twice); operators see why.
 */
export async function compensateFailedBooking(order: OrderProcess, saga: Compensations, reason: string): Promise<void> {
  log.error('booking failed after payment; compensating', { reason });
  await saga.run();
  await activities.flagForAttention({
    ...order.scope,
    reason: `Booking failed after payment (${reason}); the payment is refunded`,
    eventKey: 'booking_failed',
  });
  await activities.queueOrderEmail({ ...order.scope, kind: 'refund' });
}

/**
 * The compensations an order with a payment registers: release and credit (what the
 * cancellation left refundable is then refunded to the cards that paid).
 */
export function registerPaidOrderCompensations(order: OrderProcess, saga: Compensations): void {
  let refunds: { sessionId: string; amount: number }[] = [];
  saga.add('release the seats and credit the order', async () => {
    order.sequence.cancellations += 1;
    const outcome = await activities.cancelOrder({
      ...order.scope,
      cancellationId: `booking-failed-${order.sequence.cancellations}`,
      request: { by: 'operator', reason: 'booking failed after payment' },
      decision: { feePercent: 0, participantPositions: null },
    });
    refunds = outcome.cardRefunds;
    order.move('cancelled', null);
  });
  saga.add('refund the card payments', async () => {
    await refundOrPark(order, refunds, 'booking_failed');
  });
}
