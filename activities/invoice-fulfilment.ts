import type { OrderStatus } from '../domain/order-status';
import type { IssuedDocument } from './documents/issue-document';
import type { EmailKind } from './notifications/queue-order-email';

interface OrderRef {
  tenantId: string;
  orderId: string;
}

interface Steps {
  bookOrder(input: OrderRef): Promise<unknown>;
  issueDocument(input: OrderRef & { kind: 'invoice' }): Promise<IssuedDocument>;
  queueOrderEmail(input: OrderRef & { kind: EmailKind }): Promise<unknown>;
  setOrderStatus(input: OrderRef & { status: OrderStatus; eventKey: string; message: string }): Promise<void>;
  issueGiftVouchers(input: OrderRef): Promise<{ issued: number }>;
  startOrderSubscriptions(input: OrderRef): Promise<{ started: number }>;
  renewSubscription(input: OrderRef): Promise<{ renewed: boolean }>;
}

/**
 * An invoice order's two steps as one activity each: booked, invoiced and mailed; later, paid
 * and completed. Every inner step is idempotent (bookings, the document and the mail are keyed
 * by the order), so a retry of the whole is safe; one activity instead of four (or two) keeps
 * the order's history short (docs/performance.md).
 */
export function createInvoiceFulfilment(steps: Steps) {
  return {
    async bookAndInvoiceOrder(input: OrderRef): Promise<IssuedDocument> {
      await steps.bookOrder(input);
      const invoice = await steps.issueDocument({ ...input, kind: 'invoice' });
      // A renewal by invoice runs on once invoiced (the invoice is owed, as for any invoiced service).
      await steps.renewSubscription(input);
      await steps.queueOrderEmail({ ...input, kind: 'invoice' });
      await steps.setOrderStatus({
        ...input,
        status: 'invoiced',
        eventKey: 'invoiced',
        message: 'Invoice issued; waiting for payment',
      });
      return invoice;
    },

    async completeInvoicedOrder(input: OrderRef): Promise<void> {
      // Its gift vouchers and subscriptions exist before anyone sees the order completed.
      await steps.issueGiftVouchers(input);
      await steps.startOrderSubscriptions(input);
      await steps.setOrderStatus({
        ...input,
        status: 'completed',
        eventKey: 'completed',
        message: 'Invoice paid; order completed',
      });
      await steps.queueOrderEmail({ ...input, kind: 'receipt' });
    },
  };
}
