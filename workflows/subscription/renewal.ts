import { ParentClosePolicy, startChild, workflowInfo } from '@temporalio/workflow';
import type { OrderStatus } from '../../domain/order-status';
import { addDays } from '../../domain/subscription-calendar';
import { type OrderWorkflowStart, orderWorkflowId } from '../order-messages';
import { OrderNumberKey, OrderStatusKey, TenantIdKey } from '../search-attributes';
import { subscriptionActivities as activities } from './activities';
import type { SubscriptionProcess } from './subscription-process';

/** Dunning: after a failed renewal charge, tried again this many days after the first failure. */
export const DUNNING_RETRY_DAYS = [1, 3, 7] as const;
/**
 * How long a renewal's order stays payable: past the last retry, so a suspended subscriber can
 * still pay on the link of the last mail before the renewal is given up (docs/subscriptions.md).
 */
export const RENEWAL_PAYMENT_DAYS = 14;

/** An order status after which the renewal is decided: renewed (invoiced or paid), or not. */
const RENEWED: ReadonlySet<OrderStatus> = new Set(['invoiced', 'completed']);
const NOT_RENEWED: ReadonlySet<OrderStatus> = new Set(['rejected', 'expired', 'cancelled']);

interface PlacedRenewal {
  /** The cycle's sequence: mails about this renewal are keyed by it. */
  sequence: number;
  orderId: string;
  orderWorkflowId: string;
  savedCardId: string | null;
  paymentMethod: string;
}

/**
 * One renewal: the period's order is placed as an order workflow of its own (every rule of an
 * order applies to it), then paid — the saved card off-session, or the invoice, or nothing for a
 * free period — with dunning when the card fails. Answers whether the subscription renewed.
 */
export async function renew(sub: SubscriptionProcess): Promise<boolean> {
  sub.renewing = true;
  let placed: PlacedRenewal;
  try {
    placed = sub.term.pendingRenewal ? await resumePending(sub) : await placeRenewal(sub);
  } finally {
    sub.renewing = false;
  }
  sub.currentRenewal = { orderId: placed.orderId, orderWorkflowId: placed.orderWorkflowId };
  const first = await nextDecisiveReport(sub, placed.orderId);
  // Cancelled at once meanwhile: the renewal was withdrawn by the cancellation.
  if (sub.isCancelled) return settle(sub, placed, 'cancelled');
  if (first === 'awaiting_payment' || first === 'payment_failed') return collectCardRenewal(sub, placed);
  return settle(sub, placed, first === 'reserved' ? await renewedOrNot(sub, placed.orderId) : first);
}

async function placeRenewal(sub: SubscriptionProcess): Promise<PlacedRenewal> {
  const cycle = await activities.prepareRenewal({ ...sub.scope, sequence: sub.term.nextSequence, today: sub.today() });
  const workflowId = orderWorkflowId(sub.start.tenantSlug, cycle.orderNumber);
  const start: OrderWorkflowStart = {
    tenantId: sub.scope.tenantId,
    tenantSlug: sub.start.tenantSlug,
    orderId: cycle.orderId,
    orderNumber: cycle.orderNumber,
    submission: cycle.submission,
    renewal: {
      subscriptionWorkflowId: workflowInfo().workflowId,
      paymentWindowMs: RENEWAL_PAYMENT_DAYS * sub.dayMs,
    },
  };
  await startChild('orderWorkflow', {
    workflowId,
    args: [start],
    // The order lives on its own: a subscription that continues as new or ends leaves it running.
    parentClosePolicy: ParentClosePolicy.ABANDON,
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary:
      `Order ${cycle.orderNumber} (${sub.start.tenantSlug}) · ` +
      `renewal ${cycle.sequence} of subscription ${sub.start.number}`,
    typedSearchAttributes: [
      { key: OrderNumberKey, value: String(cycle.orderNumber) },
      { key: OrderStatusKey, value: 'received' },
      { key: TenantIdKey, value: sub.scope.tenantId },
    ],
  });
  return {
    sequence: cycle.sequence,
    orderId: cycle.orderId,
    orderWorkflowId: workflowId,
    savedCardId: cycle.savedCardId,
    paymentMethod: cycle.paymentMethod,
  };
}

/**
 * A renewal placed by an earlier run (its order exists already): it is paid or given up as usual.
 * What the order reported to that run is read from PostgreSQL; its next report counts from there.
 */
async function resumePending(sub: SubscriptionProcess): Promise<PlacedRenewal> {
  const pending = sub.term.pendingRenewal!;
  const status = await activities.renewalOrderStatus({ tenantId: sub.scope.tenantId, orderId: pending.orderId });
  sub.assumeStatus(pending.orderId, status);
  return {
    sequence: pending.sequence,
    orderId: pending.orderId,
    orderWorkflowId: orderWorkflowId(sub.start.tenantSlug, pending.orderNumber),
    savedCardId: sub.term.savedCardId,
    paymentMethod: sub.term.paymentMethod,
  };
}

