import type { Kysely } from 'kysely';
import type { Database, Tenant } from '../schema';

// Single tenant settings the worker's services read: each a small lookup by tenant id.

export async function findTenantPaymentProvider(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Tenant['payment_provider'] | undefined> {
  const tenant = await db
    .selectFrom('tenants')
    .select('payment_provider')
    .where('id', '=', tenantId)
    .executeTakeFirst();
  return tenant?.payment_provider;
}

export async function findTenantSlug(db: Kysely<Database>, tenantId: string): Promise<string | undefined> {
  const tenant = await db.selectFrom('tenants').select('slug').where('id', '=', tenantId).executeTakeFirst();
  return tenant?.slug;
}

/** The tenant's name and sender address, for the From header of its mail. */
export async function findTenantSender(
  db: Kysely<Database>,
  tenantId: string,
): Promise<Pick<Tenant, 'name' | 'email_from'> | undefined> {
  return db.selectFrom('tenants').select(['name', 'email_from']).where('id', '=', tenantId).executeTakeFirst();
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
): Promise<Pick<Tenant, 'cancellation_deadline_hours' | 'cancellation_fee_percent'>> {
  return db
    .selectFrom('tenants')
    .select(['cancellation_deadline_hours', 'cancellation_fee_percent'])
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
}
