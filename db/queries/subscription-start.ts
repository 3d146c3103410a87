import { sql } from 'kysely';
import type { Db } from '../database';
import type { OrderScope } from './order-scope';
import { periodEndAfter } from './period-length';

/**
 * When an order completes, each of its subscription lines becomes a subscription (issue 13):
 * numbered per tenant, its first period from the line's start date. Lines that are one already
 * are left alone, so a retried completion starts nothing twice. Answers how many it started. A
 * renewal order instead moves its subscription on to the period it paid for.
 */
export async function startOrderSubscriptionsInTransaction(trx: Db, scope: OrderScope): Promise<number> {
  await renewSubscriptionInTransaction(trx, scope);
  const lines = await trx
    .selectFrom('order_lines as l')
    .innerJoin('orders as o', 'o.id', 'l.order_id')
    .innerJoin('subscription_periods as p', (join) =>
      join.onRef('p.id', '=', 'l.subscription_period_id').onRef('p.tenant_id', '=', 'l.tenant_id'),
    )
    .select([
      'l.id',
      'l.product_id',
      'l.subscription_period_id',
      'o.payment_method',
      'o.customer_id',
      'o.booker_email',
      'o.number as order_number',
      sql<string>`l.start_date::text`.as('start_date'),
      periodEndAfter(sql`l.start_date`).as('period_end'),
    ])
    .where('l.order_id', '=', scope.orderId)
    .where('l.tenant_id', '=', scope.tenantId)
    .where('l.subscription_period_id', 'is not', null)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('subscriptions as s').select('s.id').whereRef('s.order_line_id', '=', 'l.id'))),
    )
    // A renewal order pays for a period of a subscription that exists; it starts none.
    .where((eb) =>
      eb.not(
        eb.exists(eb.selectFrom('subscription_cycles as c').select('c.id').whereRef('c.order_id', '=', 'l.order_id')),
      ),
    )
    .orderBy('l.position')
    .execute();
  for (const line of lines) {
    const { subscription_counter: number } = await trx
      .updateTable('tenants')
      .set({ subscription_counter: sql`subscription_counter + 1` })
      .where('id', '=', scope.tenantId)
      .returning('subscription_counter')
      .executeTakeFirstOrThrow();
    const subscriptionId = crypto.randomUUID();
    await trx
      .insertInto('subscriptions')
      .values({
        id: subscriptionId,
        tenant_id: scope.tenantId,
        number: Number(number),
        product_id: line.product_id,
        period_id: line.subscription_period_id!,
        order_id: scope.orderId,
        order_line_id: line.id,
        customer_id: line.customer_id,
        customer_email: line.booker_email,
        payment_method: line.payment_method,
        start_date: line.start_date,
        current_period_end: line.period_end,
        saved_card_id: line.payment_method === 'card' ? await cardSavedByOrder(trx, scope) : null,
      })
      .execute();
    await trx
      .insertInto('subscription_cycles')
      .values({
        id: crypto.randomUUID(),
        tenant_id: scope.tenantId,
        subscription_id: subscriptionId,
        sequence: 1,
        period_id: line.subscription_period_id!,
        start_date: line.start_date,
        end_date: line.period_end,
        order_id: scope.orderId,
        order_number: Number(line.order_number),
        status: 'paid',
        paid_at: sql`now()`,
      })
      .execute();
  }
  return lines.length;
}

/**
 * The card the renewals go to: the one the buyer chose to keep while paying this order (the consent
 * is on the payment page), else the kept card the order was paid with.
 */
async function cardSavedByOrder(trx: Db, scope: OrderScope): Promise<string | null> {
  const keptNow = await trx
    .selectFrom('saved_cards')
    .select('id')
    .where('tenant_id', '=', scope.tenantId)
    .where('order_id', '=', scope.orderId)
    .where('deleted_at', 'is', null)
    .orderBy('created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  if (keptNow) return keptNow.id;
  const paidWith = await trx
    .selectFrom('payments')
    .innerJoin('saved_cards', 'saved_cards.id', 'payments.saved_card_id')
    .select('saved_cards.id')
    .where('payments.tenant_id', '=', scope.tenantId)
    .where('payments.order_id', '=', scope.orderId)
    .where('payments.kind', '=', 'charge')
    .where('payments.status', '=', 'succeeded')
    .where('saved_cards.deleted_at', 'is', null)
    .orderBy('payments.created_at', 'desc')
    .limit(1)
    .executeTakeFirst();
  return paidWith?.id ?? null;
}

/**
 * When a renewal order completes (or is invoiced), its cycle is the subscription's current period:
 * the subscription runs to the cycle's end on the cycle's period, active again if it was not.
 * Answers the subscription renewed, or null for an order that renews nothing (or did so already).
 */
export async function renewSubscriptionInTransaction(trx: Db, scope: OrderScope): Promise<string | null> {
  const cycle = await trx
    .updateTable('subscription_cycles')
    .set({ status: 'paid', paid_at: sql`now()` })
    .where('tenant_id', '=', scope.tenantId)
    .where('order_id', '=', scope.orderId)
    .where('sequence', '>', 1)
    .where('status', '=', 'pending')
    .returning(['subscription_id', 'period_id', sql<string>`end_date::text`.as('end_date')])
    .executeTakeFirst();
  if (!cycle) return null;
  await trx
    .updateTable('subscriptions')
    .set({
      current_period_end: cycle.end_date,
      period_id: cycle.period_id,
      // A change of period has taken effect with this renewal.
      next_period_id: sql`CASE WHEN next_period_id = ${cycle.period_id} THEN NULL ELSE next_period_id END`,
      status: sql`CASE WHEN status IN ('past_due', 'suspended') THEN 'active' ELSE status END`,
      // Paid on the page with another card the buyer agreed to keep: the next renewals use it.
      saved_card_id: sql`coalesce((SELECT c.id FROM saved_cards c WHERE c.order_id = ${scope.orderId}
        AND c.tenant_id = ${scope.tenantId} AND c.deleted_at IS NULL ORDER BY c.created_at DESC LIMIT 1),
        saved_card_id)`,
      updated_at: sql`now()`,
    })
    .where('id', '=', cycle.subscription_id)
    .where('tenant_id', '=', scope.tenantId)
    .execute();
  return cycle.subscription_id;
}
