import type { Kysely } from 'kysely';
import type { Database } from '../schema';

/** What the API needs to address an order's workflow; undefined for an unknown or another tenant's id. */
export async function findOrderForTenant(db: Kysely<Database>, tenantId: string, id: string) {
  return db
    .selectFrom('orders')
    .select(['id', 'workflow_id', 'currency', 'customer_id', 'status'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
}

/** Just the status: what a request waiting for a change reads each time it is woken. */
export async function findOrderStatus(db: Kysely<Database>, tenantId: string, id: string) {
  const row = await db
    .selectFrom('orders')
    .select('status')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', id)
    .executeTakeFirst();
  return row?.status;
}
