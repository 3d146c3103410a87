import { sql } from 'kysely';
import type { Db } from '../database';
import type { OrderOrigin, OrderStatus, PaymentMethod } from '../schema';
import { type OrderedBySource, type OrderRowJson, orderColumn, orderCustomerOf, orderRowsOf } from './order-rows';

export interface OrderListFilter {
  number?: number;
  statuses?: OrderStatus[];
  excludedStatuses?: OrderStatus[];
  paymentMethods?: PaymentMethod[];
  /** created_at >= createdFrom; absent = unbounded. */
  createdFrom?: Date;
  /** created_at <= (or <, when exclusive) createdTo; absent = unbounded. */
  createdTo?: { at: Date; exclusive: boolean };
  occurrenceId?: string;
  /** Booker email or a participant's email, case-insensitive. */
  customerEmail?: string;
  /** The customer as booker (orders.customer_id) or as a participant. */
  customerId?: string;
  externalId?: string;
  externalContactId?: string;
  externalCompanyId?: string;
  origins?: OrderOrigin[];
  /** true: attention_reason is set (flagged for operators); false: it is not. */
  attention?: boolean;
}

/** Keyset position: the last row of the previous page; created_at with PostgreSQL's microseconds. */
export interface OrderListPosition {
  createdAt: string;
  id: string;
}

export interface OrderListRow extends OrderedBySource {
  id: string;
  number: number;
  status: OrderStatus;
  currency: string;
  payment_method: PaymentMethod;
  booker_email: string | null;
  external_id: string | null;
  external_contact_id: string | null;
  external_company_id: string | null;
  origin: OrderOrigin;
  total_before_discounts: number;
  total_discounts: number;
  total_excl_vat: number;
  total_vat: number;
  total_incl_vat: number;
  preliminary_until: Date | null;
  created_at: Date;
  /** created_at as exact UTC text (microseconds): the cursor must not lose precision. */
  created_at_key: string;
  number_of_participants: number;
  amount_charged: number;
  amount_refunded: number;
  credited: number;
  attention_reason: string | null;
  /** The order's lines with product, occurrence and participant (presentOrderRow). */
  rows: OrderRowJson[];
  /** Only when asked with `rolesOf`: the customer booked the order / takes part in it. */
  is_booker?: boolean;
  is_participant?: boolean;
}

/**
 * One page of a tenant's orders, newest first, in a single query: participants and succeeded
 * charges are aggregated, and the order rows and the booker's customer record read as JSON, per
 * row by correlated subqueries that run only for the rows of the page.
 * Selective filters (customer, occurrence) are semi-joins on their own indexes; the integrator's
 * references and the origin have indexes per tenant in list order (migration 0013).
 */
export async function listOrders(
  db: Db,
  tenantId: string,
  filter: OrderListFilter,
  opts: { after?: OrderListPosition; limit: number; rolesOf?: string },
): Promise<OrderListRow[]> {
  return orderListQuery(db, tenantId, filter, opts).execute() as Promise<OrderListRow[]>;
}

