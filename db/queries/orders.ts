import type { Kysely } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

type OrderKey = { tenantId: string; id: string };

const orderForTenant = compiledQuery((db, slot: SlotOf<OrderKey>) =>
  db
    .selectFrom('orders')
    .select(['id', 'workflow_id', 'currency', 'customer_id', 'status'])
    .where('tenant_id', '=', slot('tenantId'))
    .where('id', '=', slot('id')),
);

/** What the API needs to address an order's workflow; undefined for an unknown or another tenant's id. */
export async function findOrderForTenant(db: Kysely<Database>, tenantId: string, id: string) {
  return orderForTenant.first(db, { tenantId, id });
}

const orderStatus = compiledQuery((db, slot: SlotOf<OrderKey>) =>
  db.selectFrom('orders').select('status').where('tenant_id', '=', slot('tenantId')).where('id', '=', slot('id')),
);

/** Just the status: what a request waiting for a change reads each time it is woken. */
export async function findOrderStatus(db: Kysely<Database>, tenantId: string, id: string) {
  const row = await orderStatus.first(db, { tenantId, id });
  return row?.status;
}
