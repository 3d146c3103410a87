import { type Selectable, sql } from 'kysely';
import type { Db } from '../database';
import type { CampaignsTable, OccurrenceResourceKind, ProductType, VouchersTable } from '../schema';
import type { OccurrenceRow, ProductRow } from './catalog';

// Catalogue writes. Every write is one statement whose WHERE carries the tenant (and, for
// capacity, the seats taken), so concurrent requests and held seats cannot be overtaken by a
// read-then-write. Constraint violations we expect come back as outcomes, not exceptions.

export type CampaignRow = Selectable<CampaignsTable>;
export type VoucherRow = Selectable<VouchersTable>;
export interface ExchangeRateRow {
  base_currency: string;
  quote_currency: string;
  rate: string;
  updated_at: Date;
}

/** The SQLSTATE and constraint of a PostgreSQL error (node-postgres DatabaseError), if it is one. */
export function pgErrorOf(error: unknown): { code: string; constraint?: string } | undefined {
  if (!error || typeof error !== 'object') return undefined;
  const { code, constraint } = error as { code?: unknown; constraint?: unknown };
  if (typeof code !== 'string' || !/^[0-9A-Z]{5}$/.test(code)) return undefined;
  return { code, ...(typeof constraint === 'string' ? { constraint } : {}) };
}

const UNIQUE_VIOLATION = '23505';
const FOREIGN_KEY_VIOLATION = '23503';

// The partial unique indexes of 0025_catalog_external_ids: one entity per external id, tenant and table.
const EXTERNAL_ID_INDEX = {
  products: 'products_tenant_external_id_key',
  occurrences: 'occurrences_tenant_external_id_key',
  subscription_periods: 'subscription_periods_tenant_external_id_key',
} as const;

/**
 * Whether `error` is that table's external-id index refusing a second entity. The index is the one
 * check: two creates racing with the same id get one row and this outcome, never a 500.
 */
export function isExternalIdTaken(error: unknown, table: keyof typeof EXTERNAL_ID_INDEX): boolean {
  const pg = pgErrorOf(error);
  return pg?.code === UNIQUE_VIOLATION && pg.constraint === EXTERNAL_ID_INDEX[table];
}

// ── Products ────────────────────────────────────────────────────────────────────────────

export interface ProductValues {
  type: ProductType;
  name: string;
  description?: string;
  price: number;
  vatRateBp: number;
  dailyCapacity?: number | null;
  active?: boolean;
  requiresApproval?: boolean;
  /** undefined: unset (create) or unchanged (patch); null: cleared. */
  externalId?: string | null;
}

export type ExternalIdTaken = { ok: false; reason: 'external_id_taken' };
export type InsertProductResult = { ok: true; row: ProductRow } | ExternalIdTaken;
export type UpdateProductResult = { ok: true; row: ProductRow } | { ok: false; reason: 'not_found' } | ExternalIdTaken;

export async function insertProduct(db: Db, tenantId: string, values: ProductValues): Promise<InsertProductResult> {
  try {
    const row = await insertProductRow(db, tenantId, values);
    return { ok: true, row };
  } catch (error) {
    if (isExternalIdTaken(error, 'products')) return { ok: false, reason: 'external_id_taken' };
    throw error;
  }
}

async function insertProductRow(db: Db, tenantId: string, values: ProductValues): Promise<ProductRow> {
  return db
    .with('inserted', (qb) =>
      qb
        .insertInto('products')
        .values({
          id: crypto.randomUUID(),
          tenant_id: tenantId,
          type: values.type,
          name: values.name,
          ...(values.description !== undefined ? { description: values.description } : {}),
          price: values.price,
          vat_rate_bp: values.vatRateBp,
          daily_capacity: values.dailyCapacity ?? null,
          ...(values.active !== undefined ? { active: values.active } : {}),
          ...(values.requiresApproval !== undefined ? { requires_approval: values.requiresApproval } : {}),
          external_id: values.externalId ?? null,
        })
        .returningAll(),
    )
    .selectFrom('inserted')
    .innerJoin('tenants', 'tenants.id', 'inserted.tenant_id')
    .selectAll('inserted')
    .select('tenants.base_currency as currency')
    .executeTakeFirstOrThrow();
}

