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
  // One statement: the first number of a series creates its row, with the tenant's invoice_prefix
  // (e.g. "DA-") fixed into it; every later one increments the row, which stays locked until the
  // caller's transaction ends.
  const counter = await trx
    .insertInto('invoice_series')
    .columns(['tenant_id', 'series', 'prefix', 'next_number'])
    .expression((eb) =>
      eb
        .selectFrom('tenants')
        .select([
          'id',
          sql.lit(series).as('series'),
          sql<string>`coalesce(invoice_prefix, '') || ${sql.lit(`${series}-`)}`.as('prefix'),
          sql.lit(2).as('next_number'),
        ])
        .where('id', '=', tenantId),
    )
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'series']).doUpdateSet({ next_number: sql`invoice_series.next_number + 1` }),
    )
    .returning([sql<number>`next_number - 1`.as('number'), 'prefix'])
    .executeTakeFirstOrThrow();
  const documentNumber = `${counter.prefix}${String(counter.number).padStart(6, '0')}`;
  return { series, number: counter.number, documentNumber };
}
