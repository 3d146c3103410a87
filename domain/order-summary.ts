import type { OrderStatus } from './order-status';
import type { OrderPaymentMethod } from './order-request';

export interface OrderDiscountPart {
  source: 'lines' | 'campaign' | 'voucher';
  code: string | null;
  campaign_id: string | null;
  amount: number;
}

/** An order as the API answers it (built from PostgreSQL, the owner of its contents). */
export interface OrderSummary {
  id: string;
  number: number;
  status: OrderStatus;
  currency: string;
  totals: {
    before_discounts: number;
    discounts: number;
    /** Adds up to `discounts`: the lines' own, each campaign code in the order applied, the voucher. */
    discount_breakdown: OrderDiscountPart[];
    excl_vat: number;
    vat: number;
    incl_vat: number;
  };
  vat_summary: { rate: number; base: number; amount: number }[];
  lines: {
    id: string;
    product_id: string;
    occurrence_id: string | null;
    date: string | null;
    participant_index: number | null;
    description: string;
    quantity: number;
    unit_price: number;
    discount: number;
    vat_rate: number;
    excl_vat: number;
    vat: number;
    incl_vat: number;
  }[];
  number_of_participants: number;
  /** Each participant's booking reference, from the moment the order exists. */
  participants: { index: number; booking_id: string | null }[];
  preliminary_until: string | null;
  /** While the order is held for an operator's approval: until when it waits. */
  approval_until: string | null;
  payment: {
    method: OrderPaymentMethod;
    requires_redirect: boolean;
    session_id: string | null;
    redirect_url: string | null;
  };
}
