import { ApplicationFailure } from '@temporalio/workflow';
import {
  type CancelSubscriptionRequest,
  type ChangeSubscriptionPeriodRequest,
  SUBSCRIPTION_CHANGE_INVALID,
  SUBSCRIPTION_STATE_CONFLICT,
  type SubscriptionChangeResult,
} from '../subscription-messages';
import { subscriptionActivities as activities } from './activities';
import type { SubscriptionProcess } from './subscription-process';

// The subscription's changes (issue 13, point 4), each an Update: validated against the state
// (domain/subscription-state.ts), then applied in its turn. The main loop re-plans after each.

export function resultOf(
  sub: SubscriptionProcess,
  credit?: SubscriptionChangeResult['credit'],
): SubscriptionChangeResult {
  const next = sub.nextRenewal();
  return {
    status: sub.status,
    cancel_at_period_end: sub.cancelAtPeriodEnd,
    // A period that lapsed while paused renews as soon as it is resumed: now, not in the past.
    next_renewal_at: next === null ? null : new Date(Math.max(next, Date.now())).toISOString(),
    ...(credit !== undefined ? { credit } : {}),
  };
}

/** At the period end: nothing changes now but the plan; at once: the unused part credited, the subscription ended. */
export async function cancelSubscription(
  sub: SubscriptionProcess,
  request: CancelSubscriptionRequest,
): Promise<SubscriptionChangeResult> {
  sub.assertMay({ kind: 'cancel', at: request.at });
  if (request.at === 'period_end') {
    if (sub.status === 'paused') return cancelNow(sub, request.reason);
    sub.cancelAtPeriodEnd = true;
    await sub.record(request.reason ?? 'cancelled_at_period_end');
    return resultOf(sub);
  }
  return cancelNow(sub, request.reason);
}

const WITHDRAW = { kind: 'withdraw' } as const;

async function cancelNow(sub: SubscriptionProcess, reason: string | undefined): Promise<SubscriptionChangeResult> {
  const why = reason ?? 'cancelled_at_once';
  const plan = await activities.planUnusedCredit({ ...sub.scope, tenantSlug: sub.start.tenantSlug, asOf: sub.today() });
  // An unpaid renewal is withdrawn, so nobody pays it after the end.
  const renewal = sub.currentRenewal;
  if (renewal) {
    const withdrawal = { ...renewal, subscriptionId: sub.scope.subscriptionId, part: WITHDRAW, reason: why };
    refuseUnlessCancelled(await activities.cancelSubscriptionOrder(withdrawal));
    await activities.markRenewalCycle({ tenantId: sub.scope.tenantId, orderId: renewal.orderId, status: 'cancelled' });
  }
  let credit: SubscriptionChangeResult['credit'] = null;
  if (plan.kind === 'credit' && plan.credit > 0) {
    const cancelled = await activities.cancelSubscriptionOrder({
      subscriptionId: sub.scope.subscriptionId,
      orderId: plan.orderId,
      orderWorkflowId: plan.orderWorkflowId,
      // Only the subscription's line, only its unused days: the order and its other lines stay.
      part: { kind: 'credit_unused', amount: plan.credit, lineId: plan.lineId },
      reason: why,
    });
    refuseUnlessCancelled(cancelled);
    if (cancelled?.ok)
      credit = {
        amount: cancelled.credit_amount,
        refund_amount: cancelled.refund_amount,
        credit_note_number: cancelled.credit_note_number,
      };
  }
  sub.cancelAtPeriodEnd = false;
  await sub.move('cancelled', why);
  await activities.queueSubscriptionEmail({ ...sub.scope, kind: 'cancelled', sequence: 1 });
  return resultOf(sub, credit);
}

export async function pauseSubscription(sub: SubscriptionProcess): Promise<SubscriptionChangeResult> {
  sub.assertMay({ kind: 'pause' });
  await sub.move('paused');
  return resultOf(sub);
}

/** Resumed: renewals go on; a renewal date missed while paused renews at once, from today. */
export async function resumeSubscription(sub: SubscriptionProcess): Promise<SubscriptionChangeResult> {
  sub.assertMay({ kind: 'resume' });
  await sub.move('resumed');
  return resultOf(sub);
}

/** From the next renewal on; the period running now is not changed. */
export async function changeSubscriptionPeriod(
  sub: SubscriptionProcess,
  request: ChangeSubscriptionPeriodRequest,
): Promise<SubscriptionChangeResult> {
  sub.assertMay({ kind: 'change_period' });
  const changed = await activities.setNextPeriod({ ...sub.scope, periodId: request.periodId });
  if (!changed.ok)
    throw ApplicationFailure.create({
      type: SUBSCRIPTION_CHANGE_INVALID,
      message: PERIOD_REFUSALS[changed.code],
      details: [changed.code],
      nonRetryable: true,
    });
  // The notice days are the new period's.
  await sub.loadTerm();
  return resultOf(sub);
}

const PERIOD_REFUSALS = {
  period_not_found: 'No such period of this subscription’s product',
  period_inactive: 'That period is no longer sold',
  payment_method_not_allowed_for_period: 'That period cannot be paid the way this subscription pays',
} as const;

/**
 * The period's order refused its cancellation (an operator holds it, or it was paid a moment ago):
 * the subscription stays as it is and the client hears why, rather than ending without its credit.
 */
function refuseUnlessCancelled(result: { ok: boolean; code?: string; message?: string } | null): void {
  if (result === null || result.ok) return;
  throw ApplicationFailure.create({
    type: SUBSCRIPTION_STATE_CONFLICT,
    message: `The order of this period could not be cancelled now (${result.code}): ${result.message}`,
    details: ['period_order_not_cancellable'],
    nonRetryable: true,
  });
}
