import { sql } from 'kysely';
import { appendOrderEvent } from '../../db/queries/order-events';
import type { ActivityDeps } from '../activity-deps';

export type DocumentKind = 'invoice' | 'receipt';

const INVOICE_DUE_DAYS = 14;

export function createDocumentActivities({ db }: ActivityDeps) {
  return {
    /**
     * Issues the order's invoice or receipt with the tenant's next number. The number is taken
     * from a row-locked counter in the same transaction that stores the document, so a rolled
     * back attempt gives its number back and the series never has a gap or a duplicate.
     */
    async issueDocument(input: { tenantId: string; orderId: string; kind: DocumentKind }): Promise<{ invoiceId: string; documentNumber: string }> {
      return db.transaction().execute(async (trx) => {
        const existing = await trx.selectFrom('invoices').select(['id', 'document_number'])
          .where('order_id', '=', input.orderId).where('kind', '=', input.kind).executeTakeFirst();
        if (existing) return { invoiceId: existing.id, documentNumber: existing.document_number };

        const order = await trx.selectFrom('orders').innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
          .selectAll('orders').select(['tenants.name as tenant_name', 'tenants.slug as tenant_slug'])
          .where('orders.id', '=', input.orderId).where('orders.tenant_id', '=', input.tenantId).executeTakeFirstOrThrow();
        const year = String(new Date().getUTCFullYear());
        await trx.insertInto('invoice_series').values({ tenant_id: input.tenantId, series: year, prefix: `${year}-` })
          .onConflict((oc) => oc.columns(['tenant_id', 'series']).doNothing()).execute();
        const counter = await trx.updateTable('invoice_series').set({ next_number: sql`next_number + 1` })
          .where('tenant_id', '=', input.tenantId).where('series', '=', year)
          .returning([sql<number>`next_number - 1`.as('number'), 'prefix']).executeTakeFirstOrThrow();
        // A concurrent retry of this same activity waited on the counter lock; look again.
        const raced = await trx.selectFrom('invoices').select(['id', 'document_number'])
          .where('order_id', '=', input.orderId).where('kind', '=', input.kind).executeTakeFirst();
        if (raced) throw new Error('document issued concurrently; retrying');

        const lines = await trx.selectFrom('order_lines').selectAll().where('order_id', '=', input.orderId).orderBy('position').execute();
        const documentNumber = `${counter.prefix}${String(counter.number).padStart(6, '0')}`;
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
          seller: JSON.stringify({ name: order.tenant_name, id: order.tenant_slug }),
          buyer: JSON.stringify({
            name: booker.name ?? null, email: order.booker_email, company: order.company, invoice: order.invoice_details,
          }),
          status: input.kind === 'receipt' ? 'paid' : 'open',
          payment_reference: `${order.number}`,
          external_id: order.external_id,
          due_at: input.kind === 'invoice' ? sql`now() + make_interval(days => ${INVOICE_DUE_DAYS})` : null,
          paid_at: input.kind === 'receipt' ? sql`now()` : null,
        }).execute();
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: `document:${input.kind}`, type: `document.${input.kind}_issued`,
          message: `${input.kind === 'invoice' ? 'Invoice' : 'Receipt'} ${documentNumber} issued`, data: { invoice_id: id, document_number: documentNumber },
        });
        return { invoiceId: id, documentNumber };
      });
    },

    /** Books an invoice payment against the order; `settled` marks the invoice paid. */
    async recordInvoicePayment(input: { tenantId: string; orderId: string; invoiceId: string; amount: number; reference: string; settled: boolean }): Promise<void> {
      await db.transaction().execute(async (trx) => {
        const order = await trx.selectFrom('orders').select(['currency']).where('id', '=', input.orderId).executeTakeFirstOrThrow();
        const key = `${input.orderId}:invoice:${input.invoiceId}:${input.reference}`;
        await trx.insertInto('payments').values({
          id: crypto.randomUUID(), tenant_id: input.tenantId, order_id: input.orderId, kind: 'charge', provider: 'invoice',
          provider_payment_id: input.reference, amount: input.amount, currency: order.currency, status: 'succeeded', idempotency_key: key,
        }).onConflict((oc) => oc.column('idempotency_key').doNothing()).execute();
        if (input.settled) {
          await trx.updateTable('invoices').set({ status: 'paid', paid_at: sql`coalesce(paid_at, now())` })
            .where('id', '=', input.invoiceId).where('status', '=', 'open').execute();
        }
        await appendOrderEvent(trx, {
          tenantId: input.tenantId, orderId: input.orderId, eventKey: `invoice_payment:${key}`, type: 'invoice.payment_recorded',
          message: `Invoice payment of ${input.amount} ${order.currency} recorded${input.settled ? '; invoice settled' : ''}`,
          data: { invoice_id: input.invoiceId, reference: input.reference },
        });
      });
    },
  };
}
