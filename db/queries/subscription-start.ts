import { sql } from 'kysely';
import type { Db } from '../database';
import type { OrderScope } from './order-scope';

/**
 * When an order completes, each of its subscription lines becomes a subscription (issue 13):
 * numbered per tenant, its first period from the line's start date. Lines that are one already
 * are left alone, so a retried completion starts nothing twice. Answers how many it started.
 */
export async function startOrderSubscriptionsInTransaction(trx: Db, scope: OrderScope): Promise<number> {
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
      sql<string>`l.start_date::text`.as('start_date'),
      // The first period ends a period's length after it starts (a quarter is three months).
      sql<string>`(l.start_date + make_interval(
        days => CASE p.length_unit WHEN 'day' THEN p.length_count ELSE 0 END,
        months => CASE p.length_unit WHEN 'month' THEN p.length_count WHEN 'quarter' THEN 3 * p.length_count
                  WHEN 'year' THEN 12 * p.length_count ELSE 0 END))::date::text`.as('period_end'),
    ])
    .where('l.order_id', '=', scope.orderId)
    .where('l.tenant_id', '=', scope.tenantId)
    .where('l.subscription_period_id', 'is not', null)
    .where((eb) =>
      eb.not(eb.exists(eb.selectFrom('subscriptions as s').select('s.id').whereRef('s.order_line_id', '=', 'l.id'))),
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
    await trx
      .insertInto('subscriptions')
      .values({
        id: crypto.randomUUID(),
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
      })
      .execute();
  }
  return lines.length;
}
