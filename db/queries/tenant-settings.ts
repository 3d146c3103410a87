import type { Kysely } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, Tenant } from '../schema';

// Single tenant settings the worker's services read: each a small lookup by tenant id.

type ByTenant = { tenantId: string };

const tenantPaymentProvider = compiledQuery((db, slot: SlotOf<ByTenant>) =>
  db.selectFrom('tenants').select('payment_provider').where('id', '=', slot('tenantId')),
);

export async function findTenantPaymentProvider(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Tenant['payment_provider'] | undefined> {
  const tenant = await tenantPaymentProvider.first(db, { tenantId });
  return tenant?.payment_provider;
}

const tenantSlug = compiledQuery((db, slot: SlotOf<ByTenant>) =>
  db.selectFrom('tenants').select('slug').where('id', '=', slot('tenantId')),
);

export async function findTenantSlug(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const tenant = await tenantSlug.first(db, { tenantId });
  return tenant?.slug;
}

const tenantSender = compiledQuery((db, slot: SlotOf<ByTenant>) =>
  db.selectFrom('tenants').select(['name', 'email_from']).where('id', '=', slot('tenantId')),
);

/** The tenant's name and sender address, for the From header of its mail. */
export async function findTenantSender(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Pick<Tenant, 'name' | 'email_from'> | undefined> {
  return tenantSender.first(db, { tenantId });
}

export async function loadLatePaymentPolicy(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Tenant['late_payment_policy']> {
  const tenant = await db
    .selectFrom('tenants')
    .select('late_payment_policy')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  return tenant.late_payment_policy;
}

export async function loadCancellationPolicy(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Pick<Tenant, 'cancellation_deadline_hours' | 'cancellation_fee_percent' | 'paid_order_deletion'>> {
  return db
    .selectFrom('tenants')
    .select(['cancellation_deadline_hours', 'cancellation_fee_percent', 'paid_order_deletion'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
}

/**
 * The tenant's order policies that its operators change through `/v1/settings`
 * (api/routes/tenant-settings.ts). Each setting is the `tenants` column of the same name, so a new
 * setting is one column here, one field in the route's schema and a migration.
 */
export const TENANT_SETTING_COLUMNS = [
  'preliminary_minutes',
  'late_payment_policy',
  'cancellation_deadline_hours',
  'cancellation_fee_percent',
  'invoice_due_days',
  'invoice_reminder_interval_days',
  'paid_order_deletion',
  'campaign_stacking',
  'approval_required',
  'approval_deadline_hours',
  'approval_deadline_action',
] as const satisfies readonly (keyof Tenant)[];

export type TenantSettingsRow = Pick<Tenant, (typeof TENANT_SETTING_COLUMNS)[number]>;
export type TenantSettingsChange = Partial<{ [K in keyof TenantSettingsRow]: TenantSettingsRow[K] }>;

export async function findTenantSettings(
  db: Kysely<Database>,
  tenantId: string,
): Promise<TenantSettingsRow | undefined> {
  return db.selectFrom('tenants').select(TENANT_SETTING_COLUMNS).where('id', '=', tenantId).executeTakeFirst();
}

/**
 * Writes only the settings given, in one statement, so two operators changing different settings
 * at once both keep their change (no read-modify-write); answers every setting as stored.
 */
export async function updateTenantSettings(
  db: Kysely<Database>,
  tenantId: string,
  change: TenantSettingsChange,
): Promise<TenantSettingsRow | undefined> {
  if (Object.keys(change).length === 0) return findTenantSettings(db, tenantId);
  return db
    .updateTable('tenants')
    .set(change)
    .where('id', '=', tenantId)
    .returning(TENANT_SETTING_COLUMNS)
    .executeTakeFirst();
}
