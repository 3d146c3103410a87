import { Context } from '@temporalio/activity';
import { type Client, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import {
  findOrderStatus,
  listOrderSubscriptions,
  loadCurrentPeriodCharge,
  loadSubscriptionTerm,
  markRenewalCycle,
  prepareRenewalCycle,
  recordSubscriptionState,
  recordSubscriptionWorkflow,
  type SubscriptionStateChange,
  setNextPeriod,
} from '../db/queries/subscription-renewals';
import type { OrderSubmission } from '../domain/order-commands';
import type { OrderStatus } from '../domain/order-status';
import { unusedPeriodCredit } from '../domain/subscription-calendar';
import {
  type CancelOrderRequest,
  type CancelResult,
  cancelOrderUpdate,
  orderWorkflowId,
  startPaymentUpdate,
} from '../workflows/order-messages';
import { type SubscriptionWorkflowStart, subscriptionWorkflowId } from '../workflows/subscription-messages';
import {
  SubscriptionNumberKey,
  SubscriptionStatusKey,
  TenantIdKey,
  CustomerEmailKey,
} from '../workflows/search-attributes';
import type { ActivityDeps } from './activity-deps';
import { queueSubscriptionEmail, type QueueSubscriptionEmailInput } from './notifications/queue-subscription-email';

interface SubscriptionRef {
  tenantId: string;
  subscriptionId: string;
}

export type UnusedCreditPlan =
  | { kind: 'nothing_to_credit' }
  | { kind: 'credit'; orderId: string; orderWorkflowId: string; lineId: string; credit: number };

/** What a renewal attempt came to: paid, or not (with the page the customer can pay on). */
export type RenewalChargeOutcome =
  | { outcome: 'paid' }
  | { outcome: 'unpaid'; payUrl: string | null; declined: boolean }
  /** The order takes no payment any more (it completed, expired or was cancelled meanwhile). */
  | { outcome: 'not_payable' };

/**
 * The subscription workflow's activities: thin wrappers around db/queries/subscription-renewals.ts,
 * plus the two that talk to other workflows through the Temporal client (the same Updates the API
 * sends, so a renewal's payment follows every rule an order's does).
 */
export function createSubscriptionActivities(deps: ActivityDeps) {
  const { db } = deps;
  const temporal = (): Client => {
    if (!deps.temporal) throw new Error('This worker has no Temporal client for subscription activities');
    return deps.temporal;
  };
  return {
    loadSubscriptionTerm: (input: SubscriptionRef) => loadSubscriptionTerm(db, input),

    /** The renewal's cycle and the order that asks for it (the same answer when retried). */
    async prepareRenewal(input: SubscriptionRef & { sequence: number; today: string }) {
      const cycle = await prepareRenewalCycle(db, input);
      const submission: OrderSubmission = {
        request: cycle.request,
        // Renewals are not client requests: the hash only has to be stable per cycle.
        requestHash: `renewal:${input.subscriptionId}:${cycle.sequence}`,
        canOverridePrice: false,
      };
      const { request: _request, ...rest } = cycle;
      return { ...rest, submission };
    },

    /** Where a renewal's order is now (received until its intake placed it). */
    async renewalOrderStatus(input: { tenantId: string; orderId: string }): Promise<OrderStatus> {
      return (await findOrderStatus(db, input)) ?? 'received';
    },

    async recordSubscriptionState(change: SubscriptionStateChange): Promise<void> {
      await recordSubscriptionState(db, change);
    },

    async markRenewalCycle(input: { tenantId: string; orderId: string; status: 'unpaid' | 'cancelled' }) {
      await markRenewalCycle(db, input);
    },

    setNextPeriod: (input: SubscriptionRef & { periodId: string }) => setNextPeriod(db, input),

    queueSubscriptionEmail: (input: QueueSubscriptionEmailInput) =>
      queueSubscriptionEmail({ db, transport: deps.mailTransport, publicBaseUrl: deps.publicBaseUrl }, input),

    /**
     * One attempt to get a renewal paid: the saved card off-session (when there is one), else (or
     * when it is declined) a payment page for the customer. Each is the order's startPayment
     * Update under an id per attempt, so a retried activity never charges twice.
     */
    async chargeRenewal(input: {
      tenantId: string;
      orderId: string;
      orderWorkflowId: string;
      savedCardId: string | null;
      attempt: number;
    }): Promise<RenewalChargeOutcome> {
      const order = temporal().workflow.getHandle(input.orderWorkflowId);
      const start = async (updateId: string, savedCardId?: string) => {
        try {
          return await order.executeUpdate(startPaymentUpdate, {
            args: [savedCardId ? { savedCardId } : {}],
            updateId: `${updateId}-${input.orderId}-${input.attempt}`,
          });
        } catch (error) {
          if (error instanceof WorkflowUpdateFailedError) return { refused: String(error.cause?.message) };
          throw error;
        }
      };
      if (input.savedCardId) {
        const charged = await start('renewal-charge', input.savedCardId);
        if ('ok' in charged) {
          if (!('sessionId' in charged)) return { outcome: 'paid' };
          const provider = await deps.paymentProviders.forTenant(input.tenantId);
          const session = await provider.getSession(input.tenantId, charged.sessionId);
          if (session.state === 'paid') return { outcome: 'paid' };
        }
      }
      const page = await start('renewal-page');
      if (!('ok' in page)) return { outcome: 'not_payable' };
      if (!('redirectUrl' in page)) return { outcome: 'paid' };
      return { outcome: 'unpaid', payUrl: page.redirectUrl, declined: input.savedCardId !== null };
    },

    /**
     * What ending the subscription today gives back: the unused whole days of the paid period
     * (domain/subscription-calendar.ts), kept as the fee of cancelling the order that paid it.
     */
    async planUnusedCredit(input: SubscriptionRef & { tenantSlug: string; asOf: string }): Promise<UnusedCreditPlan> {
      const charge = await loadCurrentPeriodCharge(db, input);
      if (!charge) return { kind: 'nothing_to_credit' };
      const credit = unusedPeriodCredit(charge.lineValue, charge, input.asOf);
      if (credit === 0) return { kind: 'nothing_to_credit' };
      return {
        kind: 'credit',
        orderId: charge.orderId,
        orderWorkflowId: orderWorkflowId(input.tenantSlug, charge.orderNumber),
        lineId: charge.lineId,
        credit,
      };
    },

    /**
     * Ends the subscription's part of an order through that order's own cancel Update (its workflow
     * credits, refunds and mails by the order's money rules): an unpaid renewal withdrawn, or the
     * unused days of a paid period credited. Null when the order's workflow has ended.
     */
    async cancelSubscriptionOrder(input: {
      subscriptionId: string;
      orderId: string;
      orderWorkflowId: string;
      part: NonNullable<CancelOrderRequest['bySubscription']>;
      reason: string;
    }): Promise<CancelResult | null> {
      const order = temporal().workflow.getHandle(input.orderWorkflowId);
      try {
        return await order.executeUpdate(cancelOrderUpdate, {
          args: [{ by: 'operator', override: true, reason: input.reason, bySubscription: input.part }],
          updateId: `subscription-cancel-${input.subscriptionId}-${input.orderId}`,
        });
      } catch (error) {
        if (
          error instanceof WorkflowNotFoundError ||
          (error instanceof Error && /already completed/i.test(error.message))
        )
          return null;
        throw error;
      }
    },

    /**
     * Starts the workflow of each subscription an order started (once each: an existing one is
     * kept), on this worker's task queue.
     */
    async startSubscriptionWorkflows(input: {
      tenantId: string;
      orderId: string;
      dayMsOverride?: number;
    }): Promise<{ started: number }> {
      const subscriptions = await listOrderSubscriptions(db, input);
      const { taskQueue } = Context.current().info;
      for (const subscription of subscriptions) {
        const workflowId = subscriptionWorkflowId(subscription.slug, Number(subscription.number));
        const start: SubscriptionWorkflowStart = {
          tenantId: input.tenantId,
          tenantSlug: subscription.slug,
          subscriptionId: subscription.id,
          number: Number(subscription.number),
          ...(input.dayMsOverride ? { dayMsOverride: input.dayMsOverride } : {}),
        };
        await temporal().workflow.start('subscriptionWorkflow', {
          workflowId,
          taskQueue,
          args: [start],
          workflowIdConflictPolicy: 'USE_EXISTING',
          staticSummary: `Subscription ${subscription.number} (${subscription.slug})`,
          typedSearchAttributes: [
            { key: SubscriptionNumberKey, value: String(subscription.number) },
            { key: SubscriptionStatusKey, value: 'active' },
            { key: TenantIdKey, value: input.tenantId },
            ...(subscription.customer_email ? [{ key: CustomerEmailKey, value: subscription.customer_email }] : []),
          ],
        });
        await recordSubscriptionWorkflow(db, { ...input, subscriptionId: subscription.id, workflowId });
      }
      return { started: subscriptions.length };
    },
  };
}

export type SubscriptionActivities = ReturnType<typeof createSubscriptionActivities>;
