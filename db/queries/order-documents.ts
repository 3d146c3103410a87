import { type Kysely, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, Tenant } from '../schema';
import { takeDocumentNumber } from './document-numbers';
import { loadSellerSnapshot } from './invoices';
import type { OrderScope } from './order-scope';

// An order's invoice or receipt: written once, numbered from the tenant's gapless series, with
// everything it prints copied from the order (so the document never changes afterwards).

export type OrderDocumentKind = 'invoice' | 'receipt';

const invoiceSchedule = compiledQuery((db, slot: SlotOf<{ tenantId: string }>) =>
  db
    .selectFrom('tenants')
    .select(['invoice_due_days', 'invoice_reminder_interval_days'])
    .where('id', '=', slot('tenantId')),
);

/** How long an invoice runs and how often it is reminded of. */
export async function loadInvoiceSchedule(
  trx: Kysely<Database>,
  tenantId: string,
): Promise<Pick<Tenant, 'invoice_due_days' | 'invoice_reminder_interval_days'>> {
  const schedule = await invoiceSchedule.one(trx, { tenantId });
  return schedule;
}

const orderDocument = compiledQuery((db, slot: SlotOf<{ orderId: string; kind: OrderDocumentKind }>) =>
  db
    .selectFrom('invoices')
    .select(['id', 'document_number'])
    .where('order_id', '=', slot('orderId'))
    .where('kind', '=', slot('kind')),
);

export async function findOrderDocument(
  trx: Kysely<Database>,
  orderId: string,
  kind: OrderDocumentKind,
): Promise<{ id: string; document_number: string } | undefined> {
  return orderDocument.first(trx, { orderId, kind });
}

const documentOrder = compiledQuery((db, slot: SlotOf<{ tenantId: string; orderId: string }>) =>
  db.selectFrom('orders').selectAll().where('id', '=', slot('orderId')).where('tenant_id', '=', slot('tenantId')),
);

const documentLines = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db
    .selectFrom('order_lines')
    .leftJoin('products', 'products.id', 'order_lines.product_id')
    .selectAll('order_lines')
    .select('products.type as product_type')
    .where('order_lines.order_id', '=', slot('orderId'))
    .orderBy('order_lines.position'),
);

/** A new document's columns; the json ones as text. */
type DocumentValues = {
  id: string;
  tenantId: string;
  orderId: string;
  series: string;
  number: number;
  documentNumber: string;
  currency: string;
  exchangeRate: string | null;
  totalExclVat: number;
  totalVat: number;
  totalInclVat: number;
  vatSummary: string;
  lines: string;
  seller: string;
  buyer: string;
  paymentReference: string;
  externalId: string | null;
  dueAt: Date | null;
};

// One statement per kind: a receipt is paid when issued (paid_at is now(), in the SQL), an invoice is open.
const insertDocumentOfKind = (kind: OrderDocumentKind) =>
  compiledQuery((db, slot: SlotOf<DocumentValues>) =>
    db.insertInto('invoices').values({
      id: slot('id'),
      tenant_id: slot('tenantId'),
      order_id: slot('orderId'),
      kind,
      series: slot('series'),
      number: slot('number'),
      document_number: slot('documentNumber'),
      currency: slot('currency'),
      exchange_rate: slot('exchangeRate'),
      total_excl_vat: slot('totalExclVat'),
      total_vat: slot('totalVat'),
      total_incl_vat: slot('totalInclVat'),
      vat_summary: slot('vatSummary'),
      lines: slot('lines'),
      seller: slot('seller'),
      buyer: slot('buyer'),
      status: kind === 'receipt' ? 'paid' : 'open',
      payment_reference: slot('paymentReference'),
      external_id: slot('externalId'),
      due_at: slot('dueAt'),
      paid_at: kind === 'receipt' ? sql`now()` : null,
    }),
  );
const insertDocument = { invoice: insertDocumentOfKind('invoice'), receipt: insertDocumentOfKind('receipt') };

/**
 * Numbers and stores the order's document in the caller's transaction. A concurrent attempt that
 * stored it first (this one waited on the counter lock) makes the insert fail on
 * invoices_one_per_order_kind: the transaction rolls back with its number, and the retry finds it.
 */
export async function insertOrderDocument(
  trx: Kysely<Database>,
  input: OrderScope & { kind: OrderDocumentKind; dueAt: Date | null },
): Promise<{ invoiceId: string; documentNumber: string }> {
  const { tenantId, orderId } = input;
  const order = await documentOrder.one(trx, { tenantId, orderId });
  const lines = await documentLines.all(trx, { orderId });
  const seller = await loadSellerSnapshot(trx, tenantId);
  // The series' counter row is one for all of the tenant's documents: taken after the reads, so it stays locked for
  // the rest of the caller's transaction only (docs/performance.md, "eighth pass").
  const counter = await takeDocumentNumber(trx, tenantId);
  const id = crypto.randomUUID();
  const booker = (order.booker ?? {}) as Record<string, unknown>;
  await insertDocument[input.kind].affected(trx, {
    id,
    tenantId,
    orderId,
    series: counter.series,
    number: counter.number,
    documentNumber: counter.documentNumber,
    currency: order.currency,
    exchangeRate: order.exchange_rate,
    totalExclVat: order.total_excl_vat,
    totalVat: order.total_vat,
    totalInclVat: order.total_incl_vat,
    vatSummary: JSON.stringify(order.vat_summary),
    lines: JSON.stringify(
      lines.map((l) => ({
        // What each line is for, so an accounting export can match it (the ticketing shop's line id and type).
        order_line_id: l.id,
        product_id: l.product_id,
        product_type: l.product_type,
        occurrence_id: l.occurrence_id,
        date: l.inventory_date,
        description: l.description,
        quantity: l.quantity,
        unit_price: l.unit_price,
        discount: l.discount,
        discount_percent: l.discount_percent,
        vat_rate_bp: l.vat_rate_bp,
        excl_vat: l.excl_vat,
        vat: l.vat,
        incl_vat: l.incl_vat,
      })),
    ),
    seller: JSON.stringify(seller),
    buyer: JSON.stringify({
      name: booker.name ?? null,
      email: order.booker_email,
      company: order.company,
      invoice: order.invoice_details,
    }),
    paymentReference: `${order.number}`,
    externalId: order.external_id,
    dueAt: input.dueAt,
  });
  return { invoiceId: id, documentNumber: counter.documentNumber };
}

const invoicePaid = compiledQuery((db, slot: SlotOf<{ invoiceId: string }>) =>
  db
    .updateTable('invoices')
    .set({ status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
    .where('id', '=', slot('invoiceId'))
    .where('status', '=', 'open'),
);

/** Marks an open invoice paid (a paid or credited one stays as it is). */
export async function markInvoicePaid(trx: Kysely<Database>, invoiceId: string): Promise<void> {
  await invoicePaid.affected(trx, { invoiceId });
}

/** Marks the order's open invoice paid: nothing is left to collect on it. */
export async function markOrderInvoicePaid(trx: Kysely<Database>, orderId: string): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
    .where('order_id', '=', orderId)
    .where('kind', '=', 'invoice')
    .where('status', '=', 'open')
    .execute();
}
