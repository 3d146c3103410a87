// Our order summary (the answer of POST /v1/orders) → Payway's `201 {id, order_id, payment_id}`.
// Pure.

/** The fields of our order answer this mapping reads. */
export interface OurOrder {
  id: string;
  payment: { method: string; requires_redirect: boolean; session_id: string | null; redirect_url: string | null };
}

export interface PaywayCreated {
  id: string;
  order_id: string;
  payment_id: string | null;
  /** Ours, not theirs: the page a card buyer pays on, when there is one to visit. */
  redirect_url?: string;
}

/**
 * `id` and `order_id` are both our order id (theirs are the same value too), the id of
 * `GET /v1/orders/{id}`. `payment_id` is the payment session: the card page's, or the one a stored
 * card was charged in (`chargedSessionId`); an invoice or free order has none (null). A card order
 * without a stored card carries `redirect_url`: their API had no page to send the buyer to.
 */
export function toPaywayCreated(order: OurOrder, chargedSessionId?: string | null): PaywayCreated {
  const paymentId = chargedSessionId !== undefined ? chargedSessionId : order.payment.session_id;
  const redirect =
    chargedSessionId === undefined && order.payment.requires_redirect && order.payment.redirect_url
      ? { redirect_url: order.payment.redirect_url }
      : {};
  return { id: order.id, order_id: order.id, payment_id: paymentId, ...redirect };
}
