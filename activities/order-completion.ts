import type { CompletionScope } from '../workflows/order-messages';
import type { ActivityDeps } from './activity-deps';
import { issueGiftVouchersInTransaction } from './gift-vouchers';
import { issueDocumentInTransaction } from './documents/issue-document';
import { startOrderSubscriptionsInTransaction } from '../db/queries/subscription-start';
import { queueOrderEmail } from './notifications/queue-order-email';
import { bookOrderInTransaction, recordStatusMetric, setOrderStatusInTransaction } from './order-lifecycle';

export function createOrderCompletionActivities(deps: ActivityDeps) {
  const { db } = deps;
  return {
    /**
     * A paid (or free) order's whole completion in one activity: seats booked, the receipt
     * numbered, the order completed — one transaction — then the receipt mail through the
     * outbox. Four activities (and their workflow tasks and history events) become one; every
     * part is idempotent, so a retry of the whole is safe (docs/performance.md).
     */
    async completePaidOrder(input: {
      tenantId: string;
      orderId: string;
      receipt: boolean;
      /** Absent (a task scheduled before it existed): look at everything. */
      sells?: CompletionScope;
    }): Promise<{ seatsBooked: number; documentNumber: string | null }> {
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
      await queueOrderEmail(
        { db, transport: deps.mailTransport, publicBaseUrl: deps.publicBaseUrl },
        { tenantId: input.tenantId, orderId: input.orderId, kind: 'receipt' },
      );
      return { seatsBooked: result.seatsBooked, documentNumber: result.documentNumber };
    },
  };
}
