import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { OrderActivities } from '../../activities';

// The order workflow's activities, grouped by how long each kind of work may keep retrying.

/** Everything else: retried until it succeeds (database or provider outages heal). */
export const activities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '200 milliseconds', backoffCoefficient: 2, maximumInterval: '30 seconds' },
});

// The steps every card order takes (intake, then payment and completion) are local activities:
// they run in the worker that runs the workflow task, with no activity task through the server
// and no events of their own beyond a marker — a third less work for Temporal per order
// (docs/performance.md). Each is idempotent on its own, as a local activity may run again after
// a worker crash. A local activity keeps its workflow task open while it runs, so only steps that
// nothing else waits on in that task are local: an invoice order's booking, which waits for the
// document counter's lock and would hold back the answer to the submit Update, stays remote.

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

/** Booking is retried for a while; if it still fails after payment, the payment is given back. */
export const bookingActivities = proxyActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '1 minute', maximumAttempts: 10 },
});

/**
 * Recording a payment must happen whatever it takes (so no attempt limit). A card payment's
 * activity itself gives up on booking after a bounded number of attempts and answers so
 * (docs/payments.md, "A payment, then its booking"). An invoice payment and the completion it
 * allows run here too: the workflow task the payment's signal opened waits for nothing else; the
 * payment is keyed by the order and its reference, the completion by the order, so a second run
 * after a crash changes nothing. Once a retry waits longer than the threshold it waits on a
 * durable timer: a failure that lasts hours then adds a few events per minute to the history
 * instead of a workflow task every few seconds to keep the task open.
 */
export const paymentActivities = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '30 seconds',
  localRetryThreshold: '10 seconds',
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

/**
 * Asking the provider whether a waiting order was paid is read-only and only a second line
 * behind the webhook (the deadline's close is the authoritative look): it runs in the worker that
 * woke the order, with no task of its own, and gives up after a few tries — the order then waits
 * as if the provider had said "not yet".
 */
export const providerCheckActivities = proxyLocalActivities<OrderActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1 second', backoffCoefficient: 2, maximumInterval: '5 seconds', maximumAttempts: 3 },
});
