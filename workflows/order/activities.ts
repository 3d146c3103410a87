import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';

// The order workflow's activities, grouped by how long each kind of work may keep retrying.

/** Everything else: retried until it succeeds (database or provider outages heal). */
export const activities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// The steps every order takes (intake, completion) are local activities: they run in the worker
// that runs the workflow task, with no activity task through the server and no events of their
// own beyond a marker — a third less work for Temporal per order (docs/performance.md). Each is
// idempotent on its own, as a local activity may run again after a worker crash.

/**
 * Intake runs while the client waits for its answer, so it retries for a bounded time; if the
 * database stays unreachable the order is abandoned cleanly and the client is told to retry.
 */
export const intakeActivities = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: {
    initialInterval: '200 milliseconds',
    backoffCoefficient: 2,
    maximumInterval: '5 seconds',
    maximumAttempts: 6,
  },
});

/** Booking and invoicing an invoice order, and completing it once paid: retried until they succeed. */
export const invoiceActivities = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
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
export const paymentActivities = proxyLocalActivities<OrderActivities>({
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
