import { allHandlersFinished, condition, continueAsNew } from '@temporalio/workflow';
import { daysBetween } from '../domain/subscription-calendar';
import type { SubscriptionStatus } from '../domain/subscription-state';
import type { SubscriptionWorkflowStart } from './subscription-messages';
import { subscriptionActivities as activities } from './subscription/activities';
import { registerSubscriptionHandlers } from './subscription/handlers';
import { renew } from './subscription/renewal';
import { SubscriptionProcess } from './subscription/subscription-process';

/**
 * One workflow per subscription (issue 13): it sleeps until the renewal notice, then the renewal
 * date, renews (docs/subscriptions.md), and continues as new with each period, so a subscription
 * renewed monthly for ten years keeps a history of one period. PostgreSQL owns its contents; this
 * owns its deadlines and what it waits for.
 */
export async function subscriptionWorkflow(start: SubscriptionWorkflowStart): Promise<SubscriptionStatus> {
  const sub = new SubscriptionProcess(start);
  registerSubscriptionHandlers(sub);
  await sub.loadTerm();
  if (!start.carried) await activities.queueSubscriptionEmail({ ...sub.scope, kind: 'welcome', sequence: 1 });
  sub.publish();

  while (!sub.isCancelled) {
    if (!sub.term.pendingRenewal && !(await awaitRenewalDate(sub))) continue;
    if (sub.isCancelled) break;
    if (sub.cancelAtPeriodEnd) {
      await endWithThePeriod(sub);
      break;
    }
    if (sub.status === 'paused') {
      await sub.wait(() => sub.status !== 'paused', undefined, 'the subscription to be resumed');
      continue;
    }
    const before = { renewalAt: sub.renewalAt, periodEnd: sub.term.periodEnd };
    if (!(await renew(sub))) break;
    await sub.loadTerm();
    // The new period began at the old one's end (or later, when a pause let it lapse).
    sub.periodStartedAtMs = before.renewalAt + daysBetween(before.periodEnd, sub.term.periodStart) * sub.dayMs;
    await condition(allHandlersFinished);
    await continueAsNew<typeof subscriptionWorkflow>({ ...start, carried: sub.carry() });
  }
  await condition(allHandlersFinished);
  sub.waitingFor = null;
  sub.publish();
  return sub.status;
}

/**
 * Sleeps until the renewal date, sending the renewal notice on the way. False when a change woke
 * it (a pause, a cancellation, a new period): the caller looks again.
 */
async function awaitRenewalDate(sub: SubscriptionProcess): Promise<boolean> {
  const version = sub.version;
  const changed = () => sub.version !== version || sub.status === 'cancelled';
  if (!sub.noticeSent && sub.term.noticeDays > 0 && sub.noticeAt > Date.now() && sub.status === 'active') {
    if (await sub.wait(changed, sub.noticeAt - Date.now(), 'the renewal notice')) return false;
    if (sub.status === 'active' && !sub.cancelAtPeriodEnd)
      await activities.queueSubscriptionEmail({
        ...sub.scope,
        kind: 'renewal_notice',
        sequence: sub.term.nextSequence,
        renewalDate: sub.term.periodEnd,
      });
    sub.noticeSent = true;
  }
  return !(await sub.wait(changed, sub.renewalAt - Date.now(), 'the renewal date'));
}

/** Cancelled at the period end: it ends when the period does, and the subscriber is told. */
async function endWithThePeriod(sub: SubscriptionProcess): Promise<void> {
  // The reason was recorded with the request (the subscriber's, or cancelled_at_period_end).
  await sub.move('cancelled');
  await activities.queueSubscriptionEmail({ ...sub.scope, kind: 'cancelled', sequence: 1 });
}
