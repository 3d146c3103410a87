import type { BusinessError } from '../../domain/business-error';
import type { ApprovalHold } from '../../domain/order-draft';
import type { OrderPaymentMethod } from '../../domain/order-request';
import type { OrderSubmission } from '../../workflows/order-messages';
import type { PlaceOrderInput, PlaceOrderResult } from './place-order';
import type { ValidateOrderResult } from './validate-order';

export interface IntakeOrderInput {
  tenantId: string;
  orderId: string;
  orderNumber: number;
  workflowId: string;
  submission: OrderSubmission;
  /** The workflow's clock when it asked: the deadline counts from here, as its timer does. */
  startedAtMs: number;
  windowOverrideMs?: number;
  /** Test hook: the approval deadline in ms instead of the tenant's hours. */
  approvalWindowOverrideMs?: number;
}

/**
 * What the workflow decides on — never the order's contents, which stay in PostgreSQL (the
 * API answers the client from there), so the workflow's history stays small whatever the
 * order's size.
 */
export type IntakeOrderResult =
  | { ok: false; errors: BusinessError[] }
  | {
      ok: true;
      paymentMethod: OrderPaymentMethod;
      total: number;
      bookerEmail: string | null;
      windowMs: number;
      preliminaryUntil: number | null;
      firstStartsAt: string | null;
      sellsGiftVouchers: boolean;
      sellsSubscriptions?: boolean;
      /** Null unless the order waits for an operator's approval first. */
      approval: ApprovalHold | null;
    };

/** The steps an order is taken in: activities of their own too (the workflow's tests stub them one by one). */
export interface IntakeSteps {
  validateOrder(input: { tenantId: string; submission: OrderSubmission }): Promise<ValidateOrderResult>;
  placeOrder(input: PlaceOrderInput): Promise<PlaceOrderResult>;
  createPaymentSession(input: {
    tenantId: string;
    orderId: string;
  }): Promise<{ sessionId: string; redirectUrl: string }>;
}

/**
 * The whole intake — validate, place (seats, codes, rows), open the payment session — as one
 * activity: the client waits for it, and three round trips through the task queue become one.
 * Each step is idempotent on its own (placement keyed by order id, session by attempt), so a
 * retry of the whole is safe.
 */
export function createTakeOrderActivity(steps: IntakeSteps) {
  return {
    async intakeOrder(input: IntakeOrderInput): Promise<IntakeOrderResult> {
      const scope = { tenantId: input.tenantId, orderId: input.orderId };
      const validation = await steps.validateOrder({ tenantId: input.tenantId, submission: input.submission });
      if (!validation.ok) return validation;
      const { draft } = validation;
      const paymentMethod = draft.pricing.totals.inclVat === 0 ? 'free' : draft.paymentMethod;
      const windowMs = input.windowOverrideMs ?? validation.preliminaryMinutes * 60_000;
      const approval: ApprovalHold | null = validation.approval
        ? {
            untilMs:
              input.startedAtMs + (input.approvalWindowOverrideMs ?? validation.approval.deadlineHours * 3_600_000),
            onDeadline: validation.approval.onDeadline,
          }
        : null;
      // A held card order gets its payment window (and page) once approved.
      const preliminaryUntil = paymentMethod === 'card' && !approval ? input.startedAtMs + windowMs : null;
      const placed = await steps.placeOrder({
        ...scope,
        orderNumber: input.orderNumber,
        workflowId: input.workflowId,
        submission: input.submission,
        draft,
        paymentMethod,
        preliminaryUntil: preliminaryUntil ? new Date(preliminaryUntil).toISOString() : null,
        approvalUntil: approval ? new Date(approval.untilMs).toISOString() : null,
      });
      if (!placed.ok) return placed;
      if (paymentMethod === 'card' && !approval) await steps.createPaymentSession(scope);
      return {
        ok: true,
        paymentMethod,
        total: draft.pricing.totals.inclVat,
        bookerEmail: draft.bookerEmail,
        windowMs,
        preliminaryUntil,
        // A subscription's order takes cancellations (its subscription's, at once) until its period ends.
        firstStartsAt: validation.subscriptionEndsAt ?? validation.firstStartsAt ?? null,
        sellsGiftVouchers: validation.sellsGiftVouchers === true,
        ...(validation.subscriptionEndsAt ? { sellsSubscriptions: true } : {}),
        approval,
      };
    },
  };
}