/** The query of listOrders, unexecuted (for EXPLAIN). */
export function orderListQuery(
  db: Db,
  tenantId: string,
  filter: OrderListFilter,
  opts: { after?: OrderListPosition; limit: number; rolesOf?: string },
) {
  let query = db
    .selectFrom('orders as o')
    .select([
      'o.id',
      'o.number',
      'o.status',
      'o.currency',
      'o.payment_method',
      'o.booker_email',
      'o.external_id',
      'o.external_contact_id',
      'o.external_company_id',
      'o.origin',
      'o.total_before_discounts',
      'o.total_discounts',
      'o.total_excl_vat',
      'o.total_vat',
      'o.total_incl_vat',
      'o.preliminary_until',
      'o.created_at',
      sql<string>`to_char(o.created_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')`.as('created_at_key'),
      sql<number>`(SELECT count(*) FROM participants p WHERE p.order_id = o.id)`.as('number_of_participants'),
      'o.credited',
      'o.attention_reason',
      'o.customer_id',
      'o.booker',
      'o.company',
      'o.invoice_details',
      'o.delivery_details',
      orderRowsOf(db, orderColumn('o', 'id')).as('rows'),
      orderCustomerOf(db, orderColumn('o', 'customer_id')).as('customer'),
      sql<number>`(SELECT coalesce(sum(pm.amount), 0) FROM payments pm
                   WHERE pm.order_id = o.id AND pm.kind = 'charge' AND pm.status = 'succeeded')`.as('amount_charged'),
      sql<number>`(SELECT coalesce(sum(pm.amount), 0) FROM payments pm
                   WHERE pm.order_id = o.id AND pm.kind = 'refund'
                     AND (pm.status = 'succeeded' OR (pm.status = 'pending' AND pm.provider = 'manual')))`.as(
        'amount_refunded',
      ),
    ])
    .where('o.tenant_id', '=', tenantId)
    .orderBy('o.created_at', 'desc')
    .orderBy('o.id', 'desc')
    .limit(opts.limit);

  if (opts.rolesOf !== undefined) {
    const customerId = opts.rolesOf;
    query = query.select([
      sql<boolean>`(o.customer_id IS NOT DISTINCT FROM ${customerId}::uuid)`.as('is_booker'),
      sql<boolean>`EXISTS (SELECT 1 FROM participants p
        WHERE p.order_id = o.id AND p.customer_id = ${customerId}::uuid)`.as('is_participant'),
    ]);
  }
  if (filter.number !== undefined) query = query.where('o.number', '=', filter.number);
  if (filter.statuses?.length) query = query.where('o.status', 'in', filter.statuses);
  if (filter.excludedStatuses?.length) query = query.where('o.status', 'not in', filter.excludedStatuses);
  if (filter.paymentMethods?.length) query = query.where('o.payment_method', 'in', filter.paymentMethods);
  if (filter.createdFrom) query = query.where('o.created_at', '>=', filter.createdFrom);
  if (filter.createdTo)
    query = query.where('o.created_at', filter.createdTo.exclusive ? '<' : '<=', filter.createdTo.at);
  if (filter.externalId !== undefined) query = query.where('o.external_id', '=', filter.externalId);
  if (filter.externalContactId !== undefined)
    query = query.where('o.external_contact_id', '=', filter.externalContactId);
  if (filter.externalCompanyId !== undefined)
    query = query.where('o.external_company_id', '=', filter.externalCompanyId);
  if (filter.origins?.length) query = query.where('o.origin', 'in', filter.origins);
  if (filter.attention !== undefined)
    query = query.where('o.attention_reason', filter.attention ? 'is not' : 'is', null);
  if (filter.occurrenceId !== undefined) {
    const occurrenceId = filter.occurrenceId;
    query = query.where(
      sql<boolean>`o.id IN (SELECT l.order_id FROM order_lines l
        WHERE l.tenant_id = ${tenantId}::uuid AND l.occurrence_id = ${occurrenceId}::uuid)`,
    );
  }
  if (filter.customerEmail !== undefined) {
    const email = filter.customerEmail.trim().toLowerCase();
    query = query.where(sql<boolean>`o.id IN (
      SELECT b.id FROM orders b WHERE b.tenant_id = ${tenantId}::uuid AND lower(b.booker_email) = ${email}
      UNION
      SELECT p.order_id FROM participants p WHERE p.tenant_id = ${tenantId}::uuid AND lower(p.email) = ${email})`);
  }
  if (filter.customerId !== undefined) {
    const customerId = filter.customerId;
    query = query.where(sql<boolean>`o.id IN (
      SELECT b.id FROM orders b WHERE b.tenant_id = ${tenantId}::uuid AND b.customer_id = ${customerId}::uuid
      UNION
      SELECT p.order_id FROM participants p
      WHERE p.tenant_id = ${tenantId}::uuid AND p.customer_id = ${customerId}::uuid)`);
  }
  if (opts.after) {
    const { createdAt, id } = opts.after;
    query = query.where(sql<boolean>`(o.created_at, o.id) < (${createdAt}::timestamptz, ${id}::uuid)`);
  }
  return query;
}
