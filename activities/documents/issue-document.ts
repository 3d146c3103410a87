import { type Kysely, sql } from 'kysely';
import type { Database } from '../../db/schema';
import { loadSellerSnapshot } from '../../db/queries/invoices';
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

/**
 * The tenant's next document number (invoices, receipts and credit notes share one series per
 * year). The counter row stays locked until the caller's transaction ends, and the number is
 * only used if that transaction commits: no gap, no duplicate.
 */
export async function takeDocumentNumber(trx: Kysely<Database>, tenantId: string): Promise<{ series: string; number: number; documentNumber: string }> {
  const series = String(new Date().getUTCFullYear());
  // The tenant's invoice_prefix (e.g. "DA-") is fixed into a series when its first number is taken.
  const { invoice_prefix } = await trx.selectFrom('tenants').select('invoice_prefix').where('id', '=', tenantId).executeTakeFirstOrThrow();
  await trx.insertInto('invoice_series').values({ tenant_id: tenantId, series, prefix: `${invoice_prefix ?? ''}${series}-` })
    .onConflict((oc) => oc.columns(['tenant_id', 'series']).doNothing()).execute();
  const counter = await trx.updateTable('invoice_series').set({ next_number: sql`next_number + 1` })
    .where('tenant_id', '=', tenantId).where('series', '=', series)
    .returning([sql<number>`next_number - 1`.as('number'), 'prefix']).executeTakeFirstOrThrow();
  return { series, number: counter.number, documentNumber: `${counter.prefix}${String(counter.number).padStart(6, '0')}` };
}

/** issueDocument's work inside the caller's transaction (the completion step shares one). */
export async function issueDocumentInTransaction(trx: Kysely<Database>, input: { tenantId: string; orderId: string; kind: DocumentKind }): Promise<IssuedDocument> {
  const tenant = await trx.selectFrom('tenants').select(['invoice_due_days', 'invoice_reminder_interval_days'])
    .where('id', '=', input.tenantId).executeTakeFirstOrThrow();
  const schedule = input.kind === 'invoice'
    ? { dueInDays: tenant.invoice_due_days, reminderIntervalDays: tenant.invoice_reminder_interval_days }
    : { dueInDays: null, reminderIntervalDays: null };
  const existing = await trx.selectFrom('invoices').select(['id', 'document_number'])
    .where('order_id', '=', input.orderId).where('kind', '=', input.kind).executeTakeFirst();
  if (existing) return { invoiceId: existing.id, documentNumber: existing.document_number, ...schedule };

  const order = await trx.selectFrom('orders').innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
    .selectAll('orders').select(['tenants.name as tenant_name', 'tenants.slug as tenant_slug'])
    .where('orders.id', '=', input.orderId).where('orders.tenant_id', '=', input.tenantId).executeTakeFirstOrThrow();
  const counter = await takeDocumentNumber(trx, input.tenantId);
  const year = counter.series;
  // A concurrent retry of this same activity waited on the counter lock; look again.
  const raced = await trx.selectFrom('invoices').select(['id', 'document_number'])
    .where('order_id', '=', input.orderId).where('kind', '=', input.kind).executeTakeFirst();
  if (raced) throw new Error('document issued concurrently; retrying');

  const lines = await trx.selectFrom('order_lines').selectAll().where('order_id', '=', input.orderId).orderBy('position').execute();
  const documentNumber = counter.documentNumber;
  const dueAt = schedule.dueInDays === null ? null : new Date(Date.now() + schedule.dueInDays * 86_400_000);
  const id = crypto.randomUUID();
  const booker = (order.booker ?? {}) as Record<string, unknown>;
  await trx.insertInto('invoices').values({
    id,
    tenant_id: input.tenantId,
    order_id: input.orderId,
    kind: input.kind,
    series: year,
    number: counter.number,
    document_number: documentNumber,
    currency: order.currency,
    exchange_rate: order.exchange_rate,
    total_excl_vat: order.total_excl_vat,
    total_vat: order.total_vat,
    total_incl_vat: order.total_incl_vat,
    vat_summary: JSON.stringify(order.vat_summary),
    lines: JSON.stringify(lines.map((l) => ({
      description: l.description, quantity: l.quantity, unit_price: l.unit_price, discount: l.discount,
      discount_percent: l.discount_percent, vat_rate_bp: l.vat_rate_bp, excl_vat: l.excl_vat, vat: l.vat, incl_vat: l.incl_vat,
    }))),
    seller: JSON.stringify(await loadSellerSnapshot(trx, input.tenantId)),
    buyer: JSON.stringify({
      name: booker.name ?? null, email: order.booker_email, company: order.company, invoice: order.invoice_details,
    }),
    status: input.kind === 'receipt' ? 'paid' : 'open',
    payment_reference: `${order.number}`,
    external_id: order.external_id,
    due_at: dueAt,
    paid_at: input.kind === 'receipt' ? sql`now()` : null,
  }).execute();
  await appendOrderEvent(trx, {
    tenantId: input.tenantId, orderId: input.orderId, eventKey: `document:${input.kind}`, type: `document.${input.kind}_issued`,
    message: `${input.kind === 'invoice' ? 'Invoice' : 'Receipt'} ${documentNumber} issued`, data: { invoice_id: id, document_number: documentNumber },
  });
  return { invoiceId: id, documentNumber, ...schedule };
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
    async recordInvoicePayment(input: { tenantId: string; orderId: string; invoiceId: string; amount: number; reference: string }): Promise<{ leftToPay: number }> {
      return db.transaction().execute(async (trx) => {
        const order = await trx.selectFrom('orders').select(['currency']).where('id', '=', input.orderId).forUpdate().executeTakeFirstOrThrow();
        const key = `${input.orderId}:invoice:${input.invoiceId}:${input.reference}`;
        await trx.insertInto('payments').values({
          id: crypto.randomUUID(), tenant_id: input.tenantId, order_id: input.orderId, kind: 'charge', provider: 'invoice',
          provider_payment_id: input.reference, amount: input.amount, currency: order.currency, status: 'succeeded', idempotency_key: key,
        }).onConflict((oc) => oc.column('idempotency_key').doNothing()).execute();
        const left = leftToPay(await loadOrderLedger(trx, input.orderId));
        if (left === 0) {
          await trx.updateTable('invoices').set({ status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
            .where('id', '=', input.invoiceId).where('status', '=', 'open').execute();
        }
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: `invoice_payment:${key}`, type: 'invoice.payment_recorded',
          message: `Invoice payment of ${input.amount} ${order.currency} recorded${left === 0 ? '; invoice settled' : `; ${left} left to pay`}`,
          data: { invoice_id: input.invoiceId, reference: input.reference, amount: input.amount },
        });
        return { leftToPay: left };
      });
    },
  };
}
