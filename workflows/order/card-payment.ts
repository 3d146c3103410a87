import { ActivityFailure } from '@temporalio/workflow';
import type { PaymentResultSignal } from '../order-messages';
import { activities, paymentActivities, providerCheckActivities } from './activities';
import type { Compensations } from './compensations';
import { compensateFailedBooking, completeOrder, finishCompletedOrder } from './fulfilment';
import { payInvoice } from './invoice-payment';
import { refundLatePayments } from './late-payments';
import type { OrderProcess } from './order-process';

/** The customer is reminded this long before a held card order expires (if the window allows). */
const EXPIRY_NOTICE_MS = 5 * 60_000;
/** A card order still unpaid this long after it was taken gets the "order received" mail with its payment link. */
const RECEIVED_NOTICE_AFTER_MS = 60_000;
/**
 * The provider is asked whether a waiting order was paid before every notice that asks for payment,
 * and otherwise at most this often: every wake of a waiting order costs a workflow task (a replay
 * when it has left the worker's cache), and 10,000 orders woken every 10 minutes took the machine
 * from the orders being paid (docs/performance.md, "orders waiting").
 */
const PAYMENT_CHECK_EVERY_MS = 60 * 60_000;

type Notice = { kind: 'order_received' | 'expiring_soon'; at: number | null; sent: boolean };

/**
 * The card payment phase: waits for the provider's verdict until the preliminary deadline,
 * sending the "order received" and "expiring soon" notices on the way; a payment completes
 * the order, the deadline expires it (after asking the provider, so a lost webhook never
 * expires a paid order), a PATCH preliminary=false hands it to the invoice phase.
 */
export async function collectCardPayment(order: OrderProcess, saga: Compensations): Promise<void> {
  const waiting = new PaymentWait(order);
  const notices = planNotices(order);
  let seenVersion = order.contentVersion;
  for (;;) {
    if (order.contentVersion !== seenVersion) {
      // The order was changed: a new amount, maybe a later deadline (and so a later notice).
      seenVersion = order.contentVersion;
      const expiry = notices[1]!;
      if (!expiry.sent) expiry.at = expiryNoticeAt(order.facts.preliminaryUntil!);
    }
    if (order.isCancelled) return;
    if (order.status === 'reserved') return payInvoice(order);
    if (order.facts.amountDue === 0) {
      // A change (a code covering everything) left nothing to pay: it completes like a free order.
      order.move('nothing_left_to_pay', 'booking');
      return completeOrder(order, saga);
    }
    const notice = notices.find((n) => !n.sent && n.at !== null);
    if (notice) {
      const woken = await waiting.until(notice.at!, `${notice.kind.replace('_', ' ')} notice`);
      // A customer who paid (the webhook late or lost) is not asked to pay.
      if (!woken && !(await waiting.askProvider())) {
        notice.sent = true;
        await activities.queueOrderEmail({ ...order.scope, kind: notice.kind });
        continue;
      }
      if (order.inbox.payments.length === 0) continue;
    }
    const signalled = await waiting.until(order.facts.preliminaryUntil!, 'preliminary deadline');
    if (order.isCancelled) return;
    if (signalled && order.inbox.payments.length === 0) continue;
    let expired = false;
    const live = await order.step(async () => {
      // Deadline: a lost webhook must never expire a paid order, so ask the provider first.
      if (!signalled) order.inbox.addPayment((await activities.closePaymentSession(order.scope)).event);
      await takePaymentEvents(order, saga);
      if (!signalled && order.isOpenForPayment) {
        await expireOrder(order);
        expired = true;
      }
    });
    if (!live) return;
    if (order.status === 'needs_attention') return awaitPaymentSettlement(order, saga);
    if (expired) return refundLatePayments(order, saga);
    if (!order.isOpenForPayment) return;
  }
}

/** Waits until a time or until something arrives; in a long wait, asks the provider now and then. */
class PaymentWait {
  private nextCheckAt = Date.now() + PAYMENT_CHECK_EVERY_MS;

  constructor(private readonly order: OrderProcess) {}

