import { sql } from 'kysely';
import type { Db } from '../database';
import type { OrderRequest } from '../../domain/order-request';
import type { OrderStatus } from '../../domain/order-status';
import type { SubscriptionStatus } from '../../domain/subscription-state';
import { nextOrderNumber } from './order-numbers';
import { periodEndAfter, renewingPeriod } from './period-length';

// What the subscription workflow reads and writes (issue 13): the current term it sleeps on, the
// cycle a renewal is placed as (one per sequence, so a retried renewal is the same order), and
// the state a change records.

export interface SubscriptionTerm {
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  paymentMethod: string;
  savedCardId: string | null;
  /** The current period: its first day and the first day after it (YYYY-MM-DD). */
  periodStart: string;
  periodEnd: string;
  /** Of the period the next renewal is on (a change of period applies there). */
  noticeDays: number;
  nextSequence: number;
  /** A renewal placed but not yet paid (a crash or a new run finds it again). */
  pendingRenewal: { sequence: number; orderId: string; orderNumber: number } | null;
}

export async function loadSubscriptionTerm(
  db: Db,
  scope: { tenantId: string; subscriptionId: string },
): Promise<SubscriptionTerm> {
  const row = await db
    .selectFrom('subscriptions as s')
    .innerJoin('subscription_periods as p', (join) => join.onRef('p.tenant_id', '=', 's.tenant_id').on(renewingPeriod))
    .select([
      's.status',
      's.cancel_at_period_end',
      's.payment_method',
      's.saved_card_id',
      sql<string>`s.current_period_end::text`.as('period_end'),
      'p.renewal_notice_days',
      sql<string>`(SELECT c.start_date::text FROM subscription_cycles c WHERE c.subscription_id = s.id
        AND c.status = 'paid' ORDER BY c.sequence DESC LIMIT 1)`.as('period_start'),
      sql<number>`(SELECT coalesce(max(c.sequence), 0) + 1 FROM subscription_cycles c
        WHERE c.subscription_id = s.id)`.as('next_sequence'),
    ])
    .where('s.id', '=', scope.subscriptionId)
    .where('s.tenant_id', '=', scope.tenantId)
    .executeTakeFirstOrThrow();
  const pending = await db
    .selectFrom('subscription_cycles')
    .select(['sequence', 'order_id', 'order_number'])
    .where('subscription_id', '=', scope.subscriptionId)
    .where('status', '=', 'pending')
    .orderBy('sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  return {
    status: row.status,
    cancelAtPeriodEnd: row.cancel_at_period_end,
    paymentMethod: row.payment_method,
    savedCardId: row.saved_card_id,
    periodStart: row.period_start ?? row.period_end,
    periodEnd: row.period_end,
    noticeDays: row.renewal_notice_days,
    nextSequence: Number(row.next_sequence),
    pendingRenewal: pending
      ? { sequence: pending.sequence, orderId: pending.order_id, orderNumber: Number(pending.order_number) }
      : null,
  };
}

export interface RenewalCycle {
  sequence: number;
  orderId: string;
  orderNumber: number;
  startDate: string;
  endDate: string;
  /** The order that asks for it, as a client would have sent it. */
  request: OrderRequest;
  paymentMethod: string;
  savedCardId: string | null;
}

/**
 * The cycle a renewal is placed as: the next period from the end of the current one (or from
 * `today` when a pause let it lapse), on the period asked for by a change, else the same. A
 * cycle once written is answered again, so a retried renewal never makes a second order.
 */
