import type { OrderRequest } from './order-request';

// What clients and operators ask of an existing order, as the order domain reads it: the API
// maps HTTP bodies onto these, the workflow's Updates take them.

export interface OrderSubmission {
  request: OrderRequest;
  requestHash: string;
  canOverridePrice: boolean;
}

export interface ChangeOrderRequest {
  notes?: { mark?: string; external?: string; internal?: string };
  /** A new code, or null to remove it. */
  campaignCode?: string | null;
  /** New campaign codes in the order they apply (replacing the order's), or null to remove them. */
  campaignCodes?: string[] | null;
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
  /**
   * Only from a subscription cancelled at once (never from the API): `withdraw` cancels an unpaid
   * renewal outright; `credit_unused` credits this much of the subscription's line (the unused days
   * of a paid period) and leaves the rest of the order as it is.
   */
  bySubscription?: { kind: 'withdraw' } | { kind: 'credit_unused'; amount: number; lineId: string };
}

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

export interface StartPaymentRequest {
  /** Pay with a card the provider keeps for the order's customer (docs/payments.md). */
  savedCardId?: string;
  /** This attempt's pages: where the provider sends the buyer after paying / giving up. */
  successUrl?: string;
  failureUrl?: string;
}

/** An operator's decision on an order held for approval (a tenant's or a product's manual-approval hold). */
export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  reason: string;
  /** Who decided (the API key's name), for the timeline. */
  by: string;
}
