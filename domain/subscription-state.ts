// A subscription's states and the one function that decides what it may do now (issue 13).
// The subscription workflow moves through `nextSubscriptionStatus` only; its Update validators
// ask `maySubscription` and answer its refusal (the API's 409 names the rule).

export const SUBSCRIPTION_STATUSES = ['active', 'past_due', 'suspended', 'paused', 'cancelled'] as const;
export type SubscriptionStatus = (typeof SUBSCRIPTION_STATUSES)[number];

export type SubscriptionEvent =
  /** A renewal's order completed (or was invoiced): the new period runs. */
  | 'renewal_paid'
  /** The renewal charge failed: dunning runs. */
  | 'charge_failed'
  /** Every dunning attempt failed. */
  | 'dunning_exhausted'
  | 'paused'
  | 'resumed'
  | 'cancelled';

const TRANSITIONS: Record<SubscriptionStatus, Partial<Record<SubscriptionEvent, SubscriptionStatus>>> = {
  active: { renewal_paid: 'active', charge_failed: 'past_due', paused: 'paused', cancelled: 'cancelled' },
  past_due: { renewal_paid: 'active', dunning_exhausted: 'suspended', cancelled: 'cancelled' },
  suspended: { renewal_paid: 'active', cancelled: 'cancelled' },
  paused: { resumed: 'active', cancelled: 'cancelled' },
  cancelled: {},
};

/** The status after an event; an event the status does not take is a bug, not a state. */
export function nextSubscriptionStatus(status: SubscriptionStatus, event: SubscriptionEvent): SubscriptionStatus {
  const next = TRANSITIONS[status][event];
  if (!next) throw new Error(`A ${status} subscription cannot take ${event}`);
  return next;
}

export type SubscriptionRequest =
  | { kind: 'cancel'; at: 'period_end' | 'now' }
  | { kind: 'pause' }
  | { kind: 'resume' }
  | { kind: 'change_period' };

export interface SubscriptionRefusal {
  code: string;
  message: string;
}

export interface SubscriptionState {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  /** A renewal is being placed or charged right now. */
  renewing: boolean;
}

/** Null when the subscription may do it now; else the rule that refuses it. */
export function maySubscription(state: SubscriptionState, request: SubscriptionRequest): SubscriptionRefusal | null {
  if (state.status === 'cancelled')
    return { code: 'subscription_cancelled', message: 'The subscription is cancelled; nothing about it changes now' };
  switch (request.kind) {
    case 'cancel':
      if (request.at === 'period_end' && state.status !== 'active' && state.status !== 'paused')
        return {
          code: 'subscription_not_active',
          message: `A ${state.status} subscription has no paid period to run out; cancel it at once (at: "now")`,
        };
      if (request.at === 'now' && state.renewing)
        return { code: 'renewal_in_progress', message: 'A renewal is being charged; try again in a moment' };
      return null;
    case 'pause':
      if (state.status !== 'active')
        return {
          code: 'subscription_not_active',
          message: `Only an active subscription can be paused (${state.status})`,
        };
      if (state.cancelAtPeriodEnd)
        return { code: 'subscription_ending', message: 'The subscription ends with this period; it cannot be paused' };
      if (state.renewing)
        return { code: 'renewal_in_progress', message: 'A renewal is being charged; try again in a moment' };
      return null;
    case 'resume':
      if (state.status !== 'paused')
        return {
          code: 'subscription_not_paused',
          message: `Only a paused subscription can be resumed (${state.status})`,
        };
      return null;
    case 'change_period':
      if (state.cancelAtPeriodEnd)
        return { code: 'subscription_ending', message: 'The subscription ends with this period; it renews no more' };
      return null;
  }
}
