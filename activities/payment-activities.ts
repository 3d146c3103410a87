import { ApplicationFailure } from '@temporalio/activity';
import { appendOrderEvent } from '../db/queries/order-events';
import {
  findSavedCardToken,
  loadOrderCurrency,
  loadOrderForPaymentSession,
  loadOrderPaymentState,
} from '../db/queries/payment-orders';
import {
  cancelPendingCharge,
  findChargeBySession,
  findLatestCharge,
  insertPendingCharge,
  insertProviderRefund,
  recordChargeOutcome,
} from '../db/queries/payments';
import { markOrderPaymentFailed, setPaymentStatus } from '../db/queries/order-status';
import { leftToPay } from '../domain/order-money';
import type { PaymentResultSignal } from '../workflows/order-messages';
import type { OrderMetricFacts } from '../db/queries/metrics';
import { recordOrderTransition, recordPayment, recordRefund } from '../runtime/metrics';
import type { ActivityDeps } from './activity-deps';

interface OrderRef {
  tenantId: string;
  orderId: string;
}

export function createPaymentActivities({ db, paymentProviders, publicBaseUrl }: ActivityDeps) {
  return {
    /** Opens the provider session for what the order costs; one per order attempt, keyed. */
    async createPaymentSession({
      tenantId,
      orderId,
      attempt = 1,
      savedCardId,
      successUrl,
      failureUrl,
    }: OrderRef & { attempt?: number; savedCardId?: string; successUrl?: string; failureUrl?: string }): Promise<{
      sessionId: string;
      redirectUrl: string;
      paidEvent?: PaymentResultSignal;
    }> {
      // One session per attempt: a changed order gets a new one for its new amount.
      const idempotencyKey = `${orderId}:charge:${attempt}`;
      const order = await loadOrderForPaymentSession(db, { tenantId, orderId }, idempotencyKey);
      const earlier = order.earlier_session;
      if (earlier?.provider_session_id && earlier.redirect_url) {
        return { sessionId: earlier.provider_session_id, redirectUrl: earlier.redirect_url };
      }
      // The session asks for what the ledger says is left, not for the order's total.
      const amount = leftToPay(order.ledger);
      // The tenant's current choice, read with the order.
      const paymentProvider = paymentProviders.byName(order.payment_provider);
      let savedCardToken: string | undefined;
      if (savedCardId) {
        // Only the order's own customer's cards, and only cards of this provider.
        savedCardToken = await findSavedCardToken(db, {
          tenantId,
          orderId,
          savedCardId,
          provider: paymentProvider.name,
        });
        if (!savedCardToken)
          throw ApplicationFailure.nonRetryable(
            "The saved card does not belong to this order's customer",
            'SavedCardInvalid',
          );
      }
      const session = await paymentProvider.createSession({
        savedCardToken,
        tenantId,
        reference: orderId,
        amount,
        currency: order.currency,
        description: `${order.name} order ${order.number}`,
        webhookUrl: `${publicBaseUrl}/v1/webhooks/${paymentProvider.name}/${order.slug}`,
        // An attempt's own pages (POST /v1/orders/{id}/payments) win over the order's.
        completeUrl: successUrl ?? order.payment_complete_url,
        cancelUrl: failureUrl ?? order.payment_cancel_url,
        idempotencyKey,
        // A subscription renews on the card the buyer agrees to keep (docs/subscriptions.md).
        ...(order.buys_subscription && !savedCardToken ? { cardSaving: 'renewals' as const } : {}),
      });
      await db.transaction().execute(async (trx) => {
        await insertPendingCharge(trx, {
          tenantId,
          orderId,
          provider: paymentProvider.name,
          sessionId: session.sessionId,
          redirectUrl: session.redirectUrl,
          amount,
          currency: order.currency,
          idempotencyKey,
          savedCardId: savedCardToken ? savedCardId : undefined,
        });
        await appendOrderEvent(trx, {
          tenantId,
          orderId,
          eventKey: `payment_session:${session.sessionId}`,
          type: 'payment.session_created',
          message: `Card payment session opened at ${paymentProvider.name}`,
          data: { session_id: session.sessionId },
        });
      });
      if (!savedCardToken) return session;
      // A saved card is charged at once; the webhook may even beat our payments row, so the
      // workflow is handed the result directly (the later webhook is a known event id).
      const charged = await paymentProvider.getSession(tenantId, session.sessionId);
      return charged.state !== 'paid'
        ? session
        : {
            ...session,
            paidEvent: {
              eventId: `reconciled:${session.sessionId}`,
              provider: paymentProvider.name,
              sessionId: session.sessionId,
              outcome: 'succeeded',
              amount: charged.amount,
              currency: charged.currency,
            },
          };
    },

    /**
     * Records what the provider said, with the amount it says it captured: the ledger holds
     * what was taken, never what the order cost. A success whose amount or currency differs
     * from what the session asked for is recorded but not accepted: the workflow parks the
     * order for an operator.
     */
    async recordPaymentOutcome({
      tenantId,
      orderId,
      event,
    }: OrderRef & { event: PaymentResultSignal }): Promise<{ accepted: boolean; reason?: string }> {
      const order = await loadOrderPaymentState(db, { tenantId, orderId }, event.sessionId);
      const charge = order.charge;
      const expected =
        charge && charge.status !== 'succeeded'
          ? { amount: charge.amount, currency: charge.currency }
          : { amount: order.total_incl_vat, currency: order.currency };
      const mismatch =
        event.outcome === 'succeeded' && (event.amount !== expected.amount || event.currency !== expected.currency)
          ? `paid ${event.amount} ${event.currency}, expected ${expected.amount} ${expected.currency}`
          : undefined;
      let becamePaid = false;
      let paidFacts: OrderMetricFacts | undefined;
      const first = await db.transaction().execute(async (trx) => {
        const status =
          event.outcome === 'succeeded' ? 'succeeded' : event.outcome === 'failed' ? 'failed' : 'cancelled';
        await recordChargeOutcome(trx, {
          orderId,
          sessionId: event.sessionId,
          status,
          failureReason: mismatch ?? (status === 'succeeded' ? null : event.outcome),
          ...(status === 'succeeded' ? { captured: { amount: event.amount, currency: event.currency } } : {}),
        });
        if (event.outcome === 'succeeded') {
          const nextStatus = mismatch
            ? 'needs_attention'
            : ['awaiting_payment', 'payment_failed'].includes(order.status)
              ? 'paid'
              : order.status;
          paidFacts = await setPaymentStatus(trx, orderId, nextStatus, mismatch ?? null);
          becamePaid = nextStatus === 'paid' && order.status !== 'paid';
        } else if (order.status === 'awaiting_payment') {
          await markOrderPaymentFailed(trx, orderId);
        }
        return appendOrderEvent(trx, {
          tenantId,
          orderId,
          eventKey: `payment_event:${event.eventId}`,
          type: `payment.${event.outcome}`,
          message: mismatch
            ? `Payment received but ${mismatch}: needs attention`
            : `Card payment ${event.outcome} (${event.amount} ${event.currency})`,
          data: {
            event_id: event.eventId,
            session_id: event.sessionId,
            provider: event.provider,
            amount: event.amount,
            currency: event.currency,
          },
        });
      });
      if (first) {
        recordPayment(event.provider, mismatch ? 'amount_mismatch' : event.outcome);
        if (becamePaid) await recordOrderTransition(db, orderId, 'paid', paidFacts);
      }
      return mismatch ? { accepted: false, reason: mismatch } : { accepted: true };
    },

    /**
     * While the order waits: ask the provider whether the open session was paid (a webhook may
     * be lost or late). Read-only: the session stays open.
     */
    async checkPaymentSession({ tenantId, orderId }: OrderRef): Promise<{ event: PaymentResultSignal | null }> {
      const charge = await findLatestCharge(db, orderId);
      if (!charge?.provider_session_id || charge.status !== 'pending') return { event: null };
      const session = await paymentProviders.byName(charge.provider).getSession(tenantId, charge.provider_session_id);
      if (session.state !== 'paid') return { event: null };
      return {
        event: {
          eventId: `reconciled:${session.sessionId}`,
          provider: charge.provider,
          sessionId: session.sessionId,
          outcome: 'succeeded',
          amount: session.amount,
          currency: session.currency,
        },
      };
    },

    /**
     * At the deadline: close the provider session unless it was paid. Returns the payment as
     * an event when the provider has it, so a lost webhook never expires a paid order.
     */
    async closePaymentSession({ tenantId, orderId }: OrderRef): Promise<{ event: PaymentResultSignal | null }> {
      const charge = await findLatestCharge(db, orderId);
      if (!charge?.provider_session_id) return { event: null };
      const paymentProvider = paymentProviders.byName(charge.provider);
      const session = await paymentProvider.closeSession(tenantId, charge.provider_session_id);
      if (session.state !== 'paid') {
        await cancelPendingCharge(db, orderId, session.sessionId);
        return { event: null };
      }
      return {
        event: {
          eventId: `reconciled:${session.sessionId}`,
          provider: paymentProvider.name,
          sessionId: session.sessionId,
          outcome: 'succeeded',
          amount: session.amount,
          currency: session.currency,
        },
      };
    },

    /**
     * Refunds at the provider and records it; keyed so a retry never refunds twice. A refund
     * the provider refuses is answered, not retried: the workflow hands it to an operator.
     */
    async refundPayment(
      input: OrderRef & { sessionId: string; amount: number; reason: string },
    ): Promise<RefundResult> {
      const idempotencyKey = `${input.orderId}:refund:${input.sessionId}:${input.reason}`;
      const currency = await loadOrderCurrency(db, input.orderId);
      if (input.amount <= 0) return { ok: false, reason: `refund amount must be positive (${input.amount})` };
      // The provider that took the payment refunds it, whatever the tenant uses today.
      const charge = await findChargeBySession(db, input.orderId, input.sessionId);
      const paymentProvider = charge
        ? paymentProviders.byName(charge.provider)
        : await paymentProviders.forTenant(input.tenantId);
      let refundId: string;
      try {
        ({ refundId } = await paymentProvider.refund({
          tenantId: input.tenantId,
          sessionId: input.sessionId,
          amount: input.amount,
          idempotencyKey,
        }));
      } catch (error) {
        if (error instanceof ApplicationFailure && error.nonRetryable) {
          const first = await appendOrderEvent(db, {
            tenantId: input.tenantId,
            orderId: input.orderId,
            eventKey: `refund_refused:${idempotencyKey}`,
            type: 'payment.refund_refused',
            message: `${paymentProvider.name} refused to refund ${input.amount} ${currency}: ${error.message}`,
          });
          if (first) recordRefund(paymentProvider.name, 'refused');
          return { ok: false, reason: error.message };
        }
        throw error;
      }
      const first = await db.transaction().execute(async (trx) => {
        await insertProviderRefund(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          provider: paymentProvider.name,
          sessionId: input.sessionId,
          refundId,
          amount: input.amount,
          currency,
          idempotencyKey,
        });
        return appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: `refund:${idempotencyKey}`,
          type: 'payment.refunded',
          message: `Refunded ${input.amount} ${currency} (${input.reason})`,
          data: { refund_id: refundId },
        });
      });
      if (first) recordRefund(paymentProvider.name, 'refunded');
      return { ok: true, refundId };
    },
  };
}

export type RefundResult = { ok: true; refundId: string } | { ok: false; reason: string };