  /** True when woken (a payment event, a cancellation, a change or confirmation) before `at`. */
  async until(at: number, summary: string): Promise<boolean> {
    const order = this.order;
    const version = order.contentVersion;
    const woken = () =>
      order.inbox.payments.length > 0 ||
      order.isCancelled ||
      order.status === 'reserved' ||
      order.contentVersion !== version;
    for (;;) {
      const sliceEnd = Math.min(at, this.nextCheckAt);
      const slice = sliceEnd === at ? summary : 'payment status check';
      if (await order.wait(woken, sliceEnd - Date.now(), slice)) return true;
      if (sliceEnd === at) return false;
      if (await this.askProvider()) return true;
    }
  }

  /** True when the provider has a payment the order had not heard of (now in its inbox). */
  async askProvider(): Promise<boolean> {
    this.nextCheckAt = Date.now() + PAYMENT_CHECK_EVERY_MS;
    try {
      return this.order.inbox.addPayment((await providerCheckActivities.checkPaymentSession(this.order.scope)).event);
    } catch (error) {
      if (error instanceof ActivityFailure) return false;
      throw error;
    }
  }
}

function planNotices(order: OrderProcess): Notice[] {
  // A renewal was not placed by the customer: its subscription writes to them (renewal notice, dunning).
  const deadline = order.facts.preliminaryUntil!;
  // A customer who left the payment page gets the link by mail once; one who pays at once does not.
  // A window shorter than three minutes (a test tenant's) brings the mail forward with it.
  const receivedAt = Date.now() + Math.min(RECEIVED_NOTICE_AFTER_MS, Math.floor(order.facts.windowMs / 3));
  // A renewal was not placed by the customer: its subscription writes to them (notice, dunning).
  if (order.start.renewal)
    return [
      { kind: 'order_received', at: null, sent: true },
      { kind: 'expiring_soon', at: null, sent: true },
    ];
  return [
    { kind: 'order_received', at: receivedAt < deadline ? receivedAt : null, sent: false },
    { kind: 'expiring_soon', at: expiryNoticeAt(deadline), sent: false },
  ];
}

/** No notice when the deadline is too close for it to be of use. */
function expiryNoticeAt(deadline: number): number | null {
  return deadline - EXPIRY_NOTICE_MS > Date.now() + EXPIRY_NOTICE_MS ? deadline - EXPIRY_NOTICE_MS : null;
}

/**
 * Records what the provider reported, in arrival order; a success completes the order in the
 * same activity. Stops at the first success (or one that differs from the order).
 */
async function takePaymentEvents(order: OrderProcess, saga: Compensations): Promise<void> {
  for (const event of order.inbox.payments.splice(0)) {
    const result = await paymentActivities.recordPaymentAndComplete({
      ...order.scope,
      event,
      receipt: order.facts.total > 0,
      sells: order.completionScope,
    });
    switch (result.outcome) {
      case 'completed':
        order.move('payment_received', 'booking');
        return finishCompletedOrder(order);
      case 'booking_failed':
        order.move('payment_received', 'booking');
        return compensateFailedBooking(order, saga, result.reason);
      case 'differs':
        // The activity has parked the order in PostgreSQL already; the process follows.
        return order.moveToAttention('payment_differs', { cause: 'payment', resumeTo: order.status }, result.reason);
      case 'not_paid':
        await paymentFailed(order, event);
    }
  }
}

/** One mail for the first failed attempt: the customer is usually still on the page. */
async function paymentFailed(order: OrderProcess, event: PaymentResultSignal): Promise<void> {
  if (order.status === 'payment_failed') return;
  order.move('payment_declined', 'another card payment attempt');
  if (event.outcome === 'failed' && !order.start.renewal)
    await activities.queueOrderEmail({ ...order.scope, kind: 'payment_failed' });
}

async function expireOrder(order: OrderProcess): Promise<void> {
  await activities.expireOrder(order.scope);
  // A renewal given up is told by its subscription (cancelled), not as an order of its own.
  if (!order.start.renewal) await activities.queueOrderEmail({ ...order.scope, kind: 'expired' });
  order.move('deadline_passed', 'late payments to refund');
}

/** Parked: nothing is booked until an operator accepts the payment (or refunds it). */
async function awaitPaymentSettlement(order: OrderProcess, saga: Compensations): Promise<void> {
  await order.wait(() => order.status !== 'needs_attention');
  await order.awaitUpdates();
  if (order.status === 'paid') await completeOrder(order, saga);
}
