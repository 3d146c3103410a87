import type { Db } from '../database';

// The facility adapter shows a row's product by the id the client knows (api/compat/facility):
// the product's external id where the catalogue has one.

/** Our product id → its external id, for those of `productIds` that have one. */
export async function productExternalIds(
  db: Db,
  tenantId: string,
  productIds: readonly string[],
): Promise<Map<string, string>> {
  if (productIds.length === 0) return new Map();
  const rows = await db
    .selectFrom('products')
    .select(['id', 'external_id'])
    .where('tenant_id', '=', tenantId)
    .where('id', 'in', [...new Set(productIds)])
    .where('external_id', 'is not', null)
    .execute();
  return new Map(rows.flatMap((row) => (row.external_id ? [[row.id, row.external_id] as const] : [])));
}