export async function updateProduct(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<ProductValues>,
): Promise<UpdateProductResult> {
  try {
    const row = await updateProductRow(db, tenantId, id, patch);
    return row ? { ok: true, row } : { ok: false, reason: 'not_found' };
  } catch (error) {
    if (isExternalIdTaken(error, 'products')) return { ok: false, reason: 'external_id_taken' };
    throw error;
  }
}

/** Undefined when the tenant has no such product. */
async function updateProductRow(
  db: Db,
  tenantId: string,
  id: string,
  patch: Partial<ProductValues>,
): Promise<ProductRow | undefined> {
  return db
    .updateTable('products')
    .from('tenants')
    .set({
      ...(patch.type !== undefined ? { type: patch.type } : {}),
      ...(patch.name !== undefined ? { name: patch.name } : {}),
      ...(patch.description !== undefined ? { description: patch.description } : {}),
      ...(patch.price !== undefined ? { price: patch.price } : {}),
      ...(patch.vatRateBp !== undefined ? { vat_rate_bp: patch.vatRateBp } : {}),
      ...(patch.dailyCapacity !== undefined ? { daily_capacity: patch.dailyCapacity } : {}),
      ...(patch.active !== undefined ? { active: patch.active } : {}),
      ...(patch.requiresApproval !== undefined ? { requires_approval: patch.requiresApproval } : {}),
      ...(patch.externalId !== undefined ? { external_id: patch.externalId } : {}),
      updated_at: sql`now()`,
    })
    .whereRef('tenants.id', '=', 'products.tenant_id')
    .where('products.id', '=', id)
    .where('products.tenant_id', '=', tenantId)
    .returningAll('products')
    .returning('tenants.base_currency as currency')
    .executeTakeFirst();
}

export async function getProduct(db: Db, tenantId: string, id: string): Promise<ProductRow | undefined> {
  return db
    .selectFrom('products')
    .innerJoin('tenants', 'tenants.id', 'products.tenant_id')
    .selectAll('products')
    .select('tenants.base_currency as currency')
    .where('products.tenant_id', '=', tenantId)
    .where('products.id', '=', id)
    .executeTakeFirst();
}

/** The ids in `ids` that are not products of the tenant (empty when all are). */
export async function foreignProductIds(db: Db, tenantId: string, ids: readonly string[]): Promise<string[]> {
  if (ids.length === 0) return [];
  const found = await db
    .selectFrom('products')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...new Set(ids)])
    .execute();
  const known = new Set(found.map((r) => r.id));
  return ids.filter((id) => !known.has(id));
}

// ── Occurrences ─────────────────────────────────────────────────────────────────────────

export interface OccurrenceResourceValue {
  name: string;
  kind: OccurrenceResourceKind;
}

export interface OccurrenceValues {
  productId: string;
  name: string;
  startsAt: Date;
  endsAt?: Date | null;
  capacity: number;
  price?: number | null;
  resource?: OccurrenceResourceValue | null;
  externalId?: string | null;
}

export type InsertOccurrenceResult =
  | { ok: true; row: OccurrenceRow }
  | { ok: false; reason: 'product_not_found' }
  | ExternalIdTaken;

/** The composite foreign key (tenant_id, product_id) is the tenant check: one statement. */
export async function insertOccurrence(
  db: Db,
  tenantId: string,
  values: OccurrenceValues,
): Promise<InsertOccurrenceResult> {
  try {
    const row = await db
      .with('inserted', (qb) =>
        qb
          .insertInto('occurrences')
          .values({
            id: crypto.randomUUID(),
            tenant_id: tenantId,
            product_id: values.productId,
            name: values.name,
            starts_at: values.startsAt,
            ends_at: values.endsAt ?? null,
            capacity: values.capacity,
            price: values.price ?? null,
            resource_name: values.resource?.name ?? null,
            resource_kind: values.resource?.kind ?? null,
            external_id: values.externalId ?? null,
          })
          .returningAll(),
      )
      .selectFrom('inserted')
      .innerJoin('products', 'products.id', 'inserted.product_id')
      .innerJoin('tenants', 'tenants.id', 'inserted.tenant_id')
      .selectAll('inserted')
      .select(['products.price as product_price', 'tenants.base_currency as currency'])
      .executeTakeFirstOrThrow();
    return { ok: true, row };
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === FOREIGN_KEY_VIOLATION && pg.constraint === 'occurrences_product_fk')
      return { ok: false, reason: 'product_not_found' };
    if (isExternalIdTaken(error, 'occurrences')) return { ok: false, reason: 'external_id_taken' };
    throw error;
  }
}