export async function prepareRenewalCycle(
  db: Db,
  input: { tenantId: string; subscriptionId: string; sequence: number; today: string },
): Promise<RenewalCycle> {
  // A pause may have let the period lapse: the next one starts today then.
  const start = sql`greatest(s.current_period_end, ${input.today}::date)`;
  return db.transaction().execute(async (trx) => {
    const subscription = await trx
      .selectFrom('subscriptions as s')
      .innerJoin('orders as o', 'o.id', 's.order_id')
      .innerJoin('subscription_periods as p', (join) =>
        join.onRef('p.tenant_id', '=', 's.tenant_id').on(renewingPeriod),
      )
      .select([
        's.id',
        's.product_id',
        's.payment_method',
        's.saved_card_id',
        'p.id as period_id',
        'p.code as period_code',
        'p.payment_methods',
        'o.request',
        sql<string>`${start}::text`.as('start_date'),
        periodEndAfter(start).as('end_date'),
      ])
      .where('s.id', '=', input.subscriptionId)
      .where('s.tenant_id', '=', input.tenantId)
      // One renewal at a time per subscription, whoever asks.
      .forUpdate('s')
      .executeTakeFirstOrThrow();
    const existing = await trx
      .selectFrom('subscription_cycles')
      .select([
        'order_id',
        'order_number',
        sql<string>`start_date::text`.as('start'),
        sql<string>`end_date::text`.as('end'),
      ])
      .where('subscription_id', '=', input.subscriptionId)
      .where('sequence', '=', input.sequence)
      .executeTakeFirst();
    const original = subscription.request as unknown as OrderRequest;
    // A free period is ordered as free; a subscription paid elsewhere first renews by card.
    const paymentMethod = subscription.payment_methods.includes('free')
      ? 'free'
      : subscription.payment_method === 'prepaid'
        ? 'card'
        : subscription.payment_method;
    const cycle = existing
      ? {
          orderId: existing.order_id,
          orderNumber: Number(existing.order_number),
          start: existing.start,
          end: existing.end,
        }
      : {
          orderId: crypto.randomUUID(),
          orderNumber: await nextOrderNumber(trx, input.tenantId),
          start: subscription.start_date,
          end: subscription.end_date,
        };
    if (!existing)
      await trx
        .insertInto('subscription_cycles')
        .values({
          id: crypto.randomUUID(),
          tenant_id: input.tenantId,
          subscription_id: input.subscriptionId,
          sequence: input.sequence,
          period_id: subscription.period_id,
          start_date: cycle.start,
          end_date: cycle.end,
          order_id: cycle.orderId,
          order_number: cycle.orderNumber,
        })
        .execute();
    return {
      sequence: input.sequence,
      orderId: cycle.orderId,
      orderNumber: cycle.orderNumber,
      startDate: cycle.start,
      endDate: cycle.end,
      paymentMethod,
      savedCardId: subscription.saved_card_id,
      request: renewalRequest(original, {
        paymentMethod,
        productId: subscription.product_id,
        periodCode: subscription.period_code,
        startDate: cycle.start,
      }),
    };
  });
}

/** The renewal's order: who bought it and where it goes, as in the first order; one line for the period. */
function renewalRequest(
  original: OrderRequest,
  renewal: { paymentMethod: string; productId: string; periodCode: string; startDate: string },
): OrderRequest {
  return {
    payment_method: renewal.paymentMethod as OrderRequest['payment_method'],
    ...(original.currency ? { currency: original.currency } : {}),
    ...(original.booker ? { booker: original.booker } : {}),
    ...(original.company ? { company: original.company } : {}),
    ...(original.invoice ? { invoice: original.invoice } : {}),
    ...(original.delivery ? { delivery: original.delivery } : {}),
    ...(original.external_contact_id ? { external_contact_id: original.external_contact_id } : {}),
    ...(original.external_company_id ? { external_company_id: original.external_company_id } : {}),
    ...(original.config ? { config: original.config } : {}),
    lines: [{ product_id: renewal.productId, period: renewal.periodCode, start_date: renewal.startDate }],
  };
}

/** A renewal that will not be paid (its order expired, was cancelled or refused). */
export async function markRenewalCycle(
  db: Db,
  input: { tenantId: string; orderId: string; status: 'unpaid' | 'cancelled' },
): Promise<void> {
  await db
    .updateTable('subscription_cycles')
    .set({ status: input.status })
    .where('tenant_id', '=', input.tenantId)
    .where('order_id', '=', input.orderId)
    .where('status', '=', 'pending')
    .execute();
}

export interface SubscriptionStateChange {
  tenantId: string;
  subscriptionId: string;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  cancelReason?: string | null;
}

/** Records what the workflow decided; the timestamps follow the status. */
export async function recordSubscriptionState(db: Db, change: SubscriptionStateChange): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({
      status: change.status,
      cancel_at_period_end: change.cancelAtPeriodEnd,
      paused_at: change.status === 'paused' ? sql`coalesce(paused_at, now())` : null,
      cancelled_at: change.status === 'cancelled' ? sql`coalesce(cancelled_at, now())` : null,
      ...(change.cancelReason !== undefined ? { cancel_reason: change.cancelReason } : {}),
      updated_at: sql`now()`,
    })
    .where('id', '=', change.subscriptionId)
    .where('tenant_id', '=', change.tenantId)
    .execute();
}

/** Refusal codes of a change of period (422). */
export type PeriodChangeRefusal = 'period_not_found' | 'period_inactive' | 'payment_method_not_allowed_for_period';

/**
 * A change of period from the next renewal: a period of the same product, active, that takes the
 * subscription's way of paying. The current period is never changed by it.
 */
