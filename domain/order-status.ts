export const ORDER_STATUSES = [
  'received',
  'rejected',
  'awaiting_approval',
  'reserved',
  'awaiting_payment',
  'payment_failed',
  'paid',
  'booked',
  'invoiced',
  'completed',
  'expired',
  'cancelled',
  'needs_attention',
] as const;

export type OrderStatus = (typeof ORDER_STATUSES)[number];

/** Statuses after which nothing about the order moves any more (but late events are handled). */
export const FINAL_STATUSES: ReadonlySet<OrderStatus> = new Set(['rejected', 'completed', 'expired', 'cancelled']);
