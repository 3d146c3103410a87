import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { BusinessError } from '../domain/business-error';
import type * as OrderCommands from '../domain/order-commands';
import type { OrderStatus } from '../domain/order-status';

export type {
  ApprovalDecision,
  CancelOrderRequest,
  ChangeOrderRequest,
  OrderSubmission,
  SettleOrderRequest,
  StartPaymentRequest,
} from '../domain/order-commands';

// The order workflow's public messages: the API and the webhook handlers talk to it only
// through these.

export interface OrderWorkflowStart {
  tenantId: string;
  tenantSlug: string;
  orderId: string;
  orderNumber: number;
  /** Test hook: overrides the tenant's preliminary window (e.g. '3 seconds'). */
  preliminaryWindowOverrideMs?: number;
  /** Test hook: overrides the tenant's approval deadline. */
  approvalWindowOverrideMs?: number;
  /** Test hook: one day of a subscription's calendar, for the subscriptions this order starts. */
  subscriptionDayMsOverride?: number;
  /**
   * An order placed by a workflow rather than a client (a subscription's renewal): taken at once,
   * as if this submission had come with the start.
   */
  submission?: OrderCommands.OrderSubmission;
  /** Set when the order renews a subscription: it reports each move to that subscription's workflow. */
  renewal?: RenewalOfSubscription;
}

export interface RenewalOfSubscription {
  subscriptionWorkflowId: string;
  /** How long the renewal stays payable (covers the subscription's dunning). */
  paymentWindowMs: number;
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

export type CancelResult =
  | {
      ok: true;
      status: OrderStatus;
      full: boolean;
      seats_released: number;
      fee: number;
      credit_amount: number;
      refund_amount: number;
      refund_via: 'card' | 'manual' | null;
      credit_note_number: string | null;
      /** Set when the provider refused the refund: the order went to an operator. */
      attention_reason: string | null;
    }
  | { ok: false; code: string; message: string };

export type SettleResult =
  | { ok: true; status: OrderStatus; refund_amount: number; attention_reason: string | null }
  | { ok: false; code: string; message: string };

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

export const submitOrderUpdate = defineUpdate<SubmitResult, [OrderCommands.OrderSubmission]>('submit');
export const paymentResultSignal = defineSignal<[PaymentResultSignal]>('paymentResult');
export const invoicePaidSignal = defineSignal<[InvoicePaidSignal]>('invoicePaid');
export const cancelOrderUpdate = defineUpdate<CancelResult, [OrderCommands.CancelOrderRequest]>('cancel');
export const settleOrderUpdate = defineUpdate<SettleResult, [OrderCommands.SettleOrderRequest]>('settle');
export const changeOrderUpdate = defineUpdate<ChangeResult, [OrderCommands.ChangeOrderRequest]>('change');

/** The order after an approval decision: where it went (a rejected order is cancelled). */
export interface ApprovalResult {
  status: OrderStatus;
}

export const decideApprovalUpdate = defineUpdate<ApprovalResult, [OrderCommands.ApprovalDecision]>('decideApproval');
export const startPaymentUpdate = defineUpdate<StartPaymentResult, [OrderCommands.StartPaymentRequest]>('startPayment');
export const orderProgressQuery = defineQuery<OrderProgress>('progress');

/** One workflow per order, named for operators: `order-<tenant slug>-<order number>`. */
export function orderWorkflowId(tenantSlug: string, orderNumber: number): string {
  return `order-${tenantSlug}-${orderNumber}`;
}

/** Which parts of a completion apply to this order (activities skip the reads of the others). */
export interface CompletionScope {
  giftVouchers: boolean;
  subscriptions: boolean;
}