/** Waits for the order to be taken (or refused); a renewal placed earlier may be further along already. */
async function nextDecisiveReport(sub: SubscriptionProcess, orderId: string): Promise<OrderStatus> {
  const decisive = (s: OrderStatus | undefined) => s !== undefined && s !== 'received' && s !== 'awaiting_approval';
  await sub.wait(
    () => decisive(sub.reports.get(orderId)) || sub.isCancelled,
    undefined,
    'the renewal order to be taken',
  );
  return sub.reports.get(orderId) ?? 'cancelled';
}

async function renewedOrNot(sub: SubscriptionProcess, orderId: string): Promise<OrderStatus> {
  const decided = () => {
    const status = sub.reports.get(orderId);
    return status !== undefined && (RENEWED.has(status) || NOT_RENEWED.has(status));
  };
  await sub.wait(() => decided() || sub.isCancelled, undefined, 'the renewal order to be paid');
  return sub.reports.get(orderId) ?? 'cancelled';
}

/**
 * The card renewal: the saved card is charged; if that fails the customer gets a link to pay
 * with another card, the card is tried again after each of DUNNING_RETRY_DAYS, and after the
 * last the subscription is suspended — still payable until the order's window closes.
 */
async function collectCardRenewal(sub: SubscriptionProcess, placed: PlacedRenewal): Promise<boolean> {
  const decided = () => {
    const status = sub.reports.get(placed.orderId);
    return status !== undefined && (RENEWED.has(status) || NOT_RENEWED.has(status));
  };
  const charge = async (attempt: number) => {
    sub.renewing = true;
    try {
      return await activities.chargeRenewal({
        tenantId: sub.scope.tenantId,
        orderId: placed.orderId,
        orderWorkflowId: placed.orderWorkflowId,
        savedCardId: placed.savedCardId,
        attempt,
      });
    } finally {
      sub.renewing = false;
    }
  };
  let outcome = await charge(1);
  if (sub.isCancelled) return settle(sub, placed, 'cancelled');
  if (outcome.outcome === 'unpaid') {
    const failedAt = Date.now();
    const failedOn = sub.today();
    await sub.move('charge_failed');
    await mailPaymentFailed(sub, placed, 1, outcome.payUrl, failedOn);
    for (const [index, days] of DUNNING_RETRY_DAYS.entries()) {
      const attempt = index + 2;
      const woken = await sub.wait(
        () => decided() || sub.status === 'cancelled',
        failedAt + days * sub.dayMs - Date.now(),
        `dunning attempt ${attempt}`,
      );
      if (woken) break;
      outcome = await charge(attempt);
      if (outcome.outcome !== 'unpaid') break;
      if (attempt <= DUNNING_RETRY_DAYS.length) await mailPaymentFailed(sub, placed, attempt, outcome.payUrl, failedOn);
    }
    if (outcome.outcome === 'unpaid' && !decided() && sub.status === 'past_due') {
      await sub.move('dunning_exhausted');
      await activities.queueSubscriptionEmail({
        ...sub.scope,
        kind: 'suspended',
        sequence: placed.sequence,
        payUrl: outcome.payUrl,
      });
    }
  }
  await sub.wait(() => decided() || sub.status === 'cancelled', undefined, 'the renewal order to be paid');
  return settle(sub, placed, sub.reports.get(placed.orderId) ?? 'cancelled');
}

/** The customer is told each failed attempt, with the page to pay on and when the card is tried again. */
async function mailPaymentFailed(
  sub: SubscriptionProcess,
  placed: PlacedRenewal,
  attempt: number,
  payUrl: string | null,
  failedOn: string,
): Promise<void> {
  await activities.queueSubscriptionEmail({
    ...sub.scope,
    kind: 'payment_failed',
    // One mail per renewal and attempt.
    sequence: placed.sequence * 100 + attempt,
    payUrl,
    retryDate: addDays(failedOn, DUNNING_RETRY_DAYS[attempt - 1]!),
  });
}

/** The renewal decided: the completion moved the subscription on in PostgreSQL, or it ends unpaid. */
async function settle(sub: SubscriptionProcess, placed: PlacedRenewal, status: OrderStatus): Promise<boolean> {
  sub.currentRenewal = null;
  if (sub.status === 'cancelled') return false;
  if (RENEWED.has(status)) {
    sub.renewals += 1;
    if (sub.status !== 'active') await sub.move('renewal_paid');
    return true;
  }
  await activities.markRenewalCycle({ tenantId: sub.scope.tenantId, orderId: placed.orderId, status: 'unpaid' });
  const reason = status === 'rejected' ? 'renewal_refused' : 'unpaid';
  await sub.move('cancelled', reason);
  await activities.queueSubscriptionEmail({ ...sub.scope, kind: 'cancelled', sequence: 1 });
  return false;
}
