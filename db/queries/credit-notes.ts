import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, InvoicesTable, VatSummaryJson } from '../schema';
import type { DocumentNumber } from './document-numbers';
import type { OrderScope } from './order-scope';

export type InvoiceRow = Selectable<InvoicesTable>;

/** The document a credit note refers to: the order's latest invoice or receipt. */
export async function findCreditedDocument(trx: Kysely<Database>, orderId: string): Promise<InvoiceRow | undefined> {
  return trx
    .selectFrom('invoices')
    .selectAll()
    .where('order_id', '=', orderId)
    .where('kind', 'in', ['invoice', 'receipt'])
    .orderBy('issued_at', 'desc')
    .executeTakeFirst();
}

export interface CreditNoteLine {
  order_line_id: string;
  product_id: string;
  product_type: string | null;
  occurrence_id: string | null;
  date: string | null;
  description: string;
  quantity: number;
  unit_price: number;
  vat_rate_bp: number;
  excl_vat: number;
  vat: number;
  incl_vat: number;
}

export interface CreditNote extends OrderScope {
  number: DocumentNumber;
  original: InvoiceRow;
  lines: CreditNoteLine[];
  vatSummary: VatSummaryJson[];
  totalVat: number;
  totalInclVat: number;
}

/** Stores a credit note; seller, buyer and references are the credited document's. */
export async function insertCreditNote(trx: Kysely<Database>, note: CreditNote): Promise<void> {
  const { original } = note;
  await trx
    .insertInto('invoices')
    .values({
      id: crypto.randomUUID(),
      tenant_id: note.tenantId,
      order_id: note.orderId,
      kind: 'credit_note',
      series: note.number.series,
      number: note.number.number,
      document_number: note.number.documentNumber,
      credits_invoice_id: original.id,
      currency: original.currency,
      exchange_rate: original.exchange_rate,
      total_excl_vat: note.totalInclVat - note.totalVat,
      total_vat: note.totalVat,
      total_incl_vat: note.totalInclVat,
      vat_summary: JSON.stringify(note.vatSummary),
      lines: JSON.stringify(note.lines),
      seller: JSON.stringify(original.seller),
      buyer: JSON.stringify(original.buyer),
      status: 'paid',
      payment_reference: original.payment_reference,
      external_id: original.external_id,
    })
    .execute();
}

/**
 * Closes an open document after a full cancellation: credited when its credit notes cover it,
 * else paid (what was not credited was paid: the fees kept).
 */
export async function closeCreditedDocument(trx: Kysely<Database>, original: InvoiceRow): Promise<void> {
  const credited = await trx
    .selectFrom('invoices')
    .select(sql<number>`coalesce(sum(total_incl_vat), 0)::bigint`.as('n'))
    .where('credits_invoice_id', '=', original.id)
    .executeTakeFirstOrThrow();
  const covered = Number(credited.n) >= original.total_incl_vat;
  await trx
    .updateTable('invoices')
    .set(covered ? { status: 'credited' } : { status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
    .where('id', '=', original.id)
    .execute();
}
