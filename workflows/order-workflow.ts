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
  type CancelOrderRequest,
  type ChangeOrderRequest,
  type ChangeResult,
  changeOrderUpdate,
  type CancelResult,
  cancelOrderUpdate,
  type InvoicePaidSignal,
  invoicePaidSignal,
  ORDER_INTAKE_UNAVAILABLE,
  ORDER_STATE_CONFLICT,
  type OrderProgress,
  orderProgressQuery,
  type OrderSubmission,
  type OrderWorkflowStart,
  type PaymentResultSignal,
  paymentResultSignal,
  type SettleOrderRequest,
  type SettleResult,
  settleOrderUpdate,
  type StartPaymentRequest,
  type StartPaymentResult,
  startPaymentUpdate,
  type SubmitResult,
  submitOrderUpdate,
} from './order-messages';
import { isContentChange } from './order-change-rules';
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
const INTAKE_RETRY = { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 6 } as const;
const intakeActivities = proxyActivities<OrderActivities>({ startToCloseTimeout: '10 seconds', retry: INTAKE_RETRY });

/** Booking is retried for a while; if it still fails after payment, the payment is given back. */
const bookingActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Refunds are retried for about a minute; a provider that refuses, or stays down that long,
 * hands the order to an operator instead of holding the request that asked for the refund.
 */
const refundActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 6 },
});

/** How long an unsubmitted workflow waits before giving up (Update-with-Start submits at once). */
const SUBMIT_WAIT = '10 minutes';
/** After expiry a late card payment is still caught (and refunded) this long. */
const LATE_PAYMENT_WINDOW = '24 hours';
const DAY_MS = 86_400_000;
/** The customer is reminded this long before a held card order expires (if the window allows). */
const EXPIRY_NOTICE_MS = 5 * 60_000;
/** A card order still unpaid this long after it was taken gets the "order received" mail with the payment link. */
const RECEIVED_NOTICE_AFTER_MS = 60_000;
/** While a card order waits, the provider is asked this often whether it was paid. */
const PAYMENT_CHECK_EVERY_MS = 10 * 60_000;
/** Reminders before an overdue invoice goes to the operators. */
const INVOICE_REMINDERS = 2;

type PaymentProgress = 'paid' | 'attention' | 'pending';

function stateConflict(code: string, message: string): ApplicationFailure {
  return ApplicationFailure.create({ type: ORDER_STATE_CONFLICT, message, details: [code], nonRetryable: true });
}

