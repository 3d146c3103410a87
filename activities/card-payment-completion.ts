import { ApplicationFailure, Context } from '@temporalio/activity';
import type { CompletionScope, PaymentResultSignal } from '../workflows/order-messages';

/** Booking after a payment is tried this many times before the workflow compensates. */
export const BOOKING_ATTEMPTS = 10;

interface Steps {
  recordPaymentOutcome(input: { tenantId: string; orderId: string; event: PaymentResultSignal }): Promise<{
    accepted: boolean;
    reason?: string;
  }>;
  completePaidOrder(input: {
    tenantId: string;
    orderId: string;
    receipt: boolean;
    sells?: CompletionScope;
  }): Promise<unknown>;
}

export type CardPaymentResult =
  | { outcome: 'completed' }
  | { outcome: 'not_paid' }
  | { outcome: 'differs'; reason: string }
  | { outcome: 'booking_failed'; reason: string };

/**
 * A provider's payment event and, when it pays the order, the order's completion, in one
 * activity: one workflow task and three history events fewer per paid order
 * (docs/performance.md). Recording is keyed by the provider's event id, so a retry of the
 * whole records once; booking is given up after BOOKING_ATTEMPTS (or at once when it can
 * never succeed) and answered as `booking_failed`, so the payment is never left unrecorded.
 */
export function createCardPaymentCompletion(steps: Steps) {
  return {
    async recordPaymentAndComplete(input: {
      tenantId: string;
      orderId: string;
      event: PaymentResultSignal;
      receipt: boolean;
      sells?: CompletionScope;
    }): Promise<CardPaymentResult> {
      const { tenantId, orderId, event } = input;
      const recorded = await steps.recordPaymentOutcome({ tenantId, orderId, event });
      if (event.outcome !== 'succeeded') return { outcome: 'not_paid' };
      if (!recorded.accepted) return { outcome: 'differs', reason: recorded.reason ?? 'the payment differs' };
      try {
        await steps.completePaidOrder({ tenantId, orderId, receipt: input.receipt, sells: input.sells });
        return { outcome: 'completed' };
      } catch (error) {
        const final = error instanceof ApplicationFailure && error.nonRetryable;
        if (!final && Context.current().info.attempt < BOOKING_ATTEMPTS) throw error;
        return { outcome: 'booking_failed', reason: error instanceof Error ? error.message : String(error) };
      }
    },
  };
}
