import { jsonArrayFrom } from 'kysely/helpers/postgres';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Db } from '../database';
import { normalizeAddress } from './invoices';
import { orderCampaignCodes } from './order-campaign-codes';
import { ledgerOf } from './order-ledger';
import { orderColumn, orderCustomerOf, orderRowsOf, presentOrderedBy, presentOrderRow } from './order-rows';
import { PREPAYMENT_PROVIDER } from './payments';
import { selectOrderWithLines, summaryOf } from './order-summary';
import { leftToPay, netPaid } from '../../domain/order-money';

/** A timestamp read inside a JSON array arrives as text, outside it as a Date: the same ISO string for both. */
const iso = (value: Date | string) => new Date(value).toISOString();
const isoOrNull = (value: Date | string | null) => (value === null ? null : iso(value));

// Built once: ten nested subqueries are much to build and compile again for every GET.
const orderDetails = compiledQuery((db, slot: SlotOf<{ tenantId: string; orderId: string }>) =>
  selectOrderWithLines(db, slot('tenantId'), slot('orderId')).select((eb) => [
    jsonArrayFrom(
      eb.selectFrom('participants').selectAll().whereRef('participants.order_id', '=', 'orders.id').orderBy('position'),
    ).as('participants'),
    jsonArrayFrom(
      eb.selectFrom('payments').selectAll().whereRef('payments.order_id', '=', 'orders.id').orderBy('created_at'),
    ).as('payments'),
    jsonArrayFrom(
      eb
        .selectFrom('invoices')
        .select(['id', 'kind', 'document_number', 'total_incl_vat', 'currency', 'status'])
        .select(['issued_at', 'due_at', 'paid_at'])
        .whereRef('invoices.order_id', '=', 'orders.id')
        .orderBy('issued_at'),
    ).as('documents'),
    jsonArrayFrom(
      eb
        .selectFrom('order_events')
        .select(['type', 'message', 'data', 'created_at'])
        .whereRef('order_events.order_id', '=', 'orders.id')
        .orderBy('id'),
    ).as('timeline'),
    orderRowsOf(db, orderColumn('orders', 'id')).as('rows'),
    orderCustomerOf(db, orderColumn('orders', 'customer_id')).as('customer'),
    jsonArrayFrom(
      eb
        .selectFrom('reservations')
        .select(['occurrence_id', 'product_id', 'inventory_date', 'quantity', 'status'])
        .whereRef('reservations.order_id', '=', 'orders.id')
        .orderBy('created_at'),
    ).as('reservations'),
  ]),
);

/** GET /v1/orders/{id}: the summary plus people, payments, documents and the timeline, in one query. */
export async function loadOrderDetails(db: Db, tenantId: string, orderId: string) {
  const order = await orderDetails.first(db, { tenantId, orderId });
  if (!order) return undefined;
  const summary = summaryOf(order);
  const { participants, payments, documents, timeline, reservations } = order;
  const ledger = ledgerOf(order, payments);
  return {
    ...summary,
    // The summary's lines, each with what, when, where and for whom it is (its order row).
    lines: order.rows.map(presentOrderRow),
    ordered_by: presentOrderedBy(order),
    external_id: order.external_id,
    external_contact_id: order.external_contact_id,
    external_company_id: order.external_company_id,
    origin: order.origin,
    booker: order.booker,
    company: order.company,
    invoice: order.invoice_details,
    delivery: order.delivery_details,
    campaign_code: order.campaign_code,
    campaign_codes: orderCampaignCodes(order),
    voucher_code: order.voucher_code,
    voucher_applied: order.voucher_applied,
    exchange_rate: order.exchange_rate,
    notes: order.notes,
    client: order.client,
    config: order.config,
    attention_reason: order.attention_reason,
    created_at: order.created_at.toISOString(),
    updated_at: order.updated_at.toISOString(),
    completed_at: order.completed_at ? order.completed_at.toISOString() : null,
    amount_paid: netPaid(ledger),
    amount_credited: ledger.credited,
    left_to_pay: order.status === 'expired' ? 0 : leftToPay(ledger),
    participants: participants.map((p) => ({
      index: p.position,
      firstname: p.firstname,
      lastname: p.lastname,
      email: p.email,
      phone: p.phone,
      date_of_birth: p.date_of_birth,
      booking_id: p.booking_id,
      status: p.status,
      attendance: p.attendance,
      customer_id: p.customer_id,
      home_address: normalizeAddress(p.details?.home_address),
      work_address: normalizeAddress(p.details?.work_address),
    })),
    reservations: reservations.map((r) => ({
      occurrence_id: r.occurrence_id,
      product_id: r.product_id,
      date: r.inventory_date,
      quantity: r.quantity,
      status: r.status,
    })),
    payments: payments.map((p) => ({
      id: p.id,
      kind: p.kind,
      provider: p.provider,
      session_id: p.provider_session_id,
      ...(p.provider === PREPAYMENT_PROVIDER
        ? {
            method: p.method,
            transaction_code: p.provider_payment_id,
            external_provider: p.external_provider,
            paid_at: isoOrNull(p.paid_at),
          }
        : {}),
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      failure_reason: p.failure_reason,
      created_at: iso(p.created_at),
      updated_at: iso(p.updated_at),
    })),
    documents: documents.map((d) => ({
      id: d.id,
      kind: d.kind,
      number: d.document_number,
      total_incl_vat: d.total_incl_vat,
      currency: d.currency,
      status: d.status,
      issued_at: iso(d.issued_at),
      due_at: isoOrNull(d.due_at),
      paid_at: isoOrNull(d.paid_at),
    })),
    timeline: timeline.map((e) => ({ type: e.type, message: e.message, data: e.data, at: iso(e.created_at) })),
  };
}

export type OrderDetails = NonNullable<Awaited<ReturnType<typeof loadOrderDetails>>>;
