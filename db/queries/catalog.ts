import type { Selectable } from 'kysely';
import type { Db } from '../database';
import type { OccurrencesTable, ProductsTable } from '../schema';

export type ProductRow = Selectable<ProductsTable> & { currency: string };
export type OccurrenceRow = Selectable<OccurrencesTable> & { product_price: number; currency: string };

export async function listProducts(
  db: Db,
  tenantId: string,
  opts: { type?: string; externalId?: string; afterId?: string; limit: number },
): Promise<ProductRow[]> {
  let query = db
    .selectFrom('products')
    .innerJoin('tenants', 'tenants.id', 'products.tenant_id')
    .selectAll('products')
    .select('tenants.base_currency as currency')
    .where('products.tenant_id', '=', tenantId)
    .orderBy('products.id')
    .limit(opts.limit);
  if (opts.type) query = query.where('products.type', '=', opts.type as ProductsTable['type']);
  if (opts.externalId !== undefined) query = query.where('products.external_id', '=', opts.externalId);
  if (opts.afterId) query = query.where('products.id', '>', opts.afterId);
  return query.execute();
}

export async function listOccurrences(
  db: Db,
  tenantId: string,
  opts: {
    productId?: string;
    externalId?: string;
    from?: Date;
    to?: Date;
    after?: { startsAt: Date; id: string };
    limit: number;
  },
): Promise<OccurrenceRow[]> {
  let query = db
    .selectFrom('occurrences')
    .innerJoin('products', 'products.id', 'occurrences.product_id')
    .innerJoin('tenants', 'tenants.id', 'occurrences.tenant_id')
    .selectAll('occurrences')
    .select(['products.price as product_price', 'tenants.base_currency as currency'])
    .where('occurrences.tenant_id', '=', tenantId)
    .orderBy('occurrences.starts_at')
    .orderBy('occurrences.id')
    .limit(opts.limit);
  if (opts.productId) query = query.where('occurrences.product_id', '=', opts.productId);
  if (opts.externalId !== undefined) query = query.where('occurrences.external_id', '=', opts.externalId);
  if (opts.from) query = query.where('occurrences.starts_at', '>=', opts.from);
  if (opts.to) query = query.where('occurrences.starts_at', '<', opts.to);
  if (opts.after) {
    const { startsAt, id } = opts.after;
    query = query.where((eb) =>
      eb.or([
        eb('occurrences.starts_at', '>', startsAt),
        eb.and([eb('occurrences.starts_at', '=', startsAt), eb('occurrences.id', '>', id)]),
      ]),
    );
  }
  return query.execute();
}

export async function getOccurrence(db: Db, tenantId: string, id: string): Promise<OccurrenceRow | undefined> {
  return db
    .selectFrom('occurrences')
    .innerJoin('products', 'products.id', 'occurrences.product_id')
    .innerJoin('tenants', 'tenants.id', 'occurrences.tenant_id')
    .selectAll('occurrences')
    .select(['products.price as product_price', 'tenants.base_currency as currency'])
    .where('occurrences.tenant_id', '=', tenantId)
    .where('occurrences.id', '=', id)
    .executeTakeFirst();
}
