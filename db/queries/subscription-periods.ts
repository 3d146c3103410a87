import { type Selectable, sql } from 'kysely';
import type { Db } from '../database';
import type { SubscriptionPaymentMethod, SubscriptionPeriodsTable, SubscriptionPeriodUnit } from '../schema';
import { isExternalIdTaken, pgErrorOf } from './catalog-admin';

// The periods of subscription products. Every statement carries the tenant; the composite
// foreign key (tenant_id, product_id) makes a period under another tenant's product impossible.

export type SubscriptionPeriodRow = Selectable<SubscriptionPeriodsTable> & { currency: string };

export interface SubscriptionPeriodValues {
  code: string;
  name: string;
  lengthUnit: SubscriptionPeriodUnit;
  lengthCount: number;
  price: number;
  paymentMethods: SubscriptionPaymentMethod[];
  trialDays?: number;
  physical?: boolean;
  renewalNoticeDays?: number;
  active?: boolean;
  /** undefined: unset (create) or unchanged (patch); null: cleared. */
  externalId?: string | null;
}

export type SubscriptionPeriodPatch = Partial<Omit<SubscriptionPeriodValues, 'code' | 'lengthUnit' | 'lengthCount'>>;

/** What a period is created under: the product's type decides whether it may have periods. */
export async function productTypeOf(db: Db, tenantId: string, productId: string): Promise<string | undefined> {
  const row = await db
    .selectFrom('products')
    .select('type')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', productId)
    .executeTakeFirst();
  return row?.type;
}

export type InsertPeriodResult =
  | { ok: true; row: SubscriptionPeriodRow }
  | { ok: false; reason: 'product_not_found' | 'product_not_subscription' | 'code_taken' | 'external_id_taken' };

/**
 * One statement: the INSERT selects from the product row, so a product that is not (or no
 * longer) a subscription of this tenant inserts nothing, and the outcome says why.
 */
export async function insertSubscriptionPeriod(
  db: Db,
  tenantId: string,
  productId: string,
  values: SubscriptionPeriodValues,
): Promise<InsertPeriodResult> {
  try {
    const row = await db
      .with('inserted', (qb) =>
        qb
          .insertInto('subscription_periods')
          .columns([
            'id',
            'tenant_id',
            'product_id',
            'code',
            'name',
            'length_unit',
            'length_count',
            'price',
            'payment_methods',
            'trial_days',
            'physical',
            'renewal_notice_days',
            'active',
            'external_id',
          ])
          .expression((eb) =>
            eb
              .selectFrom('products')
              .select([
                sql<string>`${crypto.randomUUID()}::uuid`.as('id'),
                'products.tenant_id',
                'products.id as product_id',
                sql<string>`${values.code}`.as('code'),
                sql<string>`${values.name}`.as('name'),
                sql<string>`${values.lengthUnit}`.as('length_unit'),
                sql<number>`${values.lengthCount}::integer`.as('length_count'),
                sql<number>`${values.price}::bigint`.as('price'),
                sql<string[]>`${values.paymentMethods}::text[]`.as('payment_methods'),
                sql<number>`${values.trialDays ?? 0}::integer`.as('trial_days'),
                sql<boolean>`${values.physical ?? false}::boolean`.as('physical'),
                sql<number>`${values.renewalNoticeDays ?? 7}::integer`.as('renewal_notice_days'),
                sql<boolean>`${values.active ?? true}::boolean`.as('active'),
                sql<string | null>`${values.externalId ?? null}::text`.as('external_id'),
              ])
              .where('products.tenant_id', '=', tenantId)
              .where('products.id', '=', productId)
              .where('products.type', '=', 'subscription'),
          )
          .returningAll(),
      )
      .selectFrom('inserted')
      .innerJoin('tenants', 'tenants.id', 'inserted.tenant_id')
      .selectAll('inserted')
      .select('tenants.base_currency as currency')
      .executeTakeFirst();
    if (row) return { ok: true, row };
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === '23505' && pg.constraint === 'subscription_periods_product_code_key')
      return { ok: false, reason: 'code_taken' };
    if (isExternalIdTaken(error, 'subscription_periods')) return { ok: false, reason: 'external_id_taken' };
    throw error;
  }
  // Nothing inserted: read once, only to say why.
  const type = await productTypeOf(db, tenantId, productId);
  return { ok: false, reason: type === undefined ? 'product_not_found' : 'product_not_subscription' };
}

