import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

export interface DocumentNumber {
  series: string;
  number: number;
  documentNumber: string;
}

/**
 * The tenant's next document number (invoices, receipts and credit notes share one series per
 * year). The counter row stays locked until the caller's transaction ends, and the number is
 * only used if that transaction commits: no gap, no duplicate.
 */
export async function takeDocumentNumber(trx: Kysely<Database>, tenantId: string): Promise<DocumentNumber> {
  const series = String(new Date().getUTCFullYear());
  // The tenant's invoice_prefix (e.g. "DA-") is fixed into a series when its first number is taken.
  const { invoice_prefix } = await trx
    .selectFrom('tenants')
    .select('invoice_prefix')
    .where('id', '=', tenantId)
    .executeTakeFirstOrThrow();
  await trx
    .insertInto('invoice_series')
    .values({ tenant_id: tenantId, series, prefix: `${invoice_prefix ?? ''}${series}-` })
    .onConflict((oc) => oc.columns(['tenant_id', 'series']).doNothing())
    .execute();
  const counter = await trx
    .updateTable('invoice_series')
    .set({ next_number: sql`next_number + 1` })
    .where('tenant_id', '=', tenantId)
    .where('series', '=', series)
    .returning([sql<number>`next_number - 1`.as('number'), 'prefix'])
    .executeTakeFirstOrThrow();
  const documentNumber = `${counter.prefix}${String(counter.number).padStart(6, '0')}`;
  return { series, number: counter.number, documentNumber };
}
