import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { OrderRequest } from '../api/schemas/order-request';
import type { BusinessError } from '../domain/business-error';
import type { OrderStatus } from '../domain/order-status';

// The order workflow's public messages: the API and the webhook handlers talk to it only
// through these.

export interface OrderWorkflowStart {
  tenantId: string;
  tenantSlug: string;
  orderId: string;
  orderNumber: number;
  /** Test hook: overrides the tenant's preliminary window (e.g. '3 seconds'). */
  preliminaryWindowOverrideMs?: number;
}

export interface OrderSubmission {
  request: OrderRequest;
  requestHash: string;
  canOverridePrice: boolean;
}

export interface OrderSummary {
  id: string;
  number: number;
  status: OrderStatus;
  currency: string;
  totals: { before_discounts: number; discounts: number; excl_vat: number; vat: number; incl_vat: number };
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
  preliminary_until: string | null;
  payment: { method: 'card' | 'invoice' | 'free'; requires_redirect: boolean; session_id: string | null; redirect_url: string | null };
}

/** The order's contents are in PostgreSQL; the API answers the client from there. */
export type SubmitResult = { ok: true } | { ok: false; errors: BusinessError[] };

export interface PaymentResultSignal {
  eventId: string;
  provider: string;
  sessionId: string;
  outcome: 'succeeded' | 'failed' | 'cancelled';
  amount: number;
  currency: string;
}

export interface InvoicePaidSignal {
  invoiceId: string;
  amount: number;
  reference: string;
}

export interface CancelOrderRequest {
  by: 'client' | 'operator';
  reason?: string;
  /** Operators only: ignore the deadline (the fee is then `feePercent`, default 0). */
  override?: boolean;
  feePercent?: number;
  /** Cancel only these participants (partial cancellation); absent = the whole order. */
  participantIndexes?: number[];
  /** With `override` and no `feePercent`: the tenant's usual fee instead of none. */
  tenantFee?: boolean;
}

export type CancelResult =
  | {
      ok: true; status: OrderStatus; full: boolean; seats_released: number; fee: number; credit_amount: number;
      refund_amount: number; refund_via: 'card' | 'manual' | null; credit_note_number: string | null;
      /** Set when the provider refused the refund: the order went to an operator. */
      attention_reason: string | null;
    }
  | { ok: false; code: string; message: string };

/**
 * An operator's decision on an order that needs attention: `accept` what was paid (book it),
 * `refund` everything the ledger holds, or `cancel` under the tenant's fee and refund the rest.
 */
export interface SettleOrderRequest {
  action: 'accept' | 'refund' | 'cancel';
  reason: string;
  /** `manual`: the operator refunds by bank transfer instead of through the provider. */
  refundVia?: 'provider' | 'manual';
}

export type SettleResult =
  | { ok: true; status: OrderStatus; refund_amount: number; attention_reason: string | null }
  | { ok: false; code: string; message: string };

export interface ChangeOrderRequest {
  notes?: { mark?: string; external?: string; internal?: string };
  /** A new code, or null to remove it. */
  campaignCode?: string | null;
  voucherCode?: string | null;
  /** Replaces all lines (and their participants). */
  lines?: OrderRequest['lines'];
  /** Appended to the current lines. */
  addLines?: OrderRequest['lines'];
  /** `preliminary: false`: no deadline any more; the order is invoiced. */
  confirm?: boolean;
  /** The caller may set prices (scope orders:price_override), as at placement. */
  canOverridePrice?: boolean;
}

export type ChangeResult = { ok: true } | { ok: false; errors: BusinessError[] };

export type StartPaymentResult =
  | { ok: true; leftToPay: 0 }
  | { ok: true; leftToPay: number; sessionId: string; redirectUrl: string };

/** Failure type of an update the order's state does not allow (the API answers 409). */
export const ORDER_STATE_CONFLICT = 'OrderStateConflict';

export interface OrderProgress {
  status: OrderStatus;
  waitingFor: string | null;
  preliminaryUntil: string | null;
}

/** Failure type of a submit whose intake gave up (the API answers 503). */
export const ORDER_INTAKE_UNAVAILABLE = 'OrderIntakeUnavailable';

export const submitOrderUpdate = defineUpdate<SubmitResult, [OrderSubmission]>('submit');
export const paymentResultSignal = defineSignal<[PaymentResultSignal]>('paymentResult');
export const invoicePaidSignal = defineSignal<[InvoicePaidSignal]>('invoicePaid');
export const cancelOrderUpdate = defineUpdate<CancelResult, [CancelOrderRequest]>('cancel');
export const settleOrderUpdate = defineUpdate<SettleResult, [SettleOrderRequest]>('settle');
export const changeOrderUpdate = defineUpdate<ChangeResult, [ChangeOrderRequest]>('change');
export interface StartPaymentRequest {
  /** Pay with a card the provider keeps for the order's customer (seed 004). */
  savedCardId?: string;
}

export const startPaymentUpdate = defineUpdate<StartPaymentResult, [StartPaymentRequest]>('startPayment');
export const orderProgressQuery = defineQuery<OrderProgress>('progress');
