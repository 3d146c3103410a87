import { sql } from 'kysely';
import type { Db } from '../database';
import type { SubscriptionStatus } from '../../domain/subscription-state';

// What a subscription's e-mails show, in one round trip: the subscription, its product and
// periods, the tenant, the order that bought it (language, name, currency) and its first and
// latest periods (subscription_cycles). Dates are YYYY-MM-DD text; a cycle's end is the first
// day after it.

export interface SubscriptionEmailCycle {
  sequence: number;
  start_date: string;
  end_date: string;
  status: 'pending' | 'paid' | 'unpaid' | 'cancelled';
  order_number: number;
  /** Null while the renewal's order is not placed yet. */
  order_total_incl_vat: number | null;
  order_currency: string | null;
}

export interface SubscriptionEmailData {
  tenant_id: string;
  id: string;
  number: number;
  status: SubscriptionStatus;
  payment_method: string;
  saved_card_id: string | null;
  customer_email: string | null;
  start_date: string;
  current_period_end: string;
  cancel_at_period_end: boolean;
  cancelled_at: Date | null;
  cancel_reason: string | null;
  order_id: string;
  order_number: number;
  order_currency: string;
  order_client: unknown;
  order_booker: unknown;
  tenant_name: string;
  tenant_locale: string;
  tenant_currency: string;
  tenant_prices_include_vat: boolean;
  product_name: string;
  vat_rate_bp: number;
  period_name: string;
  /** The period the next renewal is on: a change of period applies there. */
  renewal_period_name: string;
  renewal_period_price: number;
  renewal_period_payment_methods: string[];
  first_cycle: SubscriptionEmailCycle | null;
  latest_cycle: SubscriptionEmailCycle | null;
}

function cycleQuery(order: 'asc' | 'desc') {
  return sql<SubscriptionEmailCycle | null>`(
    SELECT json_build_object(
      'sequence', c.sequence, 'start_date', c.start_date::text, 'end_date', c.end_date::text,
      'status', c.status, 'order_number', c.order_number::int8,
      'order_total_incl_vat', co.total_incl_vat, 'order_currency', co.currency)
    FROM subscription_cycles c LEFT JOIN orders co ON co.id = c.order_id
    WHERE c.subscription_id = s.id
    ORDER BY c.sequence ${sql.raw(order === 'asc' ? 'ASC' : 'DESC')} LIMIT 1)`;
}

/** The subscription's e-mail data, or undefined when the tenant has no such subscription. */
export async function loadSubscriptionEmailData(
  db: Db,
  scope: { tenantId: string; subscriptionId: string },
): Promise<SubscriptionEmailData | undefined> {
  const row = await db
    .selectFrom('subscriptions as s')
    .innerJoin('tenants as t', 't.id', 's.tenant_id')
    .innerJoin('orders as o', (join) => join.onRef('o.tenant_id', '=', 's.tenant_id').onRef('o.id', '=', 's.order_id'))
    .innerJoin('products as pr', (join) =>
      join.onRef('pr.tenant_id', '=', 's.tenant_id').onRef('pr.id', '=', 's.product_id'),
    )
    .innerJoin('subscription_periods as p', (join) =>
      join.onRef('p.tenant_id', '=', 's.tenant_id').onRef('p.id', '=', 's.period_id'),
    )
    .innerJoin('subscription_periods as np', (join) =>
      join.onRef('np.tenant_id', '=', 's.tenant_id').on(sql<boolean>`np.id = coalesce(s.next_period_id, s.period_id)`),
    )
    .select([
      's.tenant_id',
      's.id',
      's.number',
      's.status',
      's.payment_method',
      's.saved_card_id',
      's.customer_email',
      sql<string>`s.start_date::text`.as('start_date'),
      sql<string>`s.current_period_end::text`.as('current_period_end'),
      's.cancel_at_period_end',
      's.cancelled_at',
      's.cancel_reason',
      's.order_id',
      'o.number as order_number',
      'o.currency as order_currency',
      'o.client as order_client',
      'o.booker as order_booker',
      't.name as tenant_name',
      't.locale as tenant_locale',
      't.base_currency as tenant_currency',
      't.prices_include_vat as tenant_prices_include_vat',
      'pr.name as product_name',
      'pr.vat_rate_bp',
      'p.name as period_name',
      'np.name as renewal_period_name',
      'np.price as renewal_period_price',
      'np.payment_methods as renewal_period_payment_methods',
      cycleQuery('asc').as('first_cycle'),
      cycleQuery('desc').as('latest_cycle'),
    ])
    .where('s.id', '=', scope.subscriptionId)
    .where('s.tenant_id', '=', scope.tenantId)
    .executeTakeFirst();
  if (!row) return undefined;
  return {
    ...row,
    number: Number(row.number),
    order_number: Number(row.order_number),
    renewal_period_price: Number(row.renewal_period_price),
  };
}
