import { pgErrorOf } from '../db/queries/catalog-admin';
import { problems } from './problem';
import { uuidParam } from './schemas/common';

// What every catalogue write route shares (api/routes/catalog-admin.ts, subscription-periods.ts).

/** A path id that is not a uuid names nothing: the same 404 as an unknown or foreign id. */
export function assertUuid(id: string, what: string): void {
  if (!uuidParam.safeParse(id).success) throw problems.notFound(what);
}

/**
 * The safety net under the anticipated outcomes: a constraint the request still managed to break
 * is the client's 409/422 with a stable code, never a 500 naming tables or constraints.
 */
export async function guardedCatalogWrite<T>(write: () => Promise<T>): Promise<T> {
  try {
    return await write();
  } catch (error) {
    const pg = pgErrorOf(error);
    if (pg?.code === '23505')
      throw problems.conflict('catalog_conflict', 'The change conflicts with an existing catalogue entry');
    if (pg?.code === '23503')
      throw problems.unprocessable(
        'catalog_reference_invalid',
        'The change refers to a catalogue entry that does not exist',
      );
    if (pg?.code === '23514')
      throw problems.unprocessable(
        'catalog_constraint_violated',
        'The values break a catalogue rule (amounts, capacity, lengths, percentages or payment methods out of range)',
      );
    if (pg?.code === '22003' || pg?.code === '22008')
      throw problems.unprocessable('value_out_of_range', 'A number or date is out of the supported range');
    throw error;
  }
}

/** A second product, occurrence or period of the tenant with the same external id (the unique index decided). */
export function externalIdTaken(what: string, externalId: string | null | undefined) {
  return problems.conflict(
    'external_id_taken',
    `Another ${what} of this tenant has the external id ${JSON.stringify(externalId)} already`,
  );
}
