import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderStatus } from '../domain/order-status';
import type { SubscriptionStatus } from '../domain/subscription-state';

// The subscription workflow's public messages (issue 13): the API changes a subscription only
// through these Updates, and a renewal's order reports to it through the signal.

export interface SubscriptionWorkflowStart {
  tenantId: string;
  tenantSlug: string;
  subscriptionId: string;
  number: number;
  /** What a run hands to the next when it continues as new (absent on the first run). */
  carried?: SubscriptionCarried;
  /** Test hook: how long one day of the subscription's calendar lasts (periods of minutes). */
  dayMsOverride?: number;
}

export interface SubscriptionCarried {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  /** When the current period began on the workflow's clock (the day-length override counts from it). */
  periodStartedAtMs: number;
  /** Renewals over every run so far. */
  renewals: number;
}

export interface CancelSubscriptionRequest {
  /** `period_end` (default): it runs to the end of the paid period; `now`: it ends, the unused days credited. */
  at: 'period_end' | 'now';
  reason?: string;
}

export interface ChangeSubscriptionPeriodRequest {
  /** A period of the same product; it applies from the next renewal. */
  periodId: string;
}

export interface SubscriptionChangeResult {
  status: SubscriptionStatus;
  cancel_at_period_end: boolean;
  /** ISO time of the next renewal, or null when none is planned (cancelled, ending, paused). */
  next_renewal_at: string | null;
  /** With a cancellation at once: what the unused part of the period credited and refunds. */
  credit?: { amount: number; refund_amount: number; credit_note_number: string | null } | null;
}

/** What a renewal's order tells its subscription whenever it moves. */
export interface RenewalReport {
  orderId: string;
  status: OrderStatus;
  /** Counts the order's reports: signals sent one after another may arrive in another order. */
  sequence: number;
}

export interface SubscriptionProgress {
  status: SubscriptionStatus;
  waitingFor: string | null;
  nextRenewalAt: string | null;
  cancelAtPeriodEnd: boolean;
  renewals: number;
}

/** Failure type of a change the subscription's state does not allow (the API answers 409 with the code). */
export const SUBSCRIPTION_STATE_CONFLICT = 'SubscriptionStateConflict';
/** Failure type of a change whose input the rules refuse (the API answers 422 with the code). */
export const SUBSCRIPTION_CHANGE_INVALID = 'SubscriptionChangeInvalid';

export const cancelSubscriptionUpdate = defineUpdate<SubscriptionChangeResult, [CancelSubscriptionRequest]>(
  'cancelSubscription',
);
export const pauseSubscriptionUpdate = defineUpdate<SubscriptionChangeResult, []>('pauseSubscription');
export const resumeSubscriptionUpdate = defineUpdate<SubscriptionChangeResult, []>('resumeSubscription');
export const changeSubscriptionPeriodUpdate = defineUpdate<SubscriptionChangeResult, [ChangeSubscriptionPeriodRequest]>(
  'changeSubscriptionPeriod',
);
export const renewalReportSignal = defineSignal<[RenewalReport]>('renewalReport');
export const subscriptionProgressQuery = defineQuery<SubscriptionProgress>('subscriptionProgress');

export function subscriptionWorkflowId(tenantSlug: string, number: number): string {
  return `subscription-${tenantSlug}-${number}`;
}
