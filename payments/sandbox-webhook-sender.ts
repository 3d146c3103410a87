import type { Db } from '../db/database';
import { loadSandboxSessionReference } from '../db/queries/sandbox-psp-sessions';
import { insertWebhookDelivery, loadWebhookDeliveryState } from '../db/queries/sandbox-webhook-deliveries';
import { deliverDueSandboxWebhooks } from './sandbox-webhook-queue';

export type SandboxOutcome = 'succeeded' | 'failed' | 'cancelled';

/** Why a sandbox payment did not succeed (data.failure_reason), as the test cards produce them. */
export type SandboxFailureReason = 'card_declined' | 'insufficient_funds' | 'processing_error';

export interface SandboxWebhookPayload {
  id: string;
  type: `payment.${SandboxOutcome}`;
  created: number;
  data: {
    session_id: string;
    reference: string;
    amount: number;
    currency: string;
    failure_reason?: SandboxFailureReason;
    saved_card?: { token: string; brand: string; last4: string };
  };
}

export interface SandboxWebhookEvent {
  sessionId: string;
  outcome: SandboxOutcome;
  /** The event id is `evt_<attemptId>`; a second webhook with the same id is a redelivery. */
  attemptId: string;
  failureReason?: SandboxFailureReason;
  /** The card the customer asked the provider to keep (sent with a success). */
  savedCard?: { token: string; brand: string; last4: string };
}

/**
 * Writes the webhook the sandbox provider owes the merchant into sandbox_webhook_deliveries
 * (pass the transaction that changes the session, so the change and its webhook commit
 * together) and returns the delivery's id. An event id that was queued before is sent again
 * with the body it had — a redelivery, as a provider's "resend" does it.
 */
export async function enqueueSandboxWebhook(db: Db, event: SandboxWebhookEvent): Promise<string> {
  const eventId = `evt_${event.attemptId}`;
  const session = await loadSandboxSessionReference(db, event.sessionId);
  const body: SandboxWebhookPayload = {
    id: eventId,
    type: `payment.${event.outcome}`,
    created: Math.floor(Date.now() / 1000),
    data: {
      session_id: session.id,
      reference: session.reference,
      amount: session.amount,
      currency: session.currency,
      ...(event.failureReason ? { failure_reason: event.failureReason } : {}),
      ...(event.savedCard ? { saved_card: event.savedCard } : {}),
    },
  };
  // An event queued before keeps its first body (insertWebhookDelivery).
  return insertWebhookDelivery(db, { sessionId: event.sessionId, eventId, payload: JSON.stringify(body) });
}

/**
 * The fast path: one attempt at a queued webhook right now. True when the merchant answered
 * 2xx; otherwise the delivery loop (startSandboxWebhookDelivery) retries it with backoff.
 */
export async function deliverSandboxWebhookNow(db: Db, deliveryId: string): Promise<boolean> {
  const { delivered } = await deliverDueSandboxWebhooks(db, { ids: [deliveryId] });
  return delivered > 0;
}

/**
 * What the sandbox provider does after something happens to a session: queue a signed webhook
 * to the merchant and try it at once. Resolves whether it was delivered within `waitMs`: the
 * delivery loop may claim the fresh row before this fast path does, and then the answer is
 * that loop's first attempt, not a false "not delivered".
 */
export async function sendSandboxWebhook(
  db: Db,
  sessionId: string,
  outcome: SandboxOutcome,
  attemptId: string,
  options: { failureReason?: SandboxFailureReason; waitMs?: number } = {},
): Promise<boolean> {
  const deliveryId = await enqueueSandboxWebhook(db, {
    sessionId,
    outcome,
    attemptId,
    failureReason: options.failureReason,
  });
  if (await deliverSandboxWebhookNow(db, deliveryId)) return true;
  const deadline = Date.now() + (options.waitMs ?? 10_000);
  for (;;) {
    const state = await loadWebhookDeliveryState(db, deliveryId);
    if (!state || state.delivered || state.lastError !== null) return state?.delivered ?? false;
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