export async function getSubscriptionPeriod(
  db: Db,
  tenantId: string,
  productId: string,
  id: string,
): Promise<SubscriptionPeriodRow | undefined> {
  return db
    .selectFrom('subscription_periods')
    .innerJoin('tenants', 'tenants.id', 'subscription_periods.tenant_id')
    .selectAll('subscription_periods')
    .select('tenants.base_currency as currency')
    .where('subscription_periods.tenant_id', '=', tenantId)
    .where('subscription_periods.product_id', '=', productId)
    .where('subscription_periods.id', '=', id)
    .executeTakeFirst();
}

/**
 * By code (case-insensitively), keyset-paged on lower(code), which is unique per product (an
 * index serves it). Only active or inactive ones if asked.
 */
export async function listSubscriptionPeriods(
  db: Db,
  tenantId: string,
  productId: string,
  opts: { active?: boolean; externalId?: string; afterCode?: string; limit: number },
): Promise<SubscriptionPeriodRow[]> {
  let query = db
    .selectFrom('subscription_periods')
    .innerJoin('tenants', 'tenants.id', 'subscription_periods.tenant_id')
    .selectAll('subscription_periods')
    .select('tenants.base_currency as currency')
    .where('subscription_periods.tenant_id', '=', tenantId)
    .where('subscription_periods.product_id', '=', productId)
    .orderBy(sql`lower(subscription_periods.code)`)
    .limit(opts.limit);
  if (opts.active !== undefined) query = query.where('subscription_periods.active', '=', opts.active);
  if (opts.externalId !== undefined) query = query.where('subscription_periods.external_id', '=', opts.externalId);
  if (opts.afterCode !== undefined)
    query = query.where(sql`lower(subscription_periods.code)`, '>', opts.afterCode.toLowerCase());
  return query.execute();
}

/** The active periods of these products (the public catalogue), grouped by product. */
export async function activePeriodsByProduct(
  db: Db,
  tenantId: string,
  productIds: readonly string[],
): Promise<Map<string, SubscriptionPeriodRow[]>> {
  const byProduct = new Map<string, SubscriptionPeriodRow[]>();
  if (productIds.length === 0) return byProduct;
  const rows = await db
    .selectFrom('subscription_periods')
    .innerJoin('tenants', 'tenants.id', 'subscription_periods.tenant_id')
    .selectAll('subscription_periods')
    .select('tenants.base_currency as currency')
    .where('subscription_periods.tenant_id', '=', tenantId)
    .where('subscription_periods.product_id', 'in', [...new Set(productIds)])
    .where('subscription_periods.active', '=', true)
    .orderBy('subscription_periods.product_id')
    .orderBy(sql`lower(subscription_periods.code)`)
    .execute();
  for (const row of rows) {
    const list = byProduct.get(row.product_id) ?? [];
    list.push(row);
    byProduct.set(row.product_id, list);
  }
  return byProduct;
}

export type UpdatePeriodResult =
  | { ok: true; row: SubscriptionPeriodRow }
  | { ok: false; reason: 'not_found' | 'external_id_taken' };

/**
 * Not found when the tenant's product has no such period. The free/price rule is checked by the
 * caller on the merged values and enforced by the table's CHECK, so a concurrent patch that
 * would break it fails instead of storing a period nobody can pay for.
 */
export async function updateSubscriptionPeriod(
  db: Db,
  tenantId: string,
  productId: string,
  id: string,
  patch: SubscriptionPeriodPatch,
): Promise<UpdatePeriodResult> {
  const query = db
    .updateTable('subscription_periods')
    .from('tenants')
    .set({
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.price !== undefined ? { price: patch.price } : {}),
      ...(patch.paymentMethods !== undefined ? { payment_methods: patch.paymentMethods } : {}),
      ...(patch.trialDays !== undefined ? { trial_days: patch.trialDays } : {}),
      ...(patch.physical !== undefined ? { physical: patch.physical } : {}),
      ...(patch.renewalNoticeDays !== undefined ? { renewal_notice_days: patch.renewalNoticeDays } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      ...(patch.externalId !== undefined ? { external_id: patch.externalId } : {}),
      updated_at: sql`now()`,
    })
    .whereRef('tenants.id', '=', 'subscription_periods.tenant_id')
    .where('subscription_periods.tenant_id', '=', tenantId)
    .where('subscription_periods.product_id', '=', productId)
    .where('subscription_periods.id', '=', id)
    .returningAll('subscription_periods')
    .returning('tenants.base_currency as currency');
  try {
    const row = await query.executeTakeFirst();
    return row ? { ok: true, row } : { ok: false, reason: 'not_found' };
  } catch (error) {
    if (isExternalIdTaken(error, 'subscription_periods')) return { ok: false, reason: 'external_id_taken' };
    throw error;
  }
}
