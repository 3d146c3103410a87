import {
  ApplicationFailure,
  condition,
  log,
  proxyActivities,
  setCurrentDetails,
  setHandler,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import type { OrderStatus } from '../domain/order-status';
import {
  type InvoicePaidSignal,
  invoicePaidSignal,
  ORDER_INTAKE_UNAVAILABLE,
  type OrderProgress,
  orderProgressQuery,
  type OrderSubmission,
  type OrderWorkflowStart,
  type PaymentResultSignal,
  paymentResultSignal,
  type SubmitResult,
  submitOrderUpdate,
} from './order-messages';
import { CustomerEmailKey, OrderStatusKey, PaymentMethodKey } from './search-attributes';

// One workflow per order: it owns the order's process (state machine, timers, waiting for
// payment, compensation). Every I/O happens in activities; this file only decides.

const activities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Intake runs while the client waits for its answer, so it retries for a bounded time; if the
 * database stays unreachable the order is abandoned cleanly and the client is told to retry.
 */
const intakeActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 6 },
});

/** How long an unsubmitted workflow waits before giving up (Update-with-Start submits at once). */
const SUBMIT_WAIT = '10 minutes';
/** After expiry a late card payment is still caught (and refunded) this long. */
const LATE_PAYMENT_WINDOW = '24 hours';