export interface OccurrencePatchValues {
  name?: string;
  startsAt?: Date;
  endsAt?: Date | null;
  capacity?: number;
  price?: number | null;
  status?: 'scheduled' | 'cancelled';
  /** undefined: unchanged; null: removed. */
  resource?: OccurrenceResourceValue | null;
  /** undefined: unchanged; null: cleared. */
  externalId?: string | null;
}

export type UpdateOccurrenceResult =
  | { ok: true; row: OccurrenceRow }
  | { ok: false; reason: 'not_found' }
  | { ok: false; reason: 'capacity_below_seats_taken'; seatsTaken: number }
  | { ok: false; reason: 'ends_before_starts' }
  | { ok: false; reason: 'contended' }
  | ExternalIdTaken;

/**
 * One conditional UPDATE: the new capacity applies only while `seats_taken <= capacity`, so a
 * seat held between our answer and the write can never be oversold. When no row comes back the
 * occurrence is read once — only to say why (404, 409 or 422); it is never written from it.
 */
export async function updateOccurrence(
  db: Db,
  tenantId: string,
  id: string,
  patch: OccurrencePatchValues,
): Promise<UpdateOccurrenceResult> {
  const { startsAt, endsAt, capacity } = patch;
  for (let attempt = 0; attempt < 3; attempt++) {
    let query = db
      .updateTable('occurrences')
      .from(['products', 'tenants'])
      .set({
        ...(patch.name !== undefined ? { name: patch.name } : {}),
        ...(startsAt !== undefined ? { starts_at: startsAt } : {}),
        ...(endsAt !== undefined ? { ends_at: endsAt } : {}),
        ...(capacity !== undefined ? { capacity } : {}),
        ...(patch.price !== undefined ? { price: patch.price } : {}),
        ...(patch.status !== undefined ? { status: patch.status } : {}),
        ...(patch.resource !== undefined
          ? { resource_name: patch.resource?.name ?? null, resource_kind: patch.resource?.kind ?? null }
          : {}),
        ...(patch.externalId !== undefined ? { external_id: patch.externalId } : {}),
        updated_at: sql`now()`,
      })
      .whereRef('products.id', '=', 'occurrences.product_id')
      .whereRef('tenants.id', '=', 'occurrences.tenant_id')
      .where('occurrences.id', '=', id)
      .where('occurrences.tenant_id', '=', tenantId);
    if (capacity !== undefined) query = query.where('occurrences.seats_taken', '<=', capacity);
    // The end may not come before the start, whichever of the two the patch changes.
    if (startsAt !== undefined && endsAt === undefined) {
      query = query.where((eb) =>
        eb.or([eb('occurrences.ends_at', 'is', null), eb('occurrences.ends_at', '>=', startsAt)]),
      );
    } else if (startsAt === undefined && endsAt) {
      query = query.where('occurrences.starts_at', '<=', endsAt);
    }
    let row: OccurrenceRow | undefined;
    try {
      row = await query
        .returningAll('occurrences')
        .returning(['products.price as product_price', 'tenants.base_currency as currency'])
        .executeTakeFirst();
    } catch (error) {
      if (isExternalIdTaken(error, 'occurrences')) return { ok: false, reason: 'external_id_taken' };
      throw error;
    }
    if (row) return { ok: true, row };

    const current = await db
      .selectFrom('occurrences')
      .select(['seats_taken', 'starts_at', 'ends_at'])
      .where('tenant_id', '=', tenantId)
      .where('id', '=', id)
      .executeTakeFirst();
    if (!current) return { ok: false, reason: 'not_found' };
    if (capacity !== undefined && current.seats_taken > capacity) {
      return { ok: false, reason: 'capacity_below_seats_taken', seatsTaken: current.seats_taken };
    }
    const effectiveStart = startsAt ?? current.starts_at;
    const effectiveEnd = endsAt === undefined ? current.ends_at : endsAt;
    if (effectiveEnd && effectiveEnd < effectiveStart) return { ok: false, reason: 'ends_before_starts' };
    // Seats were released between the UPDATE and the read: the condition may hold now.
  }
  return { ok: false, reason: 'contended' };
}

// ── Exchange rates ──────────────────────────────────────────────────────────────────────

export async function tenantBaseCurrency(db: Db, tenantId: string): Promise<string> {
  const row = await db
    .selectFrom('tenants')
    .select('base_currency')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return row.base_currency;
}

