import { randomBytes } from 'node:crypto';

// The public event names of outbound webhooks (docs/webhooks-outbound.md) and how our internal
// order_events types map onto them. The API validates endpoints' event types against this list;
// the worker's fan-out maps each order_event with publicWebhookEvent.

export const WEBHOOK_EVENT_TYPES = [
  'order.placed',
  'order.paid',
  'order.completed',
  'order.expired',
  'order.cancelled',
  'order.refunded',
  'invoice.issued',
  'invoice.paid',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/** An order_events row as the fan-out reads it. */
export interface OrderEventFact {
  type: string;
  data: Record<string, unknown>;
}

/**
 * The public event an internal order event is announced as, or null when it is not announced
 * (bookings, changes, notes, needs_attention, session bookkeeping …).
 *
 * - `payment.succeeded` (a card payment captured) and `order.paid` (an operator's settlement
 *   setting the status) → `order.paid`
 * - `payment.refunded` (one per refund the provider confirmed) → `order.refunded`
 * - `document.invoice_issued` → `invoice.issued`; `invoice.payment_recorded` → `invoice.paid`
 *   only when it settled the invoice (`left_to_pay` 0)
 * - `order.placed`, `order.completed`, `order.expired`, `order.cancelled` (a full cancellation)
 *   keep their names
 */
export function publicWebhookEvent(fact: OrderEventFact): WebhookEventType | null {
  switch (fact.type) {
    case 'order.placed':
    case 'order.completed':
    case 'order.expired':
    case 'order.cancelled':
      return fact.type;
    case 'order.paid':
    case 'payment.succeeded':
      return 'order.paid';
    case 'payment.refunded':
      return 'order.refunded';
    case 'document.invoice_issued':
      return 'invoice.issued';
    case 'invoice.payment_recorded':
      return fact.data.left_to_pay === 0 ? 'invoice.paid' : null;
    default:
      return null;
  }
}

/** The internal order_events types that can become a public event (the fan-out reads only these). */
export const ANNOUNCED_ORDER_EVENT_TYPES = [
  'order.placed',
  'order.completed',
  'order.expired',
  'order.cancelled',
  'order.paid',
  'payment.succeeded',
  'payment.refunded',
  'document.invoice_issued',
  'invoice.payment_recorded',
] as const;

/** A signing secret in the Standard Webhooks format: `whsec_` + base64 of 32 random bytes. */
export function generateWebhookSecret(): string {
  return `whsec_${randomBytes(32).toString('base64')}`;
}

/** After a rotation the old secret is still signed with for this long, so receivers can switch over. */
export const PREVIOUS_SECRET_VALIDITY_MS = 24 * 60 * 60 * 1000;
