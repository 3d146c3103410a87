import { proxyActivities } from '@temporalio/workflow';
import type { SubscriptionActivities } from '../../activities/subscription-activities';

// The subscription workflow's activities. All are idempotent (a cycle per sequence, an Update id
// per attempt, a mail per kind and sequence), so they retry until the database or Temporal heals.
export const subscriptionActivities = proxyActivities<SubscriptionActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});
