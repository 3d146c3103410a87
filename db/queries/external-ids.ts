import type { Db } from '../database';

// Another platform's ids on our catalogue (0025_catalog_external_ids): a tenant migrating from it
// keeps them, and the compatibility routes resolve the ids its requests name to ours. Each id is
// unique per tenant within its table, so a lookup finds one entity or none. (A second entity with
// the same id is refused on write: isExternalIdTaken in catalog-admin.ts.)

/** The id of the tenant's product with this external id, if any. */
export async function findProductByExternalId(
  db: Db,
  tenantId: string,
  externalId: string,
): Promise<string | undefined> {
  const row = await db
    .selectFrom('products')
    .select('id')
    .where('tenant_id', '=', tenantId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row?.id;
}

/** The id (and its product) of the tenant's occurrence with this external id, if any. */
export async function findOccurrenceByExternalId(
  db: Db,
  tenantId: string,
  externalId: string,
): Promise<{ id: string; productId: string } | undefined> {
  const row = await db
    .selectFrom('occurrences')
    .select(['id', 'product_id'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row ? { id: row.id, productId: row.product_id } : undefined;
}

/** The id (and its product) of the tenant's subscription period with this external id, if any. */
export async function findPeriodByExternalId(
  db: Db,
  tenantId: string,
  externalId: string,
): Promise<{ id: string; productId: string } | undefined> {
  const row = await db
    .selectFrom('subscription_periods')
    .select(['id', 'product_id'])
    .where('tenant_id', '=', tenantId)
    .where('external_id', '=', externalId)
    .executeTakeFirst();
  return row ? { id: row.id, productId: row.product_id } : undefined;
}
