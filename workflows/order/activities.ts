import { proxyActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';

// The order workflow's activities, grouped by how long each kind of work may keep retrying.

/** Everything else: retried until it succeeds (database or provider outages heal). */
export const activities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

/**
 * Intake runs while the client waits for its answer, so it retries for a bounded time; if the
 * database stays unreachable the order is abandoned cleanly and the client is told to retry.
 */
export const intakeActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 6,
  },
});

/** Booking is retried for a while; if it still fails after payment, the payment is given back. */
export const bookingActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Recording a card payment must happen whatever it takes (so no attempt limit); the activity
 * itself gives up on booking after a bounded number of attempts and answers so (docs/payments.md,
 * "A payment, then its booking").
 */
export const paymentActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute' },
});

/**
 * Refunds are retried for about a minute; a provider that refuses, or stays down that long,
 * hands the order to an operator instead of holding the request that asked for the refund.
 */
export const refundActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '20 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '10 seconds', maximumAttempts: 6 },
});
