import { type Kysely, sql } from 'kysely';
import type { Database, Tenant } from '../schema';
import { takeDocumentNumber } from './document-numbers';
import { loadSellerSnapshot } from './invoices';
import type { OrderScope } from './order-scope';

// An order's invoice or receipt: written once, numbered from the tenant's gapless series, with
// everything it prints copied from the order (so the document never changes afterwards).

export type OrderDocumentKind = 'invoice' | 'receipt';

/** How long an invoice runs and how often it is reminded of. */
export async function loadInvoiceSchedule(
  trx: Kysely<Database>,
  tenantId: string,
): Promise<Pick<Tenant, 'invoice_due_days' | 'invoice_reminder_interval_days'>> {
  return trx
    .selectFrom('tenants')
    .select(['invoice_due_days', 'invoice_reminder_interval_days'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
}

export async function findOrderDocument(
  trx: Kysely<Database>,
  orderId: string,
  kind: OrderDocumentKind,
): Promise<{ id: string; document_number: string } | undefined> {
  return trx
    .selectFrom('invoices')
    .select(['id', 'document_number'])
    .where('order_id', '=', orderId)
    .where('kind', '=', kind)
    .executeTakeFirst();
}

/**
 * Numbers and stores the order's document in the caller's transaction. A concurrent attempt that
 * stored it first (this one waited on the counter lock) makes the insert fail on
 * invoices_one_per_order_kind: the transaction rolls back with its number, and the retry finds it.
 */
export async function insertOrderDocument(
  trx: Kysely<Database>,
  input: OrderScope & { kind: OrderDocumentKind; dueAt: Date | null },
): Promise<{ invoiceId: string; documentNumber: string }> {
  const order = await trx
    .selectFrom('orders')
    .selectAll()
    .where('id', '=', input.orderId)
    .where('tenant_id', '=', input.tenantId)
    .executeTakeFirstOrThrow();
  const lines = await trx
    .selectFrom('order_lines')
    .leftJoin('products', 'products.id', 'order_lines.product_id')
    .selectAll('order_lines')
    .select('products.type as product_type')
    .where('order_lines.order_id', '=', input.orderId)
    .orderBy('order_lines.position')
    .execute();
  const seller = await loadSellerSnapshot(trx, input.tenantId);
  // The series' counter row is one for all of the tenant's documents: taken after the reads, so it stays locked for
  // the rest of the caller's transaction only (docs/performance.md, "eighth pass").
  const counter = await takeDocumentNumber(trx, input.tenantId);
  const id = crypto.randomUUID();
  const booker = (order.booker ?? {}) as Record<string, unknown>;
  await trx
    .insertInto('invoices')
    .values({
      id,
      tenant_id: input.tenantId,
      order_id: input.orderId,
      kind: input.kind,
      series: counter.series,
      number: counter.number,
      document_number: counter.documentNumber,
      currency: order.currency,
      exchange_rate: order.exchange_rate,
      total_excl_vat: order.total_excl_vat,
      total_vat: order.total_vat,
      total_incl_vat: order.total_incl_vat,
      vat_summary: JSON.stringify(order.vat_summary),
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
      status: input.kind === 'receipt' ? 'paid' : 'open',
      payment_reference: `${order.number}`,
      external_id: order.external_id,
      due_at: input.dueAt,
      paid_at: input.kind === 'receipt' ? sql`now()` : null,
    })
    .execute();
  return { invoiceId: id, documentNumber: counter.documentNumber };
}

/** Marks an open invoice paid (a paid or credited one stays as it is). */
export async function markInvoicePaid(trx: Kysely<Database>, invoiceId: string): Promise<void> {
  await trx
    .updateTable('invoices')
    .set({ status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
    .where('id', '=', invoiceId)
    .where('status', '=', 'open')
    .execute();
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
