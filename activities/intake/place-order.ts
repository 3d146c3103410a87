import type { BusinessError } from '../../domain/business-error';
import type { OrderDraft } from '../../domain/order-draft';
import type { OrderPaymentMethod } from '../../domain/order-request';
import type { Db } from '../../db/database';
import { connectOrderCustomers, writeOrderContents } from '../../db/queries/order-contents';
import { appendOrderEvent } from '../../db/queries/order-events';
import { insertPlacedOrder } from '../../db/queries/order-placement';
import { insertPrepayment } from '../../db/queries/payments';
import type { OrderSubmission } from '../../workflows/order-messages';
import { PlacementRejected } from './placement-rejected';

export interface PlaceOrderInput {
  tenantId: string;
  orderId: string;
  orderNumber: number;
  workflowId: string;
  submission: OrderSubmission;
  draft: OrderDraft;
  paymentMethod: OrderPaymentMethod;
  preliminaryUntil: string | null;
  /** Set when the order waits for an operator's approval (its status is then `awaiting_approval`). */
  approvalUntil?: string | null;
}

export type PlaceOrderResult = { ok: true } | { ok: false; errors: BusinessError[] };

/**
 * One transaction: seats, campaign use, voucher value, customer, order, participants,
 * lines, timeline. Either all of it is written or nothing (a rejected order leaves no row).
 * Idempotent by order id: a retry after commit finds the order row there and takes nothing back.
 */
export async function placeOrder(db: Db, input: PlaceOrderInput): Promise<PlaceOrderResult> {
  const scope = { tenantId: input.tenantId, orderId: input.orderId };
  const { draft, submission } = input;
  const request = submission.request;
  try {
    await db.transaction().execute(async (trx) => {
      const contents = { ...scope, draft, request };
      const customers = await connectOrderCustomers(trx, contents);
      const inserted = await insertPlacedOrder(trx, {
        ...scope,
        number: input.orderNumber,
        workflowId: input.workflowId,
        paymentMethod: input.paymentMethod,
        customerId: draft.bookerEmail ? (customers.get(draft.bookerEmail) ?? null) : null,
        draft,
        request,
        preliminaryUntil: input.preliminaryUntil,
        approvalUntil: input.approvalUntil ?? null,
      });
      if (!inserted) throw new AlreadyPlaced();
      await recordPrepayment(trx, input);
      const seats = draft.holds.reduce((n, h) => n + h.quantity, 0);
      await appendOrderEvent(trx, {
        ...scope,
        eventKey: 'placed',
        type: 'order.placed',
        message:
          `Order placed: ${seats} seat(s) held, ${draft.pricing.totals.inclVat} ` +
          `${draft.currency} incl. VAT, ${input.paymentMethod}`,
        data: { payment_method: input.paymentMethod, preliminary_until: input.preliminaryUntil },
      });
      // Last before the commit: the contents end with the seats, whose rows every order of the event shares.
      const errors = await writeOrderContents(trx, contents, customers);
      if (errors.length > 0) throw new PlacementRejected(errors);
    });
  } catch (error) {
    if (error instanceof PlacementRejected) return { ok: false, errors: error.errors };
    if (error instanceof AlreadyPlaced) return { ok: true };
    throw error;
  }
  return { ok: true };
}

/** Rolls back the retry's customer write: the first try placed the order whole. */
class AlreadyPlaced extends Error {}

/** An order paid elsewhere has its payment in the ledger from the moment it exists. */
async function recordPrepayment(db: Db, input: PlaceOrderInput): Promise<void> {
  const prepayment = input.submission.request.prepayment;
  if (input.paymentMethod !== 'prepaid' || !prepayment) return;
  const recorded = await insertPrepayment(db, {
    tenantId: input.tenantId,
    orderId: input.orderId,
    amount: prepayment.amount,
    currency: prepayment.currency,
    method: prepayment.method,
    transactionCode: prepayment.transaction_code,
    provider: prepayment.provider ?? null,
    paidAt: prepayment.paid_at ?? null,
  });
  if (!recorded) {
    throw new PlacementRejected([
      {
        code: 'prepayment_already_recorded',
        message: `The transaction code ${prepayment.transaction_code} already paid another order`,
        field: 'prepayment.transaction_code',
      },
    ]);
  }
}