export async function setNextPeriod(
  db: Db,
  input: { tenantId: string; subscriptionId: string; periodId: string },
): Promise<{ ok: true } | { ok: false; code: PeriodChangeRefusal }> {
  const period = await db
    .selectFrom('subscription_periods as p')
    .innerJoin('subscriptions as s', (join) =>
      join.onRef('s.tenant_id', '=', 'p.tenant_id').onRef('s.product_id', '=', 'p.product_id'),
    )
    .select(['p.id', 'p.active', 'p.payment_methods', 's.payment_method', 's.period_id'])
    .where('s.id', '=', input.subscriptionId)
    .where('s.tenant_id', '=', input.tenantId)
    .where('p.id', '=', input.periodId)
    .executeTakeFirst();
  if (!period) return { ok: false, code: 'period_not_found' };
  if (!period.active) return { ok: false, code: 'period_inactive' };
  const method = period.payment_method === 'prepaid' ? 'card' : period.payment_method;
  if (!(period.payment_methods as string[]).includes(method) && !period.payment_methods.includes('free'))
    return { ok: false, code: 'payment_method_not_allowed_for_period' };
  await db
    .updateTable('subscriptions')
    .set({ next_period_id: period.id === period.period_id ? null : period.id, updated_at: sql`now()` })
    .where('id', '=', input.subscriptionId)
    .where('tenant_id', '=', input.tenantId)
    .execute();
  return { ok: true };
}

/** The subscriptions an order started (their workflows are started after the order completes). */
export async function listOrderSubscriptions(db: Db, scope: { tenantId: string; orderId: string }) {
  return db
    .selectFrom('subscriptions as s')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .select(['s.id', 's.number', 't.slug', 's.customer_email'])
    .where('s.tenant_id', '=', scope.tenantId)
    .where('s.order_id', '=', scope.orderId)
    .orderBy('s.number')
    .execute();
}

export async function recordSubscriptionWorkflow(
  db: Db,
  input: { tenantId: string; subscriptionId: string; workflowId: string },
): Promise<void> {
  await db
    .updateTable('subscriptions')
    .set({ workflow_id: input.workflowId })
    .where('id', '=', input.subscriptionId)
    .where('tenant_id', '=', input.tenantId)
    .execute();
}

/** The subscription whose period this order pays (its first order or a renewal), if any. */
export async function findSubscriptionPaidBy(
  db: Db,
  scope: { tenantId: string; orderId: string },
): Promise<{ id: string; number: number } | undefined> {
  const row = await db
    .selectFrom('subscription_cycles as c')
    .innerJoin('subscriptions as s', 's.id', 'c.subscription_id')
    .select(['s.id', 's.number'])
    .where('c.tenant_id', '=', scope.tenantId)
    .where('c.order_id', '=', scope.orderId)
    .executeTakeFirst();
  return row && { id: row.id, number: Number(row.number) };
}

export interface CurrentPeriodCharge {
  orderId: string;
  orderNumber: number;
  start: string;
  end: string;
  /** The order line that bought the period: the subscription's own line of its first order, a renewal's one line. */
  lineId: string;
  /** What that line is still worth (its price less what was credited). */
  lineValue: number;
}

/** The paid period running now and what its line is still worth, or undefined before any was paid. */
export async function loadCurrentPeriodCharge(
  db: Db,
  scope: { tenantId: string; subscriptionId: string },
): Promise<CurrentPeriodCharge | undefined> {
  const row = await db
    .selectFrom('subscription_cycles as c')
    .innerJoin('subscriptions as s', 's.id', 'c.subscription_id')
    // The first order may hold other lines (another subscription too): its own line is the one it named.
    .innerJoin('order_lines as l', (join) =>
      join
        .onRef('l.order_id', '=', 'c.order_id')
        .on(sql<boolean>`(l.id = s.order_line_id OR (c.sequence > 1 AND l.subscription_period_id IS NOT NULL))`),
    )
    .select([
      'c.order_id',
      'c.order_number',
      sql<string>`c.start_date::text`.as('start'),
      sql<string>`c.end_date::text`.as('end'),
      'l.id as line_id',
      sql<number>`l.incl_vat - l.credited`.as('line_value'),
    ])
    .where('c.tenant_id', '=', scope.tenantId)
    .where('c.subscription_id', '=', scope.subscriptionId)
    .where('c.status', '=', 'paid')
    .orderBy('c.sequence', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    orderId: row.order_id,
    orderNumber: Number(row.order_number),
    start: row.start,
    end: row.end,
    lineId: row.line_id,
    lineValue: Number(row.line_value),
  };
}

/** An order's status, or undefined before it is placed. */
export async function findOrderStatus(
  db: Db,
  scope: { tenantId: string; orderId: string },
): Promise<OrderStatus | undefined> {
  const row = await db
    .selectFrom('orders')
    .select('status')
    .where('tenant_id', '=', scope.tenantId)
    .where('id', '=', scope.orderId)
    .executeTakeFirst();
  return row?.status;
}
