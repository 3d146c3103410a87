import type { CompletionScope } from '../workflows/order-messages';
import type { ActivityDeps } from './activity-deps';
import { issueGiftVouchersInTransaction } from './gift-vouchers';
import { type IssuedDocument, issueDocumentInTransaction } from './documents/issue-document';
import { renewSubscriptionInTransaction, startOrderSubscriptionsInTransaction } from '../db/queries/subscription-start';
import { queueOrderEmail } from './notifications/queue-order-email';
import { bookOrderInTransaction, recordStatusMetric, setOrderStatusInTransaction } from './order-lifecycle';

interface CompletionInput {
  tenantId: string;
  orderId: string;
  /** What the order sells beyond seats; absent (a task scheduled before it existed): look at everything. */
  sells?: CompletionScope;
}

/**
 * How an order is booked, documented and completed: each step one transaction (seats, numbers,
 * vouchers, subscriptions and the status commit together, so no order is seen completed without
 * them), then its mail through the outbox. Every part is idempotent, so a retry of the whole is
 * safe, and one activity instead of four keeps the order's history short (docs/performance.md).
 */
export function createOrderCompletionActivities(deps: ActivityDeps) {
  const { db } = deps;
  const mail = { db, transport: deps.mailTransport, publicBaseUrl: deps.publicBaseUrl };
  return {
    /** A paid (or free) order: seats booked, the receipt numbered, the order completed. */
    async completePaidOrder(
      input: CompletionInput & { receipt: boolean },
    ): Promise<{ seatsBooked: number; documentNumber: string | null }> {
      const result = await db.transaction().execute(async (trx) => {
        const { seatsBooked } = await bookOrderInTransaction(trx, input.tenantId, input.orderId);
        if (input.sells?.giftVouchers !== false) await issueGiftVouchersInTransaction(trx, input);
        if (input.sells?.subscriptions !== false) await startOrderSubscriptionsInTransaction(trx, input);
        const document = input.receipt
          ? await issueDocumentInTransaction(trx, { tenantId: input.tenantId, orderId: input.orderId, kind: 'receipt' })
          : null;
        const written = await setOrderStatusInTransaction(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          status: 'completed',
          eventKey: 'completed',
          message: 'Order completed',
        });
        return { seatsBooked, documentNumber: document?.documentNumber ?? null, written };
      });
      if (result.written.first) await recordStatusMetric(db, { ...input, status: 'completed' }, result.written.facts);
      await queueOrderEmail(mail, { tenantId: input.tenantId, orderId: input.orderId, kind: 'receipt' });
      return { seatsBooked: result.seatsBooked, documentNumber: result.documentNumber };
    },

    /**
     * An invoice order: seats booked, the invoice numbered, a renewal's subscription moved on to
     * the period it invoices (an invoiced service runs on, as the invoice is owed), the order
     * invoiced; then the invoice mail.
     */
    async bookAndInvoiceOrder(input: CompletionInput): Promise<IssuedDocument> {
      const invoice = await db.transaction().execute(async (trx) => {
        await bookOrderInTransaction(trx, input.tenantId, input.orderId);
        if (input.sells?.subscriptions !== false) await renewSubscriptionInTransaction(trx, input);
        // The tenant's document counter is the row every order shares: taken last but for the status.
        const document = await issueDocumentInTransaction(trx, { ...scopeOf(input), kind: 'invoice' });
        await setOrderStatusInTransaction(trx, {
          ...scopeOf(input),
          status: 'invoiced',
          eventKey: 'invoiced',
          message: 'Invoice issued; waiting for payment',
        });
        return document;
      });
      await queueOrderEmail(mail, { ...scopeOf(input), kind: 'invoice' });
      return invoice;
    },

    /** An invoice paid in full: its gift vouchers and subscriptions, the order completed; then the receipt mail. */
    async completeInvoicedOrder(input: CompletionInput): Promise<void> {
      const written = await db.transaction().execute(async (trx) => {
        if (input.sells?.giftVouchers !== false) await issueGiftVouchersInTransaction(trx, input);
        if (input.sells?.subscriptions !== false) await startOrderSubscriptionsInTransaction(trx, input);
        return setOrderStatusInTransaction(trx, {
          ...scopeOf(input),
          status: 'completed',
          eventKey: 'completed',
          message: 'Invoice paid; order completed',
        });
      });
      if (written.first) await recordStatusMetric(db, { ...input, status: 'completed' }, written.facts);
      await queueOrderEmail(mail, { ...scopeOf(input), kind: 'receipt' });
    },
  };
}

/** The order's keys alone: an activity's input may carry more than a query takes. */
function scopeOf(input: CompletionInput): { tenantId: string; orderId: string } {
  return { tenantId: input.tenantId, orderId: input.orderId };
}
