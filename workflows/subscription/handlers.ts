import { setHandler } from '@temporalio/workflow';
import {
  cancelSubscriptionUpdate,
  changeSubscriptionPeriodUpdate,
  pauseSubscriptionUpdate,
  renewalReportSignal,
  resumeSubscriptionUpdate,
  subscriptionProgressQuery,
} from '../subscription-messages';
import { cancelSubscription, changeSubscriptionPeriod, pauseSubscription, resumeSubscription } from './changes';
import type { SubscriptionProcess } from './subscription-process';

/**
 * The subscription's messages. The renewal report is only recorded; Updates are refused by the
 * state rules in their validators (no history for a refusal), then applied one at a time.
 */
export function registerSubscriptionHandlers(sub: SubscriptionProcess): void {
  setHandler(subscriptionProgressQuery, () => sub.progress());
  setHandler(renewalReportSignal, (report) => sub.takeReport(report));
  setHandler(cancelSubscriptionUpdate, (request) => sub.inUpdateTurn(() => cancelSubscription(sub, request)), {
    validator: (request) => sub.assertMay({ kind: 'cancel', at: request?.at === 'now' ? 'now' : 'period_end' }),
  });
  setHandler(pauseSubscriptionUpdate, () => sub.inUpdateTurn(() => pauseSubscription(sub)), {
    validator: () => sub.assertMay({ kind: 'pause' }),
  });
  setHandler(resumeSubscriptionUpdate, () => sub.inUpdateTurn(() => resumeSubscription(sub)), {
    validator: () => sub.assertMay({ kind: 'resume' }),
  });
  setHandler(
    changeSubscriptionPeriodUpdate,
    (request) => sub.inUpdateTurn(() => changeSubscriptionPeriod(sub, request)),
    {
      validator: (_request) => sub.assertMay({ kind: 'change_period' }),
    },
  );
}
