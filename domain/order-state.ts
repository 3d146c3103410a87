import type { OrderStatus } from './order-status';

// The order's state machine: which event moves an order from which status to which, and what
// a client or operator may ask of an order in a given state. The workflow records what
// arrived and asks these two functions; docs/order-lifecycle.md draws the same table (a unit
// test compares the diagram's edges with TRANSITIONS).

export type OrderEvent =
  | 'rejected'
  | 'taken_for_card_payment'
  | 'taken_for_invoice'
  | 'taken_free'
  | 'taken_prepaid'
  | 'held_for_approval'
  | 'approved'
  | 'payment_declined'
  | 'payment_received'
  | 'payment_differs'
  | 'deadline_passed'
  | 'confirmed_as_invoice'
  | 'nothing_left_to_pay'
  | 'booked'
  | 'invoiced'
  | 'completed'
  | 'cancelled'
  | 'refund_refused'
  | 'settled';

export interface Transition {
  from: readonly OrderStatus[];
  event: OrderEvent;
  to: OrderStatus;
}

const OPEN_FOR_PAYMENT = ['awaiting_payment', 'payment_failed'] as const;

/**
 * Every legal move. `settled` returns an order from an operator to where it was (or to the
 * outcome of the operator's decision), so it has one row per status it can return to.
 */
export const TRANSITIONS: readonly Transition[] = [
  { from: ['received'], event: 'rejected', to: 'rejected' },
  { from: ['received'], event: 'taken_for_card_payment', to: 'awaiting_payment' },
  { from: ['received'], event: 'taken_for_invoice', to: 'reserved' },
  { from: ['received'], event: 'taken_free', to: 'reserved' },
  { from: ['received'], event: 'taken_prepaid', to: 'paid' },
  { from: ['received'], event: 'held_for_approval', to: 'awaiting_approval' },
  { from: ['awaiting_approval'], event: 'approved', to: 'awaiting_payment' },
  { from: ['awaiting_approval'], event: 'approved', to: 'reserved' },
  { from: ['awaiting_approval'], event: 'approved', to: 'paid' },
  { from: ['awaiting_payment'], event: 'payment_declined', to: 'payment_failed' },
  { from: [...OPEN_FOR_PAYMENT, 'expired'], event: 'payment_received', to: 'paid' },
  { from: OPEN_FOR_PAYMENT, event: 'payment_differs', to: 'needs_attention' },
  { from: OPEN_FOR_PAYMENT, event: 'deadline_passed', to: 'expired' },
  { from: OPEN_FOR_PAYMENT, event: 'confirmed_as_invoice', to: 'reserved' },
  { from: OPEN_FOR_PAYMENT, event: 'nothing_left_to_pay', to: 'reserved' },
  { from: ['reserved'], event: 'booked', to: 'booked' },
  { from: ['booked'], event: 'invoiced', to: 'invoiced' },
  { from: ['paid', 'reserved', 'invoiced'], event: 'completed', to: 'completed' },
  {
    from: ['awaiting_approval', ...OPEN_FOR_PAYMENT, 'reserved', 'paid', 'invoiced', 'completed', 'needs_attention'],
    event: 'cancelled',
    to: 'cancelled',
  },
  { from: ['paid', 'invoiced', 'completed', 'cancelled', 'expired'], event: 'refund_refused', to: 'needs_attention' },
  { from: ['needs_attention'], event: 'settled', to: 'paid' },
  { from: ['needs_attention'], event: 'settled', to: 'invoiced' },
  { from: ['needs_attention'], event: 'settled', to: 'completed' },
  { from: ['needs_attention'], event: 'settled', to: 'cancelled' },
  { from: ['needs_attention'], event: 'settled', to: 'expired' },
];

export class IllegalTransition extends Error {
  constructor(
    readonly from: OrderStatus,
    readonly event: OrderEvent,
  ) {
    super(`An order in status ${from} cannot take the event ${event}`);
    this.name = 'IllegalTransition';
  }
}

