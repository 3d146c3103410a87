import { activities } from './activities';
import { type Compensations, refundOrPark } from './compensations';
import { completeOrder } from './fulfilment';
import type { OrderProcess } from './order-process';

/** After expiry a late card payment is still caught (and refunded) this long. */
const LATE_PAYMENT_WINDOW_MS = 24 * 3_600_000;

/** After expiry: a late payment is refunded, or re-books the order (tenant setting). */
export async function refundLatePayments(order: OrderProcess, saga: Compensations): Promise<void> {
  const arrived = () => order.inbox.payments.length > 0;
  while (await order.wait(arrived, LATE_PAYMENT_WINDOW_MS, 'late payment window')) {
    for (const event of order.inbox.payments.splice(0)) {
      if (event.outcome !== 'succeeded') continue;
      const recorded = await activities.recordPaymentOutcome({ ...order.scope, event });
      if (recorded.accepted) {
        const rebook = await activities.rebookAfterLatePayment(order.scope);
        if (rebook.rebooked) {
          order.move('payment_received', 'booking');
          return completeOrder(order, saga);
        }
      }
      await activities.queueOrderEmail({ ...order.scope, kind: 'refund' });
      const refunds = [{ sessionId: event.sessionId, amount: event.amount }];
      if (await refundOrPark(order, refunds, 'paid_after_expiry')) {
        await order.wait(() => order.status !== 'needs_attention');
        await order.awaitUpdates();
      }
    }
  }
  order.waitingFor = null;
}