export async function upsertExchangeRate(
  db: Db,
  tenantId: string,
  quoteCurrency: string,
  rate: string,
): Promise<ExchangeRateRow> {
  return db
    .with('upserted', (qb) =>
      qb
        .insertInto('exchange_rates')
        .values({ tenant_id: tenantId, quote_currency: quoteCurrency, rate })
        .onConflict((oc) => oc.columns(['tenant_id', 'quote_currency']).doUpdateSet({ rate, updated_at: sql`now()` }))
        .returningAll(),
    )
    .selectFrom('upserted')
    .innerJoin('tenants', 'tenants.id', 'upserted.tenant_id')
    .select([
      'tenants.base_currency',
      'upserted.quote_currency',
      sql<string>`upserted.rate::text`.as('rate'),
      'upserted.updated_at',
    ])
    .executeTakeFirstOrThrow();
}

export async function listExchangeRates(db: Db, tenantId: string): Promise<ExchangeRateRow[]> {
  return db
    .selectFrom('exchange_rates')
    .innerJoin('tenants', 'tenants.id', 'exchange_rates.tenant_id')
    .select([
      'tenants.base_currency',
      'exchange_rates.quote_currency',
      sql<string>`exchange_rates.rate::text`.as('rate'),
      'exchange_rates.updated_at',
    ])
    .where('exchange_rates.tenant_id', '=', tenantId)
    .orderBy('exchange_rates.quote_currency')
    .execute();
}

// ── Campaigns ───────────────────────────────────────────────────────────────────────────

export interface CampaignValues {
  code: string;
  kind: 'percent' | 'amount';
  percent: number | null;
  amount: number | null;
  currency: string | null;
  validFrom: Date | null;
  validUntil: Date | null;
  maxUses: number | null;
  minOrderAmount: number | null;
  productIds: string[] | null;
}

export type InsertCampaignResult = { ok: true; row: CampaignRow } | { ok: false; reason: 'code_taken' };

export async function insertCampaign(db: Db, tenantId: string, values: CampaignValues): Promise<InsertCampaignResult> {
  try {
    const row = await db
      .insertInto('campaigns')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        code: values.code,
        kind: values.kind,
        percent: values.percent === null ? null : values.percent.toFixed(2),
        amount: values.amount,
        currency: values.currency,
        valid_from: values.validFrom,
        valid_until: values.validUntil,
        max_uses: values.maxUses,
        min_order_amount: values.minOrderAmount,
        product_ids: values.productIds,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ok: true, row };
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === UNIQUE_VIOLATION && pg.constraint === 'campaigns_tenant_code_key')
      return { ok: false, reason: 'code_taken' };
    throw error;
  }
}

/** Ordered by code (case-insensitively), keyset-paged on upper(code), which is unique per tenant. */
export async function listCampaigns(
  db: Db,
  tenantId: string,
  opts: { afterCode?: string; limit: number },
): Promise<CampaignRow[]> {
  let query = db
    .selectFrom('campaigns')
    .selectAll()
    .where('tenant_id', '=', tenantId)
    .orderBy(sql`upper(code)`)
    .limit(opts.limit);
  if (opts.afterCode !== undefined) query = query.where(sql`upper(code)`, '>', opts.afterCode.toUpperCase());
  return query.execute();
}

// ── Vouchers ────────────────────────────────────────────────────────────────────────────

export interface VoucherValues {
  code: string;
  kind: 'value' | 'percent';
  value: number | null;
  currency: string | null;
  percent: number | null;
  validUntil: Date | null;
}

export type InsertVoucherResult = { ok: true; row: VoucherRow } | { ok: false; reason: 'code_taken' };

export async function insertVoucher(db: Db, tenantId: string, values: VoucherValues): Promise<InsertVoucherResult> {
  try {
    const row = await db
      .insertInto('vouchers')
      .values({
        id: crypto.randomUUID(),
        tenant_id: tenantId,
        code: values.code,
        kind: values.kind,
        currency: values.currency,
        initial_value: values.value,
        remaining_value: values.value,
        percent: values.percent === null ? null : values.percent.toFixed(2),
        valid_until: values.validUntil,
      })
      .returningAll()
      .executeTakeFirstOrThrow();
    return { ok: true, row };
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === UNIQUE_VIOLATION && pg.constraint === 'vouchers_tenant_code_key')
      return { ok: false, reason: 'code_taken' };
    throw error;
  }
}
