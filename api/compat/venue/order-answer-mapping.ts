import { currencyExponent } from '../../../domain/money';

// Our order (POST /v1/orders' summary, GET /v1/orders/{id}'s details) → the venue platform's
// order answers. Pure. Amounts go to major units including VAT (12500 øre → 125), as their API
// shows prices; currency codes to upper case ("DKK"), as theirs.

/** The fields of our order answers this mapping reads. */
export interface OurOrder {
  id: string;
  number: number;
  status: string;
  currency: string;
  totals: { discounts: number; excl_vat: number; vat: number; incl_vat: number };
  payment: { method: string; redirect_url: string | null };
  amount_paid?: number;
  left_to_pay?: number;
  lines?: {
    id: string;
    product_id: string;
    occurrence_id: string | null;
    date: string | null;
    description: string;
    quantity: number;
    unit_price: number;
    discount: number;
    vat_rate: number;
    incl_vat: number;
  }[];
  payments?: { id: string; kind: string; status: string; amount: number }[];
}

export const toMajor = (amount: number, currency: string) => amount / 10 ** currencyExponent(currency);

/**
 * Their create-order answer is `{id, number}`; ours adds the totals and the payment page the
 * order already has, so a client can send the customer there without another call.
 */
export function toVenueOrderCreated(order: OurOrder) {
  const major = (amount: number) => toMajor(amount, order.currency);
  return {
    id: order.id,
    number: String(order.number),
    status: order.status,
    currencyCode: order.currency.toUpperCase(),
    totalAmount: major(order.totals.incl_vat),
    totalVat: major(order.totals.vat),
    totalDiscount: major(order.totals.discounts),
    paymentUrl: order.payment.redirect_url,
  };
}

/** The order read back (GET /order/{id}): the created answer plus what is paid and its lines. */
export function toVenueOrder(order: OurOrder) {
  const major = (amount: number) => toMajor(amount, order.currency);
  return {
    ...toVenueOrderCreated(order),
    amountPaid: major(order.amount_paid ?? 0),
    leftToPay: major(order.left_to_pay ?? 0),
    orderLines: (order.lines ?? []).map((line) => ({
      id: line.id,
      sellableId: line.occurrence_id,
      productId: line.product_id,
      name: line.description,
      quantity: line.quantity,
      date: line.date,
      // Unit price and discount in the tenant's price basis; totalAmount includes VAT.
      amount: major(line.unit_price),
      discount: major(line.discount),
      vatPercentage: line.vat_rate,
      totalAmount: major(line.incl_vat),
    })),
  };
}

/** Their "all order transactions" answer (200 when nothing is left to pay): our payments. */
export function toVenueTransactions(order: OurOrder) {
  return (order.payments ?? []).map((p) => ({
    id: p.id,
    kind: p.kind,
    status: p.status,
    amount: toMajor(p.amount, order.currency),
  }));
}