/**
 * The status an event moves the order to; throws IllegalTransition for a move the table does
 * not have. `to` picks the row when an event has several (an operator's settlement).
 */
export function nextStatus(from: OrderStatus, event: OrderEvent, to?: OrderStatus): OrderStatus {
  const row = TRANSITIONS.find((t) => t.event === event && t.from.includes(from) && (to === undefined || t.to === to));
  if (!row) throw new IllegalTransition(from, event);
  return row.to;
}

/** An order is with an operator for one of these reasons, and returns to `resumeTo` when settled. */
export interface Attention {
  cause: 'payment' | 'refund';
  resumeTo: OrderStatus;
}

/** What the decisions below need: the status and, while with an operator, why and where it returns. */
export interface OrderState {
  status: OrderStatus;
  attention: Attention | null;
}

/** The status the order has or returns to once an operator has settled it. */
export function settledStatus(state: OrderState): OrderStatus {
  return state.status === 'needs_attention' && state.attention ? state.attention.resumeTo : state.status;
}

export type OrderRequestKind =
  | { kind: 'change_notes' }
  | { kind: 'change_contents' }
  | { kind: 'cancel'; by: 'client' | 'operator'; partial: boolean }
  | { kind: 'pay' }
  | { kind: 'settle'; action: 'accept' | 'refund' | 'cancel' }
  | { kind: 'decide_approval' };

export interface Refusal {
  code: string;
  message: string;
}

const refuse = (code: string, message: string): Refusal => ({ code, message });

/** The one answer to "may this order be changed / cancelled / paid / settled now?": null, or why not. */
export function mayOrder(state: OrderState, request: OrderRequestKind): Refusal | null {
  const { status } = state;
  const open = (OPEN_FOR_PAYMENT as readonly OrderStatus[]).includes(status);
  switch (request.kind) {
    case 'change_notes':
      return status === 'received' || status === 'rejected'
        ? refuse('order_not_changeable', `An order in status ${status} cannot be changed`)
        : null;
    case 'change_contents':
      if (status === 'received' || status === 'rejected') {
        return refuse('order_not_changeable', `An order in status ${status} cannot be changed`);
      }
      return open ? null : refuse('order_not_changeable', `Only notes can change once an order is ${status}`);
    case 'cancel': {
      const settled = settledStatus(state);
      if (['received', 'rejected', 'expired', 'cancelled'].includes(settled)) {
        return refuse('order_not_cancellable', `An order in status ${status} cannot be cancelled`);
      }
      if (status === 'needs_attention' && request.by !== 'operator') {
        return refuse('order_not_cancellable', 'This order is with an operator');
      }
      if (request.partial && (open || status === 'awaiting_approval')) {
        return refuse(
          'partial_cancellation_not_allowed',
          'Before payment, change the order instead of cancelling participants',
        );
      }
      return null;
    }
    case 'pay':
      if (open || status === 'paid' || status === 'booked') return null;
      return refuse(
        'order_not_payable',
        status === 'invoiced'
          ? 'This order is paid by invoice (bank transfer)'
          : `An order in status ${status} takes no payment`,
      );
    case 'decide_approval':
      return status === 'awaiting_approval'
        ? null
        : refuse('order_not_awaiting_approval', `An order in status ${status} is not waiting for an approval`);
    case 'settle':
      if (status !== 'needs_attention') {
        return refuse('order_not_in_attention', `An order in status ${status} needs no settlement`);
      }
      if (request.action === 'accept' && state.attention?.cause !== 'payment') {
        return refuse('settlement_not_allowed', 'Only a payment that differs from the order can be accepted');
      }
      return null;
  }
}

/** Open for a card payment: a new attempt, a content change, the deadline. */
export function isOpenForPayment(status: OrderStatus): boolean {
  return (OPEN_FOR_PAYMENT as readonly OrderStatus[]).includes(status);
}
