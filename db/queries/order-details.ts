import type { Db } from '../database';
import { normalizeAddress } from './invoices';
import { ledgerOf } from './order-ledger';
import { loadOrderSummary } from './order-summary';
import { leftToPay, netPaid } from '../../domain/order-money';

/** GET /v1/orders/{id}: the summary plus people, payments, documents and the timeline. */
export async function loadOrderDetails(db: Db, tenantId: string, orderId: string) {
  const summary = await loadOrderSummary(db, tenantId, orderId);
  if (!summary) return undefined;
  const [order, participants, payments, documents, timeline, reservations] = await Promise.all([
    db.selectFrom('orders').selectAll().where('id', '=', orderId).executeTakeFirstOrThrow(),
    db.selectFrom('participants').selectAll().where('order_id', '=', orderId).orderBy('position').execute(),
    db.selectFrom('payments').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute(),
    db
      .selectFrom('invoices')
      .select([
        'id',
        'kind',
        'document_number',
        'total_incl_vat',
        'currency',
        'status',
        'issued_at',
        'due_at',
        'paid_at',
      ])
      .where('order_id', '=', orderId)
      .orderBy('issued_at')
      .execute(),
    db
      .selectFrom('order_events')
      .select(['type', 'message', 'data', 'created_at'])
      .where('order_id', '=', orderId)
      .orderBy('id')
      .execute(),
    db
      .selectFrom('reservations')
      .select(['occurrence_id', 'product_id', 'inventory_date', 'quantity', 'status'])
      .where('order_id', '=', orderId)
      .execute(),
  ]);
  const ledger = ledgerOf(order, payments);
  return {
    ...summary,
    external_id: order.external_id,
    booker: order.booker,
    company: order.company,
    invoice: order.invoice_details,
    delivery: order.delivery_details,
    campaign_code: order.campaign_code,
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
      amount: p.amount,
      currency: p.currency,
      status: p.status,
      failure_reason: p.failure_reason,
      created_at: p.created_at.toISOString(),
      updated_at: p.updated_at.toISOString(),
    })),
    documents: documents.map((d) => ({
      id: d.id,
      kind: d.kind,
      number: d.document_number,
      total_incl_vat: d.total_incl_vat,
      currency: d.currency,
      status: d.status,
      issued_at: d.issued_at.toISOString(),
      due_at: d.due_at ? d.due_at.toISOString() : null,
      paid_at: d.paid_at ? d.paid_at.toISOString() : null,
    })),
    timeline: timeline.map((e) => ({ type: e.type, message: e.message, data: e.data, at: e.created_at.toISOString() })),
  };
}

export type OrderDetails = NonNullable<Awaited<ReturnType<typeof loadOrderDetails>>>;
