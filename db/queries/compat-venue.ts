import type { Db } from '../database';

// What the venue compatibility adapter reads beyond /v1: whether the tenant's list prices include
// VAT, so its catalogue answer can show their `priceInclVat` whichever basis the tenant keeps.

export async function tenantPricesIncludeVat(db: Db, tenantId: string): Promise<boolean> {
  const row = await db.selectFrom('tenants').select('prices_include_vat').where('id', '=', tenantId).executeTakeFirst();
  return row?.prices_include_vat ?? false;
}
