import { sql } from 'kysely';
import type { Db } from '../database';

export interface OrderIdentity {
  orderId: string;
  orderNumber: number;
}

/** Next human order number of the tenant (numbers of rejected orders are not reused). */
export async function nextOrderNumber(db: Db, tenantId: string): Promise<number> {
  const row = await db.updateTable('tenants').set({ order_counter: sql`order_counter + 1` })
    .where('id', '=', tenantId).returning('order_counter').executeTakeFirstOrThrow();
  return row.order_counter;
}

export type IdempotencyClaim =
  | ({ kind: 'new' } & OrderIdentity)
  | ({ kind: 'resume' } & OrderIdentity)
  | { kind: 'replay'; status: number; body: unknown }
  | { kind: 'mismatch' }
  | { kind: 'in_flight' };

const LEASE_SECONDS = 60;

/**
 * Claims an Idempotency-Key for one request. The first request gets a fresh order identity and
 * a lease; a repeat with the same body gets the stored answer, or — when the first attempt
 * died without answering — the same identity back (Temporal then finds the same workflow).
 */
export async function claimIdempotencyKey(db: Db, tenantId: string, key: string, requestHash: string): Promise<IdempotencyClaim> {
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim = await db.transaction().execute(async (trx): Promise<IdempotencyClaim | undefined> => {
      const existing = await trx.selectFrom('idempotency_keys').selectAll()
        .where('tenant_id', '=', tenantId).where('key', '=', key).forUpdate().executeTakeFirst();
      if (existing) {
        if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
        if (existing.response_status !== null) return { kind: 'replay', status: existing.response_status, body: existing.response_body };
        const taken = await trx.updateTable('idempotency_keys').set({ locked_until: sql`now() + make_interval(secs => ${LEASE_SECONDS})` })
          .where('tenant_id', '=', tenantId).where('key', '=', key).where('locked_until', '<', sql<Date>`now()`)
          .returning('key').executeTakeFirst();
        return taken ? { kind: 'resume', orderId: existing.order_id, orderNumber: existing.order_number } : { kind: 'in_flight' };
      }
      const orderNumber = await nextOrderNumber(trx as unknown as Db, tenantId);
      const orderId = crypto.randomUUID();
      const inserted = await trx.insertInto('idempotency_keys').values({
        tenant_id: tenantId, key, request_hash: requestHash, order_number: orderNumber, order_id: orderId,
        locked_until: sql`now() + make_interval(secs => ${LEASE_SECONDS})`,
      }).onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing()).returning('key').executeTakeFirst();
      if (!inserted) throw new KeyRace();
      return { kind: 'new', orderId, orderNumber };
    }).catch((error) => {
      if (error instanceof KeyRace) return undefined; // a concurrent first request won: look again
      throw error;
    });
    if (claim) return claim;
  }
  return { kind: 'in_flight' };
}

class KeyRace extends Error {}

export async function storeIdempotentResponse(db: Db, tenantId: string, key: string, status: number, body: unknown): Promise<void> {
  await db.updateTable('idempotency_keys')
    .set({ response_status: status, response_body: JSON.stringify(body), locked_until: sql`now()` })
    .where('tenant_id', '=', tenantId).where('key', '=', key).execute();
}

/** Lets a retry of a request that failed without an answer go ahead at once. */
export async function releaseIdempotencyLease(db: Db, tenantId: string, key: string): Promise<void> {
  await db.updateTable('idempotency_keys').set({ locked_until: sql`now()` })
    .where('tenant_id', '=', tenantId).where('key', '=', key).where('response_status', 'is', null).execute();
}
