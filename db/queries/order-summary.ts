import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { OrderSummary } from '../../domain/order-summary';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Db } from '../database';

/**
 * The order row with its lines, participants' positions and latest card charge, in one round
 * trip (the contents come back as JSON arrays). Every answer about an order starts here.
 */
export function selectOrderWithLines(db: Db, tenantId: string, orderId: string) {
  return db
    .selectFrom('orders')
    .selectAll('orders')
    .select((eb) => [
      jsonArrayFrom(
        eb.selectFrom('order_lines').selectAll().whereRef('order_lines.order_id', '=', 'orders.id').orderBy('position'),
      ).as('order_lines'),
      jsonArrayFrom(
        eb
          .selectFrom('participants')
          .select(['id', 'position', 'booking_id'])
          .whereRef('participants.order_id', '=', 'orders.id')
          .orderBy('position'),
      ).as('participant_positions'),
      jsonObjectFrom(
        eb
          .selectFrom('payments')
          .select(['provider_session_id', 'redirect_url', 'status'])
          .whereRef('payments.order_id', '=', 'orders.id')
          .where('kind', '=', 'charge')
          .orderBy('created_at', 'desc')
          .limit(1),
      ).as('latest_charge'),
    ])
    .where('orders.tenant_id', '=', tenantId)
    .where('orders.id', '=', orderId);
}

type OrderWithLines = NonNullable<Awaited<ReturnType<ReturnType<typeof selectOrderWithLines>['executeTakeFirst']>>>;

const orderWithLines = compiledQuery((db, slot: SlotOf<{ tenantId: string; orderId: string }>) =>
  selectOrderWithLines(db, slot('tenantId'), slot('orderId')),
);

/** The priced summary POST /v1/orders answers with, rebuilt from the stored order. */
export async function loadOrderSummary(db: Db, tenantId: string, orderId: string): Promise<OrderSummary | undefined> {
  const order = await orderWithLines.first(db, { tenantId, orderId });
  return order && summaryOf(order);
}

/**
 * The summary of an order that was taken completely, in one read: the order row is written before
 * the card payment session is opened (and a failed intake deletes it again), so a card order is
 * complete with its charge row, or when it waits for an operator's approval first (its session
 * opens once approved); any other order with its row. Two reads (the summary, then "has a
 * charge?") could pair a summary read before the charge with a charge found after it.
 */
export async function loadTakenOrderSummary(
  db: Db,
  tenantId: string,
  orderId: string,
): Promise<OrderSummary | undefined> {
  const order = await orderWithLines.first(db, { tenantId, orderId });
  if (!order) return undefined;
  const sessionToCome = order.payment_method === 'card' && !order.approval_until && !order.latest_charge;
  return sessionToCome ? undefined : summaryOf(order);
}

export function summaryOf(order: OrderWithLines): OrderSummary {
  const payment = order.latest_charge;
  const positionOf = new Map(order.participant_positions.map((p) => [p.id, p.position]));
  const awaitingCard = order.payment_method === 'card' && payment && payment.status !== 'succeeded';
  return {
    id: order.id,
    number: order.number,
    status: order.status,
    currency: order.currency,
    totals: {
      before_discounts: order.total_before_discounts,
      discounts: order.total_discounts,
      discount_breakdown: order.discount_breakdown,
      excl_vat: order.total_excl_vat,
      vat: order.total_vat,
      incl_vat: order.total_incl_vat,
    },
    vat_summary: order.vat_summary.map((row) => ({ rate: row.rate_bp / 100, base: row.base, amount: row.amount })),
    lines: order.order_lines.map((line) => ({
      id: line.id,
      product_id: line.product_id,
      occurrence_id: line.occurrence_id,
      date: line.inventory_date,
      participant_index: line.participant_id ? (positionOf.get(line.participant_id) ?? null) : null,
      description: line.description,
      quantity: line.quantity,
      unit_price: line.unit_price,
      discount: line.discount,
      vat_rate: line.vat_rate_bp / 100,
      excl_vat: line.excl_vat,
      vat: line.vat,
      incl_vat: line.incl_vat,
    })),
    number_of_participants: order.participant_positions.length,
    participants: order.participant_positions.map((p) => ({ index: p.position, booking_id: p.booking_id })),
    preliminary_until: order.preliminary_until ? order.preliminary_until.toISOString() : null,
    approval_until: order.approval_until ? new Date(order.approval_until).toISOString() : null,
    payment: {
      method: order.payment_method,
      requires_redirect: Boolean(awaitingCard),
      session_id: awaitingCard ? payment.provider_session_id : null,
      redirect_url: awaitingCard ? payment.redirect_url : null,
    },
  };
}
