import { type Kysely, sql } from 'kysely';
import type { OrderStatus } from '../../domain/order-status';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, Order } from '../schema';
import { type OrderMetricFacts, orderAgeSeconds, toOrderMetricFacts } from './metrics';
import type { OrderScope } from './order-scope';

// Writes to the order row that move it through its states. Each guard in a WHERE clause is what
// makes a retried activity change nothing the second time.

export type OrderCodes = Pick<Order, 'campaign_code' | 'campaign_codes' | 'voucher_code' | 'voucher_applied'>;

type Scope = { tenantId: string; orderId: string };

// Two statements: only `completed` also stamps completed_at.
const statusWrite = (completes: boolean) =>
  compiledQuery((db, slot: SlotOf<Scope & { status: OrderStatus }>) =>
    db
      .updateTable('orders')
      .set({
        status: slot('status'),
        updated_at: sql`now()`,
        ...(completes ? { completed_at: sql`coalesce(completed_at, now())` } : {}),
      })
      .where('id', '=', slot('orderId'))
      .where('tenant_id', '=', slot('tenantId'))
      .returning(['payment_method', orderAgeSeconds.as('age_seconds')]),
  );
const writeStatus = statusWrite(false);
const writeCompleted = statusWrite(true);

/** Sets the status; answers the order's metric labels and age, read by the same statement. */
export async function setOrderStatus(
  trx: Kysely<Database>,
  scope: OrderScope,
  status: OrderStatus,
): Promise<OrderMetricFacts | undefined> {
  const { tenantId, orderId } = scope;
  const row = await (status === 'completed' ? writeCompleted : writeStatus).first(trx, { tenantId, orderId, status });
  return row && toOrderMetricFacts(row);
}

const orderCodesLocked = compiledQuery((db, slot: SlotOf<Scope>) =>
  db
    .selectFrom('orders')
    .select(['campaign_code', 'campaign_codes', 'voucher_code', 'voucher_applied', 'status'])
    .where('id', '=', slot('orderId'))
    .where('tenant_id', '=', slot('tenantId'))
    .forUpdate(),
);

/** The order's codes with its row locked (seats and codes are given back or taken under the lock). */
export async function lockOrderCodes(
  trx: Kysely<Database>,
  scope: OrderScope,
): Promise<(OrderCodes & Pick<Order, 'status'>) | undefined> {
  return orderCodesLocked.first(trx, scope);
}

const orderExpired = compiledQuery((db, slot: SlotOf<Scope>) =>
  db
    .updateTable('orders')
    .set({ status: 'expired', credited: sql`total_incl_vat`, updated_at: sql`now()` })
    .where('id', '=', slot('orderId'))
    .where('tenant_id', '=', slot('tenantId'))
    .where('status', 'in', ['awaiting_payment', 'payment_failed', 'reserved'])
    .returning(['campaign_code', 'campaign_codes', 'voucher_code', 'voucher_applied']),
);

/**
 * Expires an unpaid order; undefined when it was not waiting for payment any more (so a retry
 * releases nothing twice). An expired order owes nothing: the ledger's due amount goes to zero.
 */
export async function markOrderExpired(trx: Kysely<Database>, scope: OrderScope): Promise<OrderCodes | undefined> {
  return orderExpired.first(trx, scope);
}

/** A late payment took the seats again: the order is paid, owes its total again and has no deadline. */
export async function markOrderRebooked(trx: Kysely<Database>, orderId: string): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ status: 'paid', credited: 0, preliminary_until: null, updated_at: sql`now()` })
    .where('id', '=', orderId)
    .execute();
}

/** Removes the order row (its lines, participants and reservations cascade). */
export async function deleteOrder(trx: Kysely<Database>, orderId: string): Promise<void> {
  await trx.deleteFrom('orders').where('id', '=', orderId).execute();
}

export async function markOrderNeedsAttention(trx: Kysely<Database>, scope: OrderScope, reason: string): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ status: 'needs_attention', attention_reason: reason, updated_at: sql`now()` })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .execute();
}