export async function orderWorkflow(start: OrderWorkflowStart): Promise<OrderStatus> {
  const scope = { tenantId: start.tenantId, orderId: start.orderId };
  let status: OrderStatus = 'received';
  let waitingFor: string | null = 'the order to be submitted';
  let preliminaryUntil: number | null = null;
  let submitResult: SubmitResult | undefined;
  let submitting = false;
  let intakeFailed = false;
  let cancelled = false;
  /** A cancel or change Update is running: the main process waits before its next step. */
  let amending = false;
  let changes = 0;
  let confirmed = false;
  let paymentAttempt = 1;
  let windowMs = 0;
  let cancellations = 0;
  /** A step of the main process that a cancellation must not interleave with (booking, expiry). */
  let stepRunning = false;
  let serviceStartsAt: number | null = null;
  let paymentFailureMailed = false;
  let sellsGiftVouchers = false;
  let paymentMethod: 'card' | 'invoice' | 'free' = 'card';
  /** What the process still expects to be paid (the ledger's left to pay, as last reported). */
  let amountDue = 0;
  let orderTotal = 0;
  /** Why the order is with an operator: a payment that differs from the order, or a refused refund. */
  let attentionCause: 'payment' | 'refund' | null = null;
  let statusBeforeAttention: OrderStatus = 'received';
  let settlements = 0;
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

  setHandler(
    cancelOrderUpdate,
    async (request: CancelOrderRequest): Promise<CancelResult> => {
      amending = true;
      try {
        // Let a running step (booking, expiry) finish first; then decide on the state it left.
        await condition(() => !stepRunning);
        if (!isCancellable()) return { ok: false, code: 'order_not_cancellable', message: `An order in status ${status} cannot be cancelled` };
        const decision = await activities.evaluateCancellation({ ...scope, request });
        if (!decision.allowed) return { ok: false, code: decision.code, message: decision.message };
        if (status === 'awaiting_payment' || status === 'payment_failed') {
          // The customer may be paying this very moment: close the session first; money that
          // got through anyway is recorded here and refunded by the cancellation below.
          const check = await activities.closePaymentSession(scope);
          if (check.event && !seenPaymentEvents.has(check.event.eventId)) {
            seenPaymentEvents.add(check.event.eventId);
            await activities.recordPaymentOutcome({ ...scope, event: check.event });
          }
        }
        cancellations += 1;
        const outcome = await activities.cancelOrder({ ...scope, cancellationId: String(cancellations), request, decision });
        await activities.queueOrderEmail({ ...scope, kind: 'cancelled', sequence: cancellations });
        if (outcome.full) {
          cancelled = true;
          moveTo('cancelled', outcome.manualRefund > 0 ? 'an operator to refund by bank transfer' : null);
        } else {
          amountDue = outcome.leftToPay;
          setCurrentDetails(`${describe()} — ${request.participantIndexes?.length ?? 0} participant(s) cancelled`);
        }
        const refusal = await refundOrPark(outcome.cardRefunds, `cancellation-${cancellations}`);
        return {
          ok: true, status, full: outcome.full, seats_released: outcome.seatsReleased, fee: outcome.fee, credit_amount: outcome.creditAmount,
          refund_amount: outcome.refundAmount, refund_via: outcome.refundVia, credit_note_number: outcome.creditNoteNumber,
          attention_reason: refusal,
        };
      } finally {
        amending = false;
      }
    },
    {
      validator: (request: CancelOrderRequest) => {
        if (!isCancellable()) throw stateConflict('order_not_cancellable', `An order in status ${status} cannot be cancelled`);
        if (amending) throw stateConflict('cancellation_in_progress', 'Another cancellation of this order is in progress');
        if (request.participantIndexes?.length && (status === 'awaiting_payment' || status === 'payment_failed')) {
          throw stateConflict('partial_cancellation_not_allowed', 'Before payment, change the order instead of cancelling participants');
        }
        if (status === 'needs_attention' && request.by !== 'operator') {
          throw stateConflict('order_not_cancellable', 'This order is with an operator');
        }
      },
    },
  );

  setHandler(
    changeOrderUpdate,
    async (change: ChangeOrderRequest): Promise<ChangeResult> => {
      amending = true;
      try {
        await condition(() => !stepRunning);
        const contentChange = isContentChange(change);
        if (contentChange && !(status === 'awaiting_payment' || status === 'payment_failed')) {
          return { ok: false, errors: [{ code: 'order_not_changeable', message: `An order in status ${status} cannot be changed any more` }] };
        }
        if (!contentChange) {
          await activities.updateOrderNotes({ ...scope, notes: change.notes ?? {}, changeId: String(changes + 1) });
          changes += 1;
          return { ok: true };
        }
        // The customer may be paying the old amount right now: close that session first. If
        // the money got through, the order is paid as it was and the change is refused.
        const check = await activities.closePaymentSession(scope);
        if (check.event) {
          paymentEvents.push(check.event);
          return { ok: false, errors: [{ code: 'order_paid_meanwhile', message: 'The order was paid while it was being changed; it stays as it was' }] };
        }
        if (change.confirm) {
          await activities.confirmOrderAsInvoice({ ...scope, ...(change.notes ? { notes: change.notes } : {}) });
          paymentMethod = 'invoice';
          upsertSearchAttributes([{ key: PaymentMethodKey, value: 'invoice' }]);
          preliminaryUntil = null;
          confirmed = true;
          return { ok: true };
        }
        // Changing what the order holds extends its deadline.
        const until = change.lines || change.addLines ? Math.max(preliminaryUntil!, Date.now() + windowMs) : preliminaryUntil!;
        const changed = await activities.changeOrderContents({
          ...scope, changeId: String(changes + 1), change, preliminaryUntil: new Date(until).toISOString(),
        });
        changes += 1;
        if (changed.ok) {
          preliminaryUntil = until;
          orderTotal = changed.total;
          amountDue = changed.total;
        }
        const result: ChangeResult = changed.ok ? { ok: true } : { ok: false, errors: changed.errors };
        // A session for what is now due (the old one was closed above, whatever the outcome).
        if (amountDue > 0) {
          paymentAttempt += 1;
          await activities.createPaymentSession({ ...scope, attempt: paymentAttempt });
        }
        setCurrentDetails(describe());
        return result;
      } finally {
        amending = false;
      }
    },
    {
      validator: (change: ChangeOrderRequest) => {
        if (!submitResult?.ok || ['received', 'rejected'].includes(status)) throw stateConflict('order_not_changeable', `An order in status ${status} cannot be changed`);
        if (amending) throw stateConflict('change_in_progress', 'Another change or cancellation of this order is in progress');
        if (isContentChange(change) && !(status === 'awaiting_payment' || status === 'payment_failed')) {
          throw stateConflict('order_not_changeable', `Only notes can change once an order is ${status}`);
        }
      },
    },
  );

  setHandler(
    startPaymentUpdate,
    async (request: StartPaymentRequest): Promise<StartPaymentResult> => {
      amending = true;
      try {
        await condition(() => !stepRunning);
        // The step we waited for may have finished the order: then it takes no payment.
        if (['completed', 'expired', 'cancelled', 'invoiced'].includes(status)) {
          throw stateConflict('order_not_payable', `An order in status ${status} takes no payment`);
        }
        if (status !== 'awaiting_payment' && status !== 'payment_failed') return { ok: true, leftToPay: 0 };
        // A new attempt replaces the open session; money that got through on it counts.
        const check = await activities.closePaymentSession(scope);
        if (check.event) {
          paymentEvents.push(check.event);
          return { ok: true, leftToPay: 0 };
        }
        paymentAttempt += 1;
        const session = await activities.createPaymentSession({
          ...scope, attempt: paymentAttempt, ...(request?.savedCardId ? { savedCardId: request.savedCardId } : {}),
        });
        if (session.paidEvent && !seenPaymentEvents.has(session.paidEvent.eventId)) {
          seenPaymentEvents.add(session.paidEvent.eventId);
          paymentEvents.push(session.paidEvent);
        }
        return { ok: true, leftToPay: amountDue, sessionId: session.sessionId, redirectUrl: session.redirectUrl };
      } finally {
        amending = false;
      }
    },
    {
      validator: (_request: StartPaymentRequest) => {
        if (!['awaiting_payment', 'payment_failed', 'paid', 'booked'].includes(status)) {
          throw stateConflict('order_not_payable', status === 'invoiced'
            ? 'This order is paid by invoice (bank transfer)'
            : `An order in status ${status} takes no payment`);
        }
        if (amending) throw stateConflict('change_in_progress', 'Another change of this order is in progress');
      },
    },
  );

  setHandler(
    settleOrderUpdate,
    async (request: SettleOrderRequest): Promise<SettleResult> => {
      amending = true;
      try {
        await condition(() => !stepRunning);
        if (status !== 'needs_attention') return { ok: false, code: 'order_not_in_attention', message: `An order in status ${status} needs no settlement` };
        settlements += 1;
        const key = `settlement-${settlements}`;
        if (request.action === 'accept') {
          if (attentionCause !== 'payment') {
            return { ok: false, code: 'settlement_not_allowed', message: 'Only a payment that differs from the order can be accepted' };
          }
          attentionCause = null;
          await activities.resumeOrder({ ...scope, status: 'paid', eventKey: key, message: `Payment accepted by an operator: ${request.reason}` });
          moveTo('paid', 'booking');
          return { ok: true, status, refund_amount: 0, attention_reason: null };
        }
        const via = request.refundVia ?? 'provider';
        let refunds: { sessionId: string; amount: number }[];
        let refundAmount: number;
        if (!cancelled && (attentionCause === 'payment' || request.action === 'cancel')) {
          // Nothing was booked for a payment that differs; settling it cancels the order.
          cancellations += 1;
          const cancelRequest = { by: 'operator' as const, reason: request.reason, override: true, tenantFee: request.action === 'cancel' };
          const decision = await activities.evaluateCancellation({ ...scope, request: cancelRequest });
          if (!decision.allowed) return { ok: false, code: decision.code, message: decision.message };
          const outcome = await activities.cancelOrder({ ...scope, cancellationId: String(cancellations), request: cancelRequest, decision, refundVia: via });
          await activities.queueOrderEmail({ ...scope, kind: 'cancelled', sequence: cancellations });
          cancelled = true;
          statusBeforeAttention = 'cancelled';
          refunds = outcome.cardRefunds;
          refundAmount = outcome.refundAmount;
        } else {
          const plan = await activities.planSettlementRefund({ ...scope, settlementId: String(settlements), refundVia: via });
          refunds = plan.cardRefunds;
          refundAmount = plan.amount;
        }
        attentionCause = null;
        const refusal = await refundOrPark(refunds, key);
        if (refusal === null) {
          await activities.resumeOrder({ ...scope, status: statusBeforeAttention, eventKey: key, message: `Settled by an operator (${request.action}): ${request.reason}` });
          moveTo(statusBeforeAttention, null);
        }
        return { ok: true, status, refund_amount: refundAmount, attention_reason: refusal };
      } finally {
        amending = false;
      }
    },
    {
      validator: (_request: SettleOrderRequest) => {
        if (status !== 'needs_attention') throw stateConflict('order_not_in_attention', `An order in status ${status} needs no settlement`);
        if (amending) throw stateConflict('change_in_progress', 'Another change of this order is in progress');
      },
    },
  );

  /** The order waits for an operator, who settles it (settleOrderUpdate). */
  async function park(cause: 'payment' | 'refund', reason: string, eventKey: string): Promise<void> {
    if (status !== 'needs_attention') statusBeforeAttention = status;
    attentionCause = cause;
    await activities.parkOrder({ ...scope, reason, eventKey });
    moveTo('needs_attention', `an operator: ${reason}`);
  }

  /**
   * Refunds on the cards that took the money. A refund the provider refuses, or that fails
   * past its retries, parks the order for an operator; answers the reason, or null when all went back.
   */
  async function refundOrPark(refunds: { sessionId: string; amount: number }[], reason: string): Promise<string | null> {
    for (const refund of refunds) {
      let result: Awaited<ReturnType<OrderActivities['refundPayment']>>;
      try {
        result = await refundActivities.refundPayment({ ...scope, sessionId: refund.sessionId, amount: refund.amount, reason });
      } catch (error) {
        result = { ok: false, reason: `the provider did not answer: ${error instanceof Error ? error.message : String(error)}` };
      }
      if (!result.ok) {
        const why = `refund of ${refund.amount} refused: ${result.reason}`;
        await park('refund', why, `refund_refused:${reason}:${refund.sessionId}`);
        return why;
      }
    }
    return null;
  }

  function isCancellable(): boolean {
    return Boolean(submitResult?.ok) && !cancelled && !['received', 'rejected', 'expired', 'cancelled'].includes(status);
  }

  /** Runs a step of the main process unless the order was cancelled; cancellations wait for it. */
  async function step(run: () => Promise<void>): Promise<boolean> {
    await condition(() => !amending);
    if (cancelled) return false;
    stepRunning = true;
    try {
      await run();
    } finally {
      stepRunning = false;
    }
    return !cancelled;
  }

  async function acceptOrder(submission: OrderSubmission): Promise<SubmitResult> {
    // One activity takes the order (validate, place, open the payment session): the client
    // waits for it, so one round trip instead of three (docs/performance.md).
    const taken = await intakeActivities.intakeOrder({
      ...scope,
      orderNumber: start.orderNumber,
      workflowId: workflowInfo().workflowId,
      submission,
      startedAtMs: Date.now(),
      ...(start.preliminaryWindowOverrideMs ? { windowOverrideMs: start.preliminaryWindowOverrideMs } : {}),
    });
    if (!taken.ok) return { ok: false, errors: taken.errors };
    serviceStartsAt = taken.firstStartsAt ? Date.parse(taken.firstStartsAt) : null;
    sellsGiftVouchers = taken.sellsGiftVouchers;
    paymentMethod = taken.paymentMethod;
    orderTotal = taken.total;
    amountDue = orderTotal;
    windowMs = taken.windowMs;
    preliminaryUntil = taken.preliminaryUntil;
    upsertSearchAttributes([
      { key: PaymentMethodKey, value: paymentMethod },
      ...(taken.bookerEmail ? [{ key: CustomerEmailKey, value: taken.bookerEmail }] : []),
    ]);
    return { ok: true };
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
      await bookAndConfirm();
      break;
    case 'invoice':
      await bookAndInvoice();
      break;
    case 'card':
      await collectCardPayment();
      break;
  }
  await acceptCancellationsUntilServiceStarts();
  // An order with an operator stays open until it is settled.
  await condition(() => status !== 'needs_attention' && !amending);
  return status;

  /** A completed order can still be cancelled (refund, credit note) until its service starts. */
  async function acceptCancellationsUntilServiceStarts(): Promise<void> {
    if (status !== 'completed' || serviceStartsAt === null) return;
    const remaining = serviceStartsAt - Date.now();
    if (remaining <= 0) return;
    waitingFor = 'the service date (cancellations are accepted until then)';
    setCurrentDetails(describe());
    await condition(() => cancelled, remaining, { summary: 'service starts' });
    await condition(() => !amending);
    if (!cancelled && status === 'completed') {
      waitingFor = null;
      setCurrentDetails(describe());
    }
  }

  /** A paid or free order: booked, receipt numbered (when money changed hands), completed, mailed. */
  async function bookAndConfirm(): Promise<void> {
    await step(async () => {
      try {
        await bookingActivities.completePaidOrder({ ...scope, receipt: orderTotal > 0 });
      } catch (error) {
        await compensateFailedBooking(String(error));
        return;
      }
      await deliverGiftVouchers();
      moveTo('completed', null);
    });
  }

  /**
   * Saga compensation: the order was paid but could not be booked. Everything it holds goes
   * back and the payment is refunded (keyed, so never twice); operators see why.
   */
  async function compensateFailedBooking(reason: string): Promise<void> {
    log.error('booking failed after payment; refunding', { reason });
    cancellations += 1;
    const outcome = await activities.cancelOrder({
      ...scope,
      cancellationId: `booking-failed-${cancellations}`,
      request: { by: 'operator', reason: 'booking failed after payment' },
      decision: { feePercent: 0, participantPositions: null },
    });
    cancelled = true;
    moveTo('cancelled', null);
    await activities.flagForAttention({ ...scope, reason: `Booking failed after payment (${reason}); refunding ${outcome.refundAmount}`, eventKey: 'booking_failed' });
    await activities.queueOrderEmail({ ...scope, kind: 'refund' });
    await refundOrPark(outcome.cardRefunds, 'booking_failed');
  }

  /** Gift vouchers bought in this order get their codes once it is paid, and go to the buyer. */
  async function deliverGiftVouchers(): Promise<void> {
    if (!sellsGiftVouchers) return;
    const { issued } = await activities.issueGiftVouchers(scope);
    if (issued > 0) await activities.queueOrderEmail({ ...scope, kind: 'gift_voucher' });
  }

  async function bookAndInvoice(): Promise<void> {
    let invoice: Awaited<ReturnType<typeof activities.issueDocument>> | undefined;
    const booked = await step(async () => {
      await activities.bookOrder(scope);
      moveTo('booked', 'the invoice');
      invoice = await activities.issueDocument({ ...scope, kind: 'invoice' });
      await activities.queueOrderEmail({ ...scope, kind: 'invoice' });
      await activities.setOrderStatus({ ...scope, status: 'invoiced', eventKey: 'invoiced', message: 'Invoice issued; waiting for payment' });
      moveTo('invoiced', 'the invoice to be paid');
    });
    if (!booked || !invoice) return;
    let reminders = 0;
    // Reminder timers count from issue, in the workflow's own clock (the stored due date agrees).
    let nextReminderAt = invoice.dueInDays ? Date.now() + invoice.dueInDays * DAY_MS : null;
    // A payment, a cancellation or a partial cancellation that leaves nothing to pay wakes it.
    const woken = () => invoicePayments.length > 0 || cancelled || amountDue === 0;
    while (amountDue > 0 && !cancelled) {
      let paidOrChanged = true;
      if (nextReminderAt === null) await condition(woken);
      else {
        paidOrChanged = await condition(woken, Math.max(0, nextReminderAt - Date.now()), {
          summary: reminders === 0 ? 'invoice due date' : `reminder ${reminders} follow-up`,
        });
      }
      if (cancelled) return;
      if (!paidOrChanged) {
        reminders += 1;
        if (reminders <= INVOICE_REMINDERS) {
          await activities.queueOrderEmail({ ...scope, kind: 'invoice_reminder', sequence: reminders });
          nextReminderAt = Date.now() + (invoice.reminderIntervalDays ?? 7) * DAY_MS;
          waitingFor = `the invoice to be paid (reminder ${reminders} sent)`;
        } else {
          await activities.flagForAttention({ ...scope, reason: `Invoice ${invoice.documentNumber} overdue: ${INVOICE_REMINDERS} reminders sent, still unpaid`, eventKey: 'invoice_overdue' });
          nextReminderAt = null;
          waitingFor = 'the invoice to be paid (overdue, flagged for operators)';
        }
        setCurrentDetails(describe());
        continue;
      }
      for (const payment of invoicePayments.splice(0)) {
        // The ledger answers what is left: payments, credits and refunds all count.
        ({ leftToPay: amountDue } = await activities.recordInvoicePayment({ ...scope, ...payment }));
      }
      if (amountDue > 0) setCurrentDetails(`${describe()} — ${amountDue} left to pay`);
    }
    if (cancelled) return;
    await step(async () => {
      await activities.setOrderStatus({ ...scope, status: 'completed', eventKey: 'completed', message: 'Invoice paid; order completed' });
      await activities.queueOrderEmail({ ...scope, kind: 'receipt' });
      await deliverGiftVouchers();
      moveTo('completed', null);
    });
  }

  async function collectCardPayment(): Promise<void> {
    moveTo('awaiting_payment', 'the card payment');
    const startedAt = Date.now();
    // A customer who left the payment page gets the link by mail once; one who pays at once does not.
    // A window shorter than three minutes (a test tenant's) brings the mail forward with it.
    const receivedAt = startedAt + Math.min(RECEIVED_NOTICE_AFTER_MS, Math.floor(windowMs / 3));
    const receivedNoticeFor = (deadline: number) => (receivedAt < deadline ? receivedAt : null);
    const expiryNoticeFor = (deadline: number) => (deadline - EXPIRY_NOTICE_MS > Date.now() + EXPIRY_NOTICE_MS ? deadline - EXPIRY_NOTICE_MS : null);
    const notices: { kind: 'order_received' | 'expiring_soon'; at: number | null; sent: boolean }[] = [
      { kind: 'order_received', at: receivedNoticeFor(preliminaryUntil!), sent: false },
      { kind: 'expiring_soon', at: expiryNoticeFor(preliminaryUntil!), sent: false },
    ];
    let seenChanges = changes;
    const woken = () => paymentEvents.length > 0 || cancelled || confirmed || changes !== seenChanges;
    let nextCheckAt = Date.now() + PAYMENT_CHECK_EVERY_MS;
    /** Waits until `at` or until woken; in between, asks the provider now and then. */
    async function waitFor(at: number, summary: string): Promise<boolean> {
      for (;;) {
        const sliceEnd = Math.min(at, nextCheckAt);
        if (await condition(woken, Math.max(0, sliceEnd - Date.now()), { summary: sliceEnd === at ? summary : 'payment status check' })) return true;
        if (sliceEnd === at) return false;
        nextCheckAt = Date.now() + PAYMENT_CHECK_EVERY_MS;
        const found = await activities.checkPaymentSession(scope);
        if (found.event && !seenPaymentEvents.has(found.event.eventId)) {
          seenPaymentEvents.add(found.event.eventId);
          paymentEvents.push(found.event);
          return true;
        }
      }
    }
    for (;;) {
      if (changes !== seenChanges) {
        // The order was changed: a new amount, maybe a later deadline (and so a later notice).
        seenChanges = changes;
        const expiry = notices[1]!;
        if (!expiry.sent) expiry.at = expiryNoticeFor(preliminaryUntil!);
      }
      if (cancelled) return;
      if (confirmed) {
        await bookAndInvoice();
        return;
      }
      if (amountDue === 0) break;
      const notice = notices.find((n) => !n.sent && n.at !== null);
      if (notice) {
        const early = await waitFor(notice.at!, notice.kind === 'order_received' ? 'order received notice' : 'expiry notice');
        if (!early) {
          notice.sent = true;
          await activities.queueOrderEmail({ ...scope, kind: notice.kind });
          continue;
        }
        if (paymentEvents.length === 0) continue;
      }
      const remaining = Math.max(0, preliminaryUntil! - Date.now());
      const signalled = await waitFor(Date.now() + remaining, 'preliminary deadline');
      if (cancelled) return;
      if (signalled && paymentEvents.length === 0) continue;
      let outcome = 'pending' as PaymentProgress;
      let expired = false as boolean;
      const went = await step(async () => {
        if (!signalled) {
          // Deadline: a lost webhook must never expire a paid order, so ask the provider first.
          const check = await activities.closePaymentSession(scope);
          if (check.event) paymentEvents.push(check.event);
        }
        outcome = await handlePaymentEvents();
        if (!signalled && outcome === 'pending') {
          await expireNow();
          expired = true;
        }
      });
      if (!went) return;
      if (outcome === 'attention') {
        // Parked: nothing is booked until an operator accepts the payment (or refunds it).
        await condition(() => status !== 'needs_attention' && !amending);
        if (status !== 'paid') return;
        break;
      }
      if (expired) {
        if (await refundLatePayments()) break;
        return;
      }
      if (outcome === 'paid') break;
    }
    await bookAndConfirm();
  }

  async function handlePaymentEvents(): Promise<PaymentProgress> {
    for (const event of paymentEvents.splice(0)) {
      const recorded = await activities.recordPaymentOutcome({ ...scope, event });
      if (event.outcome === 'succeeded' && recorded.accepted) {
        moveTo('paid', 'booking');
        return 'paid';
      }
      if (event.outcome === 'succeeded' && !recorded.accepted) {
        statusBeforeAttention = status;
        attentionCause = 'payment';
        moveTo('needs_attention', `an operator: ${recorded.reason}`);
        return 'attention';
      }
      if (event.outcome !== 'succeeded' && status !== 'payment_failed') {
        moveTo('payment_failed', 'another card payment attempt');
        // One mail for the first failed attempt: the customer is usually still on the page.
        if (event.outcome === 'failed' && !paymentFailureMailed) {
          paymentFailureMailed = true;
          await activities.queueOrderEmail({ ...scope, kind: 'payment_failed' });
        }
      }
    }
    return 'pending';
  }

  async function expireNow(): Promise<void> {
    await activities.expireOrder(scope);
    await activities.queueOrderEmail({ ...scope, kind: 'expired' });
    moveTo('expired', 'late payments to refund');
  }

  /** After expiry: a late payment is refunded, or re-books the order (tenant setting). */
  async function refundLatePayments(): Promise<boolean> {
    for (;;) {
      const late = await condition(() => paymentEvents.length > 0, LATE_PAYMENT_WINDOW, { summary: 'late payment window' });
      if (!late) break;
      for (const event of paymentEvents.splice(0)) {
        if (event.outcome !== 'succeeded') continue;
        const recorded = await activities.recordPaymentOutcome({ ...scope, event });
        if (recorded.accepted) {
          const rebook = await activities.rebookAfterLatePayment(scope);
          if (rebook.rebooked) {
            moveTo('paid', 'booking');
            return true;
          }
        }
        await activities.queueOrderEmail({ ...scope, kind: 'refund' });
        if (await refundOrPark([{ sessionId: event.sessionId, amount: event.amount }], 'paid_after_expiry')) {
          await condition(() => status !== 'needs_attention' && !amending);
        }
      }
    }
    waitingFor = null;
    setCurrentDetails(describe());
    return false;
  }
}
