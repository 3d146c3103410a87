import { currencyExponent } from '../../../domain/money';

// Our order (the summary POST /v1/orders answers, or the order GET /v1/orders/{id} answers, which
// carries the same fields) → the course-booking platform's `summary`. Pure.

/** The fields of our order answer this mapping reads. */
export interface OurOrder {
  id: string;
  currency: string;
  totals: { before_discounts: number; discounts: number; excl_vat: number; vat: number; incl_vat: number };
  number_of_participants: number;
  participants: { index: number; booking_id: string | null }[];
  payment: { method: string; requires_redirect: boolean; session_id: string | null; redirect_url: string | null };
}

export interface CourseBookingSummary {
  order_id: string;
  booking_id: string | null;
  coursedate_id: string;
  currency: string;
  total_before_discounts: number;
  total_calculated_discounts: number;
  total_excl_vat: number;
  total_incl_vat: number;
  total_vat: number;
  number_of_participants: number;
  payment_details: {
    payment_type: string;
    requires_redirect: boolean;
    payment_session_id: string | null;
    redirect_url: string | null;
  };
}

/**
 * `coursedateId` is the course date as the client knows it (its external id, else our occurrence
 * id). Amounts go back to major units (12500 øre → 125), as their API answers. Their answer has one
 * `booking_id` for the order: the first participant's (every participant's is in GET /v1/orders/{id}).
 */
export function toCourseBookingSummary(order: OurOrder, coursedateId: string): CourseBookingSummary {
  const major = (amount: number) => amount / 10 ** currencyExponent(order.currency);
  return {
    order_id: order.id,
    booking_id: order.participants[0]?.booking_id ?? null,
    coursedate_id: coursedateId,
    currency: order.currency,
    total_before_discounts: major(order.totals.before_discounts),
    total_calculated_discounts: major(order.totals.discounts),
    total_excl_vat: major(order.totals.excl_vat),
    total_incl_vat: major(order.totals.incl_vat),
    total_vat: major(order.totals.vat),
    number_of_participants: order.number_of_participants,
    payment_details: {
      payment_type: order.payment.method,
      requires_redirect: order.payment.requires_redirect,
      payment_session_id: order.payment.session_id,
      redirect_url: order.payment.redirect_url,
    },
  };
}