export async function orderWorkflow(start: OrderWorkflowStart): Promise<OrderStatus> {
  const scope = { tenantId: start.tenantId, orderId: start.orderId };
  let status: OrderStatus = 'received';
  let waitingFor: string | null = 'the order to be submitted';
  let preliminaryUntil: number | null = null;
  let submitResult: SubmitResult | undefined;
  let submitting = false;
  let intakeFailed = false;
  let paymentMethod: 'card' | 'invoice' | 'free' = 'card';
  let amountDue = 0;
  const paymentEvents: PaymentResultSignal[] = [];
  const seenPaymentEvents = new Set<string>();
  const invoicePayments: InvoicePaidSignal[] = [];
  const seenInvoicePayments = new Set<string>();

  function moveTo(next: OrderStatus, waiting: string | null): void {
    status = next;
    waitingFor = waiting;
    upsertSearchAttributes([{ key: OrderStatusKey, value: next }]);
    setCurrentDetails(describe());
  }

  function describe(): string {
    const until = preliminaryUntil ? ` (until ${new Date(preliminaryUntil).toISOString()})` : '';
    return `**${status}**${waitingFor ? ` — waiting for ${waitingFor}${status === 'awaiting_payment' || status === 'payment_failed' ? until : ''}` : ''}`;
  }

  setHandler(orderProgressQuery, (): OrderProgress => ({
    status,
    waitingFor,
    preliminaryUntil: preliminaryUntil ? new Date(preliminaryUntil).toISOString() : null,
  }));

  setHandler(paymentResultSignal, (event) => {
    // Providers redeliver webhooks: one event id is handled once.
    if (seenPaymentEvents.has(event.eventId)) return;
    seenPaymentEvents.add(event.eventId);
    paymentEvents.push(event);
  });

  setHandler(invoicePaidSignal, (payment) => {
    // The same bank payment reported twice (same invoice and reference) counts once.
    const key = `${payment.invoiceId}:${payment.reference}`;
    if (seenInvoicePayments.has(key)) return;
    seenInvoicePayments.add(key);
    invoicePayments.push(payment);
  });

  setHandler(submitOrderUpdate, async (submission: OrderSubmission): Promise<SubmitResult> => {
    // The API retries a lost answer with the same Update id (deduplicated by the server); a
    // second, different Update still gets the first answer, never a second order.
    if (submitting) {
      await condition(() => submitResult !== undefined);
      return submitResult!;
    }
    submitting = true;
    try {
      submitResult = await acceptOrder(submission);
    } catch (error) {
      // Whatever part of the order was written is taken back before the client hears of it.
      await activities.abandonOrder(scope);
      intakeFailed = true;
      log.error('order intake failed', { error: String(error) });
      throw ApplicationFailure.nonRetryable('The order could not be taken right now; nothing was held. Retry later.', ORDER_INTAKE_UNAVAILABLE);
    }
    return submitResult;
  });

  async function acceptOrder(submission: OrderSubmission): Promise<SubmitResult> {
    const validation = await intakeActivities.validateOrder({ tenantId: start.tenantId, submission });
    if (!validation.ok) return { ok: false, errors: validation.errors };
    const { draft, preliminaryMinutes } = validation;
    paymentMethod = draft.pricing.totals.inclVat === 0 ? 'free' : draft.paymentMethod;
    amountDue = draft.pricing.totals.inclVat;
    const windowMs = start.preliminaryWindowOverrideMs ?? preliminaryMinutes * 60_000;
    preliminaryUntil = paymentMethod === 'card' ? Date.now() + windowMs : null;
    const placed = await intakeActivities.placeOrder({
      ...scope,
      orderNumber: start.orderNumber,
      workflowId: workflowInfo().workflowId,
      submission,
      draft,
      paymentMethod,
      preliminaryUntil: preliminaryUntil ? new Date(preliminaryUntil).toISOString() : null,
    });
    if (!placed.ok) return { ok: false, errors: placed.errors };
    upsertSearchAttributes([
      { key: PaymentMethodKey, value: paymentMethod },
      ...(draft.bookerEmail ? [{ key: CustomerEmailKey, value: draft.bookerEmail }] : []),
    ]);
    if (paymentMethod !== 'card') return { ok: true, summary: placed.summary };
    const session = await intakeActivities.createPaymentSession(scope);
    return {
      ok: true,
      summary: {
        ...placed.summary,
        status: 'awaiting_payment',
        payment: { method: 'card', requires_redirect: true, session_id: session.sessionId, redirect_url: session.redirectUrl },
      },
    };
  }

  // ---- the business process ----
  setCurrentDetails(describe());
  if (!(await condition(() => submitResult !== undefined || intakeFailed, SUBMIT_WAIT)) || intakeFailed) {
    moveTo('rejected', null);
    return status;
  }
  if (!submitResult!.ok) {
    moveTo('rejected', null);
    log.info('order rejected', { errors: submitResult!.errors.map((e) => e.code) });
    return status;
  }

  switch (paymentMethod as 'card' | 'invoice' | 'free') {
    case 'free':
      await bookAndConfirm('receipt');
      break;
    case 'invoice':
      await bookAndInvoice();
      break;
    case 'card':
      await collectCardPayment();
      break;
  }
  return status;

  async function bookAndConfirm(document: 'receipt' | 'none'): Promise<void> {
    await activities.bookOrder(scope);
    moveTo('booked', 'the receipt');
    if (document === 'receipt' && amountDue > 0) await activities.issueDocument({ ...scope, kind: 'receipt' });
    await activities.queueOrderEmail({ ...scope, kind: 'receipt' });
    await activities.setOrderStatus({ ...scope, status: 'completed', eventKey: 'completed', message: 'Order completed' });
    moveTo('completed', null);
  }

  async function bookAndInvoice(): Promise<void> {
    await activities.bookOrder(scope);
    moveTo('booked', 'the invoice');
    await activities.issueDocument({ ...scope, kind: 'invoice' });
    await activities.queueOrderEmail({ ...scope, kind: 'invoice' });
    await activities.setOrderStatus({ ...scope, status: 'invoiced', eventKey: 'invoiced', message: 'Invoice issued; waiting for payment' });
    moveTo('invoiced', 'the invoice to be paid');
    let paid = 0;
    while (paid < amountDue) {
      await condition(() => invoicePayments.length > 0);
      for (const payment of invoicePayments.splice(0)) {
        paid += payment.amount;
        await activities.recordInvoicePayment({ ...scope, ...payment, settled: paid >= amountDue });
      }
      if (paid < amountDue) setCurrentDetails(`${describe()} — ${amountDue - paid} left to pay`);
    }
    await activities.setOrderStatus({ ...scope, status: 'completed', eventKey: 'completed', message: 'Invoice paid; order completed' });
    await activities.queueOrderEmail({ ...scope, kind: 'receipt' });
    moveTo('completed', null);
  }

  async function collectCardPayment(): Promise<void> {
    moveTo('awaiting_payment', 'the card payment');
    let paid = false;
    while (!paid) {
      const remaining = Math.max(0, preliminaryUntil! - Date.now());
      const signalled = await condition(() => paymentEvents.length > 0, remaining);
      if (signalled) {
        paid = await handlePaymentEvents();
        continue;
      }
      // Deadline: a lost webhook must never expire a paid order, so ask the provider first.
      const check = await activities.closePaymentSession(scope);
      if (check.event) {
        paymentEvents.push(check.event);
        paid = await handlePaymentEvents();
        if (paid) break;
      }
      await expire();
      return;
    }
    await bookAndConfirm('receipt');
  }

  async function handlePaymentEvents(): Promise<boolean> {
    for (const event of paymentEvents.splice(0)) {
      const recorded = await activities.recordPaymentOutcome({ ...scope, event });
      if (event.outcome === 'succeeded' && recorded.accepted) {
        moveTo('paid', 'booking');
        return true;
      }
      if (event.outcome === 'succeeded' && !recorded.accepted) {
        moveTo('needs_attention', `an operator: ${recorded.reason}`);
        await condition(() => false); // parked until an operator acts (ops tools come later)
      }
      if (event.outcome !== 'succeeded' && status !== 'payment_failed') {
        moveTo('payment_failed', 'another card payment attempt');
      }
    }
    return false;
  }

  async function expire(): Promise<void> {
    await activities.expireOrder(scope);
    await activities.queueOrderEmail({ ...scope, kind: 'expired' });
    moveTo('expired', 'late payments to refund');
    // A payment that lands after expiry (the customer kept the page open) is refunded.
    for (;;) {
      const late = await condition(() => paymentEvents.length > 0, LATE_PAYMENT_WINDOW);
      if (!late) break;
      for (const event of paymentEvents.splice(0)) {
        if (event.outcome !== 'succeeded') continue;
        await activities.recordPaymentOutcome({ ...scope, event });
        await activities.refundPayment({ ...scope, sessionId: event.sessionId, amount: event.amount, reason: 'paid_after_expiry' });
        await activities.queueOrderEmail({ ...scope, kind: 'refund' });
      }
    }
    waitingFor = null;
    setCurrentDetails(describe());
  }
}
