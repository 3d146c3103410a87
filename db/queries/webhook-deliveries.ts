import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, WebhookDeliveriesTable } from '../schema';

// The delivery log of outbound webhooks: one row per (endpoint, order event), made by the
// fan-out (webhook-fanout.ts), claimed and settled by the worker's dispatcher.

export type WebhookDeliveryRow = Selectable<WebhookDeliveriesTable>;

/**
 * Takes the next due pending delivery of an enabled endpoint for one attempt: counts the attempt
 * and leases the row for `leaseSeconds` (its next_attempt_at moves that far ahead) in a single
 * statement, so no transaction or connection is held while the HTTP call runs. A worker that
 * dies mid-call leaves the row to be taken again once the lease is over (at least once).
 */
export async function claimDueDelivery(
  db: Kysely<Database>,
  leaseSeconds: number,
): Promise<WebhookDeliveryRow | undefined> {
  const result = await sql<WebhookDeliveryRow>`
    UPDATE webhook_deliveries AS d
       SET attempts = d.attempts + 1,
           last_attempt_at = clock_timestamp(),
           next_attempt_at = clock_timestamp() + make_interval(secs => ${leaseSeconds})
     WHERE d.id = (
       SELECT w.id FROM webhook_deliveries w
         JOIN webhook_endpoints e ON e.id = w.endpoint_id AND e.enabled
        WHERE w.status = 'pending' AND w.next_attempt_at <= now()
        ORDER BY w.next_attempt_at
        LIMIT 1
        FOR UPDATE OF w SKIP LOCKED)
    RETURNING d.*`.execute(db);
  return result.rows[0];
}

/** The attempt `attempt` succeeded (a later claim of the same row is not overwritten). */
export async function markDeliveryDelivered(
  db: Kysely<Database>,
  claim: { id: string; attempt: number; statusCode: number },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: 'delivered',
      last_status_code: claim.statusCode,
      last_error: null,
      delivered_at: sql<Date>`clock_timestamp()`,
    })
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempt)
    .execute();
}

/** The attempt failed: retried after `retryInMs` unless given up ('failed'). */
export async function recordDeliveryFailure(
  db: Kysely<Database>,
  claim: { id: string; attempt: number },
  failure: { statusCode: number | null; error: string; giveUp: boolean; retryInMs: number },
): Promise<void> {
  await db
    .updateTable('webhook_deliveries')
    .set({
      status: failure.giveUp ? 'failed' : 'pending',
      last_status_code: failure.statusCode,
      last_error: failure.error,
      next_attempt_at: sql<Date>`clock_timestamp() + make_interval(secs => ${failure.retryInMs / 1000})`,
    })
    .where('id', '=', claim.id)
    .where('attempts', '=', claim.attempt)
    .execute();
}

/** An endpoint's deliveries, newest first, at most `limit`, after `before` (a page cursor). */
export async function listEndpointDeliveries(
  db: Kysely<Database>,
  scope: { tenantId: string; endpointId: string },
  page: { limit: number; before?: { createdAt: Date; id: string } },
): Promise<WebhookDeliveryRow[]> {
  let query = db
    .selectFrom('webhook_deliveries')
    .selectAll()
    .where('tenant_id', '=', scope.tenantId)
    .where('endpoint_id', '=', scope.endpointId);
  if (page.before) {
    const { createdAt, id } = page.before;
    query = query.where(sql<boolean>`(created_at, id) < (${createdAt}, ${id}::uuid)`);
  }
  return query.orderBy('created_at', 'desc').orderBy('id', 'desc').limit(page.limit).execute();
}

/**
 * Makes a delivery due at once, pending, with a fresh budget of attempts (whatever its status).
 * Undefined when it is not one of this endpoint's.
 */
export async function redeliver(
  db: Kysely<Database>,
  scope: { tenantId: string; endpointId: string; deliveryId: string },
): Promise<WebhookDeliveryRow | undefined> {
  return db
    .updateTable('webhook_deliveries')
    .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`now()`, delivered_at: null })
    .where('tenant_id', '=', scope.tenantId)
    .where('endpoint_id', '=', scope.endpointId)
    .where('id', '=', scope.deliveryId)
    .returningAll()
    .executeTakeFirst();
}