/** Puts the order on (a reason) or takes it off (null) the operators' list, whatever its status. */
export async function setAttentionReason(
  trx: Kysely<Database>,
  scope: OrderScope,
  reason: string | null,
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ attention_reason: reason, updated_at: sql`now()` })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .execute();
}

const paymentStatus = compiledQuery(
  (db, slot: SlotOf<{ orderId: string; status: OrderStatus; attentionReason: string | null }>) =>
    db
      .updateTable('orders')
      .set({ status: slot('status'), attention_reason: slot('attentionReason'), updated_at: sql`now()` })
      .where('id', '=', slot('orderId'))
      .returning(['payment_method', orderAgeSeconds.as('age_seconds')]),
);

/** After a payment event: the status it leads to, and why it needs an operator (or null). */
export async function setPaymentStatus(
  trx: Kysely<Database>,
  orderId: string,
  status: OrderStatus,
  attentionReason: string | null,
): Promise<OrderMetricFacts | undefined> {
  const row = await paymentStatus.first(trx, { orderId, status, attentionReason });
  return row && toOrderMetricFacts(row);
}

const paymentFailed = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db.updateTable('orders').set({ status: 'payment_failed', updated_at: sql`now()` }).where('id', '=', slot('orderId')),
);

export async function markOrderPaymentFailed(trx: Kysely<Database>, orderId: string): Promise<void> {
  await paymentFailed.affected(trx, { orderId });
}

/** Appends notes to the order's notes (keys sent replace the same keys). */
export async function mergeOrderNotes(
  trx: Kysely<Database>,
  scope: OrderScope,
  notes: Record<string, string | undefined>,
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ notes: sql`notes || ${JSON.stringify(notes)}::jsonb`, updated_at: sql`now()` })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .execute();
}

/** A confirmed preliminary card order: no deadline any more, invoiced instead; notes sent with it are part of it. */
export async function markOrderInvoiced(
  trx: Kysely<Database>,
  scope: OrderScope,
  notes: Record<string, string | undefined> | undefined,
): Promise<void> {
  await trx
    .updateTable('orders')
    .set({
      payment_method: 'invoice',
      preliminary_until: null,
      status: 'reserved',
      updated_at: sql`now()`,
      ...(notes ? { notes: sql`notes || ${JSON.stringify(notes)}::jsonb` } : {}),
    })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .execute();
}

export async function addOrderCredit(trx: Kysely<Database>, orderId: string, amount: number): Promise<void> {
  await trx
    .updateTable('orders')
    .set({ credited: sql`credited + ${amount}`, updated_at: sql`now()` })
    .where('id', '=', orderId)
    .execute();
}

export async function markOrderCancelled(trx: Kysely<Database>, orderId: string, reason: string): Promise<void> {
  await trx
    .updateTable('orders')
    .set({
      status: 'cancelled',
      cancelled_at: sql`now()`,
      cancellation_reason: reason,
      updated_at: sql`now()`,
    })
    .where('id', '=', orderId)
    .execute();
}

/**
 * An operator approved an order held for approval: it moves on to its payment (a card order
 * with its payment deadline from now) or its booking. Only from `awaiting_approval`, so a retry
 * changes nothing; answers whether this call moved it.
 */
export async function markOrderApproved(
  trx: Kysely<Database>,
  scope: OrderScope,
  next: { status: OrderStatus; preliminaryUntil: string | null },
): Promise<boolean> {
  const moved = await trx
    .updateTable('orders')
    .set({
      status: next.status,
      preliminary_until: next.preliminaryUntil,
      approval_until: null,
      // An escalated hold was on the operators' list: decided, it is off it.
      attention_reason: null,
      updated_at: sql`now()`,
    })
    .where('id', '=', scope.orderId)
    .where('tenant_id', '=', scope.tenantId)
    .where('status', '=', 'awaiting_approval')
    .executeTakeFirst();
  return Number(moved.numUpdatedRows) > 0;
}
