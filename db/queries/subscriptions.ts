import { type Expression, expressionBuilder, sql } from 'kysely';
import { jsonArrayFrom, jsonObjectFrom } from 'kysely/helpers/postgres';
import type { Db } from '../database';
import type { Database, InvoicesTable, OrderStatus, SubscriptionPeriodUnit, SubscriptionsTable } from '../schema';

// The read side of subscriptions (issue 13, point 5): what GET /v1/subscriptions answers. Rows are
// written when an order with a subscription line completes and changed by the subscription's
// workflow; nothing here changes them.

export type { SubscriptionStatus } from '../../domain/subscription-state';
import type { SubscriptionStatus } from '../../domain/subscription-state';

export interface SubscriptionListFilter {
  status?: SubscriptionStatus;
  /** Exact, regardless of case. */
  customerEmail?: string;
  productId?: string;
}

/** Keyset position: the last row of the previous page; created_at with PostgreSQL's microseconds. */
export interface SubscriptionPosition {
  createdAt: string;
  id: string;
}

export interface SubscriptionRow {
  id: string;
  number: number;
  status: SubscriptionStatus;
  product_id: string;
  product_name: string;
  period_id: string;
  period_code: string;
  period_name: string;
  period_length_unit: SubscriptionPeriodUnit;
  period_length_count: number;
  payment_method: SubscriptionsTable['payment_method'];
  customer_id: string | null;
  customer_email: string | null;
  start_date: string;
  current_period_end: string;
  order_id: string;
  cancel_at_period_end: boolean;
  created_at: Date;
  /** created_at as exact UTC text (microseconds): the cursor must not lose precision. */
  created_at_key: string;
}

/** A document (invoice, receipt, credit note) of a period's order. */
export interface SubscriptionCycleDocument {
  id: string;
  kind: InvoicesTable['kind'];
  document_number: string;
}

/** One period of the subscription (subscription_cycles) with its order, once that order exists. */
export interface SubscriptionCycleRow {
  sequence: number;
  start_date: string;
  end_date: string;
  status: 'pending' | 'paid' | 'unpaid' | 'cancelled';
  order_id: string;
  order_number: number;
  /** Null while a renewal's order is not placed yet (its id and number are chosen first). */
  order_status: OrderStatus | null;
  documents: SubscriptionCycleDocument[];
}

export interface SubscriptionDetailsRow extends SubscriptionRow {
  /** The order that bought it; the foreign key (tenant_id, order_id) keeps it there. */
  order: { id: string; number: number; status: OrderStatus };
  cancelled_at: Date | null;
  cancel_reason: string | null;
  paused_at: Date | null;
  next_period: { id: string; code: string; name: string } | null;
  saved_card: { id: string; brand: string; last4: string } | null;
  periods: SubscriptionCycleRow[];
}

/** What a change needs to address the subscription's workflow. */
export interface SubscriptionRef {
  id: string;
  number: number;
}

