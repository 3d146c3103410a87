import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** Everything an order e-mail shows, as rows; undefined when the order does not exist. */
export async function loadOrderEmailData(db: Kysely<Database>, orderId: string) {
  const order = await db
    .selectFrom('orders')
    .innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
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
    ])
    .where('orders.id', '=', orderId)
    .executeTakeFirst();
  if (!order) return undefined;

  const [lines, participants, documents, payments, giftVouchers] = await Promise.all([
    db
      .selectFrom('order_lines')
      .select(['description', 'quantity', 'incl_vat'])
      .where('order_id', '=', orderId)
      .orderBy('position')
      .execute(),
    db
      .selectFrom('participants')
      .select(['firstname', 'lastname', 'email'])
      .where('order_id', '=', orderId)
      .where('status', '=', 'active')
      .orderBy('position')
      .execute(),
    db
      .selectFrom('invoices')
      .select(['kind', 'document_number', 'due_at'])
      .where('order_id', '=', orderId)
      .orderBy('issued_at', 'desc')
      .orderBy('number', 'desc')
      .execute(),
    db
      .selectFrom('payments')
      .select(['kind', 'status', 'amount', 'redirect_url'])
      .where('order_id', '=', orderId)
      .orderBy('created_at', 'desc')
      .execute(),
    db
      .selectFrom('vouchers')
      .select(['code', 'initial_value', 'valid_until'])
      .where('issued_by_order_id', '=', orderId)
      .orderBy('code')
      .execute(),
  ]);
  return { order, lines, participants, documents, payments, giftVouchers };
}

/** The order's invoice, whose PDF an invoice mail carries. */
export async function findOrderInvoiceId(db: Kysely<Database>, orderId: string): Promise<string | null> {
  const invoice = await db
    .selectFrom('invoices')
    .select('id')
    .where('order_id', '=', orderId)
    .where('kind', '=', 'invoice')
    .executeTakeFirst();
  return invoice?.id ?? null;
}
