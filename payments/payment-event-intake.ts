import { type Client, WorkflowNotFoundError } from '@temporalio/client';
import type { Db } from '../db/database';
import { findChargeOrder, storePaymentEvent } from '../db/queries/payment-events';
import { controlCharacterIn } from '../domain/text';
import type { Logger } from '../runtime/logger';
import { type PaymentResultSignal, paymentResultSignal } from '../workflows/order-messages';

export interface PaymentEventDeps {
  db: Db;
  temporal: Client;
  logger: Logger;
}

/** An event the provider signed but that cannot be stored as it is (the webhook answers 400). */
export class InvalidPaymentEvent extends Error {
  readonly code = 'webhook_payload_invalid';
}

/** A provider's webhook event, verified and understood by the provider's route. */
export interface VerifiedPaymentEvent {
  provider: string;
  tenantId: string;
  /** The provider's event id: stored once per tenant and provider. */
  eventId: string;
  type: string;
  rawBody: string;
  /** Which of our payments it is about: the provider's session id. */
  sessionId: string | null;
  /** What it tells the order's workflow; null = stored only. */
  result: Pick<PaymentResultSignal, 'outcome' | 'amount' | 'currency'> | null;
}

/**
 * What every payment webhook does once its signature is verified: store the event once in
 * payment_events (with the raw body), and signal the order's workflow. A repeat is signalled
 * again — if the first delivery was stored but its signal was lost, this one carries it; the
 * workflow ignores an event id it has seen.
 *
 * "Once" is per tenant and provider: event ids come from each tenant's own provider account
 * and are predictable (the sandbox's are derived from the session), so another tenant's
 * event with the same id is not a repeat of ours and never stops ours from being stored.
 */
export async function takePaymentEvent(
  deps: PaymentEventDeps,
  event: VerifiedPaymentEvent,
): Promise<{ received: true; duplicate: boolean }> {
  const { db, temporal, logger } = deps;
  // Signed by the provider, but still text bound for PostgreSQL (which refuses NUL).
  const texts = [
    ['id', event.eventId],
    ['type', event.type],
    ['session_id', event.sessionId],
  ] as const;
  for (const [field, value] of texts) {
    if (typeof value === 'string' && controlCharacterIn(value) !== undefined) {
      throw new InvalidPaymentEvent(`The event's ${field} contains a control character`);
    }
  }
  const payment = event.sessionId
    ? await findChargeOrder(db, { tenantId: event.tenantId, provider: event.provider, sessionId: event.sessionId })
    : undefined;
  const duplicate = !(await storePaymentEvent(db, {
    tenantId: event.tenantId,
    provider: event.provider,
    providerEventId: event.eventId,
    orderId: payment?.order_id ?? null,
    type: event.type,
    rawBody: event.rawBody,
  }));
  if (!payment) {
    logger.warn(
      { provider: event.provider, session: event.sessionId, event: event.eventId },
      'webhook for an unknown payment session',
    );
    return { received: true, duplicate };
  }
  if (!event.result || !event.sessionId) return { received: true, duplicate };
  try {
    await temporal.workflow.getHandle(payment.workflow_id).signal(paymentResultSignal, {
      eventId: event.eventId,
      provider: event.provider,
      sessionId: event.sessionId,
      ...event.result,
    });
  } catch (error) {
    if (!(error instanceof WorkflowNotFoundError)) throw error;
    // The order's process has ended; the stored event is what an operator acts on.
    logger.error({ order: payment.order_id, event: event.eventId }, 'payment event for a finished order workflow');
  }
  return { received: true, duplicate };
}
