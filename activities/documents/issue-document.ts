import type { Kysely } from 'kysely';
import type { Database } from '../../db/schema';
import {
  findOrderDocument,
  insertOrderDocument,
  loadInvoiceSchedule,
  markInvoicePaid,
} from '../../db/queries/order-documents';
import { lockOrderCurrency } from '../../db/queries/payment-orders';
import { insertInvoicePayment } from '../../db/queries/payments';
import { appendOrderEvent } from '../../db/queries/order-events';
import { loadOrderLedger } from '../../db/queries/order-ledger';
import { leftToPay } from '../../domain/order-money';
import type { ActivityDeps } from '../activity-deps';

export type DocumentKind = 'invoice' | 'receipt';

export interface IssuedDocument {
  invoiceId: string;
  documentNumber: string;
  /** Invoices: the workflow's reminder timers count from issue (the stored due_at agrees). */
  dueInDays: number | null;
  reminderIntervalDays: number | null;
}

/** issueDocument's work inside the caller's transaction (the completion step shares one). */
export async function issueDocumentInTransaction(
  trx: Kysely<Database>,
  input: { tenantId: string; orderId: string; kind: DocumentKind },
): Promise<IssuedDocument> {
  // Only an invoice falls due; a receipt needs no read of the tenant's schedule.
  const tenant = input.kind === 'invoice' ? await loadInvoiceSchedule(trx, input.tenantId) : null;
  const schedule = tenant
    ? { dueInDays: tenant.invoice_due_days, reminderIntervalDays: tenant.invoice_reminder_interval_days }
    : { dueInDays: null, reminderIntervalDays: null };
  const existing = await findOrderDocument(trx, input.orderId, input.kind);
  if (existing) return { invoiceId: existing.id, documentNumber: existing.document_number, ...schedule };

  const dueAt = schedule.dueInDays === null ? null : new Date(Date.now() + schedule.dueInDays * 86_400_000);
  const { invoiceId, documentNumber } = await insertOrderDocument(trx, { ...input, dueAt });
  await appendOrderEvent(trx, {
    tenantId: input.tenantId,
    orderId: input.orderId,
    eventKey: `document:${input.kind}`,
    type: `document.${input.kind}_issued`,
    message: `${input.kind === 'invoice' ? 'Invoice' : 'Receipt'} ${documentNumber} issued`,
    data: { invoice_id: invoiceId, document_number: documentNumber },
  });
  return { invoiceId, documentNumber, ...schedule };
}

export function createDocumentActivities({ db }: ActivityDeps) {
  return {
    /**
     * Issues the order's invoice or receipt with the tenant's next number. The number is taken
     * from a row-locked counter in the same transaction that stores the document, so a rolled
     * back attempt gives its number back and the series never has a gap or a duplicate.
     */
    async issueDocument(input: { tenantId: string; orderId: string; kind: DocumentKind }): Promise<IssuedDocument> {
      return db.transaction().execute((trx) => issueDocumentInTransaction(trx, input));
    },

    /**
     * Books an invoice payment against the order and answers what the ledger says is left to
     * pay; the invoice is marked paid when nothing is.
     */
    async recordInvoicePayment(input: {
      tenantId: string;
      orderId: string;
      invoiceId: string;
      amount: number;
      reference: string;
    }): Promise<{ leftToPay: number }> {
      return db.transaction().execute(async (trx) => {
        const currency = await lockOrderCurrency(trx, input.orderId);
        const key = `${input.orderId}:invoice:${input.invoiceId}:${input.reference}`;
        await insertInvoicePayment(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          reference: input.reference,
          amount: input.amount,
          currency,
          idempotencyKey: key,
        });
        const left = leftToPay(await loadOrderLedger(trx, input.orderId));
        if (left === 0) await markInvoicePaid(trx, input.invoiceId);
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey: `invoice_payment:${key}`,
          type: 'invoice.payment_recorded',
          message:
            `Invoice payment of ${input.amount} ${currency} ` +
            `recorded${left === 0 ? '; invoice settled' : `; ${left} left to pay`}`,
          // left_to_pay: the webhook fan-out announces invoice.paid only for the payment that settled it.
          data: { invoice_id: input.invoiceId, reference: input.reference, amount: input.amount, left_to_pay: left },
        });
        return { leftToPay: left };
      });
    },
  };
}
