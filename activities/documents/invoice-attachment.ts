import type { Kysely } from 'kysely';
import { loadInvoiceDocument } from '../../db/queries/invoices';
import type { Database } from '../../db/schema';
import { renderInvoicePdf } from './invoice-pdf';

export interface PdfAttachment {
  filename: string;
  content: Buffer;
  contentType: 'application/pdf';
}

/**
 * The PDF of an outbox row's document, rendered at send time (the outbox row keeps only the
 * id). No attachment when the document is gone; rendering errors throw (a failed attempt).
 */
export async function invoicePdfAttachments(
  db: Kysely<Database>,
  tenantId: string,
  invoiceId: string,
): Promise<PdfAttachment[]> {
  const doc = await loadInvoiceDocument(db, tenantId, invoiceId);
  if (!doc) return [];
  const title = doc.type === 'credit_note' ? 'credit-note' : doc.type;
  return [
    {
      filename: `${title}-${doc.number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`,
      content: await renderInvoicePdf(doc),
      contentType: 'application/pdf',
    },
  ];
}
