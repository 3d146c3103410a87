import { type Kysely, sql } from 'kysely';
import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

/** A timestamp read inside a JSON array arrives as text: a Date again, as outside one. */
const dateOrNull = (value: Date | string | null) => (value === null ? null : new Date(value));

const orderEmailData = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db
    .selectFrom('orders')
    .innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
    // An order pays for at most one cycle after the first (a unique index): these joins add no rows.
    .leftJoin('subscription_cycles as c', (join) => join.onRef('c.order_id', '=', 'orders.id').on('c.sequence', '>', 1))
    .leftJoin('subscriptions as s', 's.id', 'c.subscription_id')
    .select([
      'orders.id',
      'orders.tenant_id',
      'orders.number',
      'orders.currency',
      'orders.booker',
      'orders.booker_email',
      'orders.company',
      'orders.invoice_details',
      'orders.client',
      'orders.config',
      'orders.total_excl_vat',
      'orders.total_vat',
      'orders.total_incl_vat',
      'orders.vat_summary',
      'orders.preliminary_until',
      'tenants.name as tenant_name',
      'tenants.locale as tenant_locale',
      's.number as subscription_number',
    ])
    .select((eb) => [
      sql<string | null>`${eb.ref('c.start_date')}::text`.as('cycle_start'),
      // end_date is the first day after the period.
      sql<string | null>`(${eb.ref('c.end_date')} - 1)::text`.as('cycle_last_day'),
      jsonArrayFrom(
        eb
          .selectFrom('order_lines')
          .select(['description', 'quantity', 'incl_vat'])
          .whereRef('order_lines.order_id', '=', 'orders.id')
          .orderBy('position'),
      ).as('lines'),
      jsonArrayFrom(
        eb
          .selectFrom('participants')
          .select(['firstname', 'lastname', 'email'])
          .whereRef('participants.order_id', '=', 'orders.id')
          .where('status', '=', 'active')
          .orderBy('position'),
      ).as('participants'),
      jsonArrayFrom(
        eb
          .selectFrom('invoices')
          .select(['kind', 'document_number', 'due_at'])
          .whereRef('invoices.order_id', '=', 'orders.id')
          .orderBy('issued_at', 'desc')
          .orderBy('number', 'desc'),
      ).as('documents'),
      jsonArrayFrom(
        eb
          .selectFrom('payments')
          .select(['kind', 'status', 'amount', 'redirect_url'])
          .whereRef('payments.order_id', '=', 'orders.id')
          .orderBy('created_at', 'desc'),
      ).as('payments'),
      jsonArrayFrom(
        eb
          .selectFrom('vouchers')
          .select(['code', 'initial_value', 'valid_until'])
          .whereRef('vouchers.issued_by_order_id', '=', 'orders.id')
          .orderBy('code'),
      ).as('gift_vouchers'),
    ])
    .where('orders.id', '=', slot('orderId')),
);

/** Everything an order e-mail shows, in one round trip; undefined when the order does not exist. */
export async function loadOrderEmailData(db: Kysely<Database>, orderId: string) {
  const row = await orderEmailData.first(db, { orderId });
  if (!row) return undefined;
  const { lines, participants, documents, payments, gift_vouchers, ...rest } = row;
  const { subscription_number, cycle_start, cycle_last_day, ...order } = rest;
  return {
    order,
    renewal:
      subscription_number !== null && cycle_start !== null && cycle_last_day !== null
        ? { subscriptionNumber: subscription_number, periodStart: cycle_start, periodLastDay: cycle_last_day }
        : null,
    lines,
    participants,
    documents: documents.map((d) => ({ ...d, due_at: dateOrNull(d.due_at) })),
    payments,
    giftVouchers: gift_vouchers.map((v) => ({ ...v, valid_until: dateOrNull(v.valid_until) })),
  };
}

const orderInvoiceId = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db.selectFrom('invoices').select('id').where('order_id', '=', slot('orderId')).where('kind', '=', 'invoice'),
);

/** The order's invoice, whose PDF an invoice mail carries. */
export async function findOrderInvoiceId(db: Kysely<Database>, orderId: string): Promise<string | null> {
  const invoice = await orderInvoiceId.first(db, { orderId });
  return invoice?.id ?? null;
}
