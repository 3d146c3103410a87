import type { Kysely } from 'kysely';
import { jsonObjectFrom } from 'kysely/helpers/postgres';
import { compiledQuery, type SlotOf } from '../compiled-query';
import { ledgerColumns, ledgerFromColumns } from './order-ledger';
import type { Database, Order } from '../schema';
import type { OrderScope } from './order-scope';

// What the payment side reads of an order (and of its tenant and customer). The reads of every card payment are built
// once (db/compiled-query.ts).

/** OrderScope as a type alias, which (unlike an interface) compiledQuery takes as its values' type. */
type ScopeValues = Pick<OrderScope, keyof OrderScope>;

const orderDeadline = compiledQuery((db, slot: SlotOf<ScopeValues>) =>
  db
    .selectFrom('orders')
    .select(['created_at', 'preliminary_until'])
    .where('id', '=', slot('orderId'))
    .where('tenant_id', '=', slot('tenantId')),
);

/** When the order was made and until when it waits for payment: the provider's session expiry follows. */
export async function findOrderDeadline(
  db: Kysely<Database>,
  scope: OrderScope,
): Promise<Pick<Order, 'created_at' | 'preliminary_until'> | undefined> {
  return orderDeadline.first(db, scope);
}

const orderForPaymentSession = compiledQuery((db, slot: SlotOf<ScopeValues & { idempotencyKey: string }>) =>
  db
    .selectFrom('orders')
    .innerJoin('tenants', 'tenants.id', 'orders.tenant_id')
    .select((eb) => [
      'orders.number',
      'orders.currency',
      'orders.total_incl_vat',
      'orders.credited',
      'orders.payment_complete_url',
      'orders.payment_cancel_url',
      'tenants.slug',
      'tenants.name',
      'tenants.payment_provider',
      eb
        .exists(
          eb
            .selectFrom('order_lines')
            .select('order_lines.id')
            .whereRef('order_lines.order_id', '=', 'orders.id')
            .where('order_lines.subscription_period_id', 'is not', null),
        )
        .as('buys_subscription'),
      ...ledgerColumns(eb),
      jsonObjectFrom(
        eb
          .selectFrom('payments')
          .select(['payments.provider_session_id', 'payments.redirect_url'])
          .where('payments.idempotency_key', '=', slot('idempotencyKey')),
      ).as('earlier_session'),
    ])
    .where('orders.id', '=', slot('orderId'))
    .where('orders.tenant_id', '=', slot('tenantId')),
);

/**
 * What a new payment session shows, where it sends the customer back to and what it asks for (the ledger), in one read
 * with the session an earlier try of the same attempt opened (`idempotencyKey`), if any.
 */
export async function loadOrderForPaymentSession(db: Kysely<Database>, scope: OrderScope, idempotencyKey: string) {
  const row = await orderForPaymentSession.one(db, { ...scope, idempotencyKey });
  const { captured, refunded, total_incl_vat, credited, ...order } = row;
  return { ...order, ledger: ledgerFromColumns({ captured, refunded, total_incl_vat, credited }) };
}

const orderPaymentState = compiledQuery((db, slot: SlotOf<ScopeValues & { sessionId: string }>) =>
  db
    .selectFrom('orders')
    .leftJoin('payments', (join) =>
      join
        .onRef('payments.order_id', '=', 'orders.id')
        .on('payments.kind', '=', 'charge')
        .on('payments.provider_session_id', '=', slot('sessionId')),
    )
    .select([
      'orders.total_incl_vat',
      'orders.currency',
      'orders.status',
      'payments.amount as charge_amount',
      'payments.currency as charge_currency',
      'payments.status as charge_status',
    ])
    .where('orders.id', '=', slot('orderId'))
    .where('orders.tenant_id', '=', slot('tenantId')),
);

/**
 * What a provider's payment event is checked against: the order, and the charge of the event's session (the amount
 * that session asked for), in one read.
 */
export async function loadOrderPaymentState(db: Kysely<Database>, scope: OrderScope, sessionId: string) {
  const row = await orderPaymentState.one(db, { ...scope, sessionId });
  const { charge_amount: amount, charge_currency: currency, charge_status: status } = row;
  return {
    total_incl_vat: row.total_incl_vat,
    currency: row.currency,
    status: row.status,
    charge: amount !== null && currency !== null && status !== null ? { amount, currency, status } : null,
  };
}

export async function loadOrderCurrency(db: Kysely<Database>, orderId: string): Promise<string> {
  const order = await db.selectFrom('orders').select('currency').where('id', '=', orderId).executeTakeFirstOrThrow();
  return order.currency;
}

const lockedOrderCurrency = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db.selectFrom('orders').select('currency').where('id', '=', slot('orderId')).forUpdate(),
);

/** The order's currency, with its row locked until the transaction ends (payments are booked one at a time). */
export async function lockOrderCurrency(trx: Kysely<Database>, orderId: string): Promise<string> {
  const order = await lockedOrderCurrency.one(trx, { orderId });
  return order.currency;
}

/** The provider's token of a saved card — only a card of the order's own customer, at this provider, not deleted. */
export async function findSavedCardToken(
  db: Kysely<Database>,
  card: OrderScope & { savedCardId: string; provider: string },
): Promise<string | undefined> {
  const row = await db
    .selectFrom('saved_cards')
    .innerJoin('orders', 'orders.customer_id', 'saved_cards.customer_id')
    .select('saved_cards.provider_token')
    .where('orders.id', '=', card.orderId)
    .where('saved_cards.id', '=', card.savedCardId)
    .where('saved_cards.tenant_id', '=', card.tenantId)
    .where('saved_cards.provider', '=', card.provider)
    .where('saved_cards.deleted_at', 'is', null)
    .executeTakeFirst();
  return row?.provider_token;
}