function subscriptionsOf(db: Db, tenantId: string) {
  return db
    .selectFrom('subscriptions as s')
    .innerJoin('subscription_periods as sp', (join) =>
      join.onRef('sp.tenant_id', '=', 's.tenant_id').onRef('sp.id', '=', 's.period_id'),
    )
    .innerJoin('products as p', (join) =>
      join.onRef('p.tenant_id', '=', 's.tenant_id').onRef('p.id', '=', 's.product_id'),
    )
    .select([
      's.id',
      's.number',
      's.status',
      's.product_id',
      'p.name as product_name',
      's.period_id',
      'sp.code as period_code',
      'sp.name as period_name',
      'sp.length_unit as period_length_unit',
      'sp.length_count as period_length_count',
      's.payment_method',
      's.customer_id',
      's.customer_email',
      's.start_date',
      's.current_period_end',
      's.order_id',
      's.cancel_at_period_end',
      's.created_at',
      sql<string>`to_char(s.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('created_at_key'),
    ])
    .where('s.tenant_id', '=', tenantId);
}

/** One page of a tenant's subscriptions, newest first (index subscriptions_tenant_created). */
export async function listSubscriptions(
  db: Db,
  tenantId: string,
  filter: SubscriptionListFilter,
  page: { after?: SubscriptionPosition; limit: number },
): Promise<SubscriptionRow[]> {
  let query = subscriptionsOf(db, tenantId).orderBy('s.created_at', 'desc').orderBy('s.id', 'desc').limit(page.limit);
  if (filter.status !== undefined) query = query.where('s.status', '=', filter.status);
  if (filter.productId !== undefined) query = query.where('s.product_id', '=', filter.productId);
  if (filter.customerEmail !== undefined)
    query = query.where(sql`lower(s.customer_email)`, '=', filter.customerEmail.trim().toLowerCase());
  if (page.after) {
    const { createdAt, id } = page.after;
    query = query.where(sql<boolean>`(s.created_at, s.id) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  return query.execute();
}

/** One subscription of the tenant with its order, periods and what a change set, or undefined. */
export async function findSubscription(
  db: Db,
  tenantId: string,
  id: string,
): Promise<SubscriptionDetailsRow | undefined> {
  const row = await subscriptionsOf(db, tenantId)
    .select(['s.cancelled_at', 's.cancel_reason', 's.paused_at'])
    .select((eb) => [
      jsonObjectFrom(
        eb
          .selectFrom('orders as o')
          .select(['o.id', 'o.number', 'o.status'])
          .whereRef('o.tenant_id', '=', 's.tenant_id')
          .whereRef('o.id', '=', 's.order_id'),
      ).as('order'),
      jsonObjectFrom(
        eb
          .selectFrom('subscription_periods as np')
          .select(['np.id', 'np.code', 'np.name'])
          .whereRef('np.tenant_id', '=', 's.tenant_id')
          .whereRef('np.id', '=', 's.next_period_id'),
      ).as('next_period'),
      jsonObjectFrom(
        eb
          .selectFrom('saved_cards as sc')
          .select(['sc.id', 'sc.brand', 'sc.last4'])
          .whereRef('sc.tenant_id', '=', 's.tenant_id')
          .whereRef('sc.id', '=', 's.saved_card_id'),
      ).as('saved_card'),
      cyclesOf(eb.ref('s.id')).as('periods'),
    ])
    .where('s.id', '=', id)
    .executeTakeFirst();
  if (!row) return undefined;
  const { order } = row;
  if (!order) throw new Error(`Subscription ${id} has no order, though subscriptions_order_fk keeps one`);
  return { ...row, order };
}

/** A subscription's periods by sequence, each with its order (if placed) and that order's documents. */
function cyclesOf(subscriptionId: Expression<string>) {
  return jsonArrayFrom(
    expressionBuilder<Database, never>()
      .selectFrom('subscription_cycles as c')
      .leftJoin('orders as co', (join) =>
        join.onRef('co.tenant_id', '=', 'c.tenant_id').onRef('co.id', '=', 'c.order_id'),
      )
      .select((eb) => [
        'c.sequence',
        'c.start_date',
        'c.end_date',
        'c.status',
        'c.order_id',
        'c.order_number',
        'co.status as order_status',
        jsonArrayFrom(
          eb
            .selectFrom('invoices as d')
            .select(['d.id', 'd.kind', 'd.document_number'])
            .whereRef('d.tenant_id', '=', 'c.tenant_id')
            .whereRef('d.order_id', '=', 'c.order_id')
            .orderBy('d.issued_at')
            .orderBy('d.id'),
        ).as('documents'),
      ])
      .where('c.subscription_id', '=', subscriptionId)
      .orderBy('c.sequence'),
  );
}

/** The tenant's subscription by id (what a change addresses its workflow by), or undefined. */
export async function findSubscriptionRef(db: Db, tenantId: string, id: string): Promise<SubscriptionRef | undefined> {
  return db
    .selectFrom('subscriptions')
    .select(['id', 'number'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}
