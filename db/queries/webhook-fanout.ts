import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

// The fan-out's reads and writes: order_events after the cursor → webhook_deliveries. Run inside
// one transaction by activities/notifications/webhook-fanout.ts, which holds the cursor row's lock
// throughout, so two workers never fan out the same events and the cursor only moves together
// with the deliveries it stands for.

export interface FanoutCursor {
  lastTxId: string;
  lastEventId: number;
}

/** Locks the cursor row; undefined when another worker holds it (its round is running). */
export async function lockFanoutCursor(trx: Kysely<Database>): Promise<FanoutCursor | undefined> {
  const row = await trx
    .selectFrom('webhook_fanout_cursor')
    .select([sql<string>`last_tx_id::text`.as('last_tx_id'), 'last_event_id'])
    .where('id', '=', 1)
    .forUpdate()
    .skipLocked()
    .executeTakeFirst();
  return row ? { lastTxId: row.last_tx_id, lastEventId: row.last_event_id } : undefined;
}

export async function moveFanoutCursor(trx: Kysely<Database>, cursor: FanoutCursor): Promise<void> {
  await trx
    .updateTable('webhook_fanout_cursor')
    .set({
      last_tx_id: sql<string>`${cursor.lastTxId}::xid8`,
      last_event_id: cursor.lastEventId,
      updated_at: sql<Date>`now()`,
    })
    .where('id', '=', 1)
    .execute();
}

export interface FanoutEvent {
  id: number;
  tx_id: string;
  tenant_id: string;
  order_id: string;
  type: string;
  data: Record<string, unknown>;
  created_at: Date;
  order_number: number;
  order_status: string;
  currency: string;
  total_excl_vat: number;
  total_vat: number;
  total_incl_vat: number;
  total_discounts: number;
  credited: number;
}

/**
 * Up to `limit` order events after the cursor, in (tx_id, id) order, whose transaction is older
 * than every transaction still running — so all of them are committed, and none can still appear
 * behind the cursor later (see migration 0014). Each with its order as it is now.
 */
export async function readEventsAfter(
  trx: Kysely<Database>,
  cursor: FanoutCursor,
  limit: number,
): Promise<FanoutEvent[]> {
  const result = await sql<FanoutEvent>`
    SELECT e.id, e.tx_id::text AS tx_id, e.tenant_id, e.order_id, e.type, e.data, e.created_at,
           o.number AS order_number, o.status AS order_status, o.currency,
           o.total_excl_vat, o.total_vat, o.total_incl_vat, o.total_discounts, o.credited
      FROM order_events e
      JOIN orders o ON o.tenant_id = e.tenant_id AND o.id = e.order_id
     WHERE e.tx_id IS NOT NULL
       AND (e.tx_id, e.id) > (${cursor.lastTxId}::xid8, ${cursor.lastEventId}::bigint)
       AND e.tx_id < pg_snapshot_xmin(pg_current_snapshot())
     ORDER BY e.tx_id, e.id
     LIMIT ${limit}`.execute(trx);
  return result.rows;
}

export interface FanoutEndpoint {
  id: string;
  tenant_id: string;
  event_types: string[];
  created_at: Date;
}

/** The enabled endpoints of these tenants. */
export async function enabledEndpointsOf(
  trx: Kysely<Database>,
  tenantIds: readonly string[],
): Promise<FanoutEndpoint[]> {
  if (tenantIds.length === 0) return [];
  return trx
    .selectFrom('webhook_endpoints')
    .select(['id', 'tenant_id', 'event_types', 'created_at'])
    .where('tenant_id', 'in', tenantIds)
    .where('enabled', '=', true)
    .execute();
}

export interface NewDelivery {
  tenantId: string;
  endpointId: string;
  orderEventId: number;
  eventType: string;
  payload: Record<string, unknown>;
}

/** Inserts deliveries; one that exists for (endpoint, event) is left as it is. */
export async function insertDeliveries(trx: Kysely<Database>, rows: readonly NewDelivery[]): Promise<void> {
  if (rows.length === 0) return;
  await trx
    .insertInto('webhook_deliveries')
    .values(
      rows.map((row) => ({
        id: randomUUID(),
        tenant_id: row.tenantId,
        endpoint_id: row.endpointId,
        order_event_id: row.orderEventId,
        event_type: row.eventType,
        payload: JSON.stringify(row.payload),
      })),
    )
    .onConflict((oc) => oc.columns(['endpoint_id', 'order_event_id']).doNothing())
    .execute();
}
