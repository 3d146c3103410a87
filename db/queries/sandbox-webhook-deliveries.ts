import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';

// The sandbox provider's webhook outbox: one row per delivery of an event, claimed under a
// lease by whoever sends it.

export interface ClaimedWebhookDelivery {
  id: string;
  event_id: string;
  payload: string;
  attempts: number;
  webhook_url: string;
  webhook_secret: string;
  /** Written longer ago than the give-up period: this attempt is the last. */
  expired: boolean;
}

export interface ClaimOptions {
  /** Only these rows (still only when due and not delivered). */
  ids?: readonly string[];
  limit: number;
  /** A claimed row is not due again for this long. */
  leaseSeconds: number;
  giveUpAfterSeconds: number;
}

/**
 * Claims due rows in one short transaction (`FOR UPDATE SKIP LOCKED`, attempts + 1,
 * next_attempt_at pushed past the lease), so no two senders post the same row at once.
 */
export async function claimDueWebhookDeliveries(
  db: Kysely<Database>,
  opts: ClaimOptions,
): Promise<ClaimedWebhookDelivery[]> {
  return db.transaction().execute(async (trx) => {
    let due = trx
      .selectFrom('sandbox_webhook_deliveries')
      .select('id')
      .where('delivered_at', 'is', null)
      .where('gave_up_at', 'is', null)
      .where('next_attempt_at', '<=', sql<Date>`now()`);
    if (opts.ids) due = due.where('id', 'in', opts.ids);
    const rows = await due.orderBy('next_attempt_at').limit(opts.limit).forUpdate().skipLocked().execute();
    if (rows.length === 0) return [];
    const ids = rows.map((r) => r.id);
    await trx
      .updateTable('sandbox_webhook_deliveries')
      .set((eb) => ({
        attempts: eb('attempts', '+', 1),
        next_attempt_at: sql<Date>`clock_timestamp() + make_interval(secs => ${opts.leaseSeconds})`,
      }))
      .where('id', 'in', ids)
      .execute();
    // The URL and secret are read now, not when the row was written: a merchant that fixes its
    // endpoint or rotates its secret gets the next attempt at the new address, signed anew.
    return trx
      .selectFrom('sandbox_webhook_deliveries as d')
      .innerJoin('sandbox_psp_sessions as s', 's.id', 'd.session_id')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .select(['d.id', 'd.event_id', 'd.payload', 'd.attempts', 's.webhook_url', 't.webhook_secret'])
      .select(sql<boolean>`d.created_at < now() - make_interval(secs => ${opts.giveUpAfterSeconds})`.as('expired'))
      .where('d.id', 'in', ids)
      .execute();
  });
}

export async function markWebhookDelivered(db: Kysely<Database>, id: string): Promise<void> {
  await db
    .updateTable('sandbox_webhook_deliveries')
    .set({ delivered_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', id)
    .execute();
}

/** A failed attempt: its error kept, due again after `delaySeconds` — or given up for good. */
export async function recordWebhookFailure(
  db: Kysely<Database>,
  id: string,
  failure: { error: string; delaySeconds: number; giveUp: boolean },
): Promise<void> {
  await db
    .updateTable('sandbox_webhook_deliveries')
    .set({
      last_error: failure.error,
      next_attempt_at: sql<Date>`clock_timestamp() + make_interval(secs => ${failure.delaySeconds})`,
      ...(failure.giveUp ? { gave_up_at: sql<Date>`clock_timestamp()` } : {}),
    })
    .where('id', '=', id)
    .execute();
}

/** The body an event was first queued with (a redelivery sends it unchanged). */
export async function findQueuedWebhookPayload(
  db: Kysely<Database>,
  sessionId: string,
  eventId: string,
): Promise<string | undefined> {
  const earlier = await db
    .selectFrom('sandbox_webhook_deliveries')
    .select('payload')
    .where('session_id', '=', sessionId)
    .where('event_id', '=', eventId)
    .orderBy('created_at')
    .limit(1)
    .executeTakeFirst();
  return earlier?.payload;
}

export async function insertWebhookDelivery(
  db: Kysely<Database>,
  delivery: { sessionId: string; eventId: string; payload: string },
): Promise<string> {
  const id = crypto.randomUUID();
  await db
    .insertInto('sandbox_webhook_deliveries')
    .values({ id, session_id: delivery.sessionId, event_id: delivery.eventId, payload: delivery.payload })
    .execute();
  return id;
}

/** Where one delivery stands: delivered, or the error of its last failed attempt (both null while in flight). */
export async function loadWebhookDeliveryState(
  db: Kysely<Database>,
  id: string,
): Promise<{ delivered: boolean; lastError: string | null } | undefined> {
  const row = await db
    .selectFrom('sandbox_webhook_deliveries')
    .select(['delivered_at', 'last_error'])
    .where('id', '=', id)
    .executeTakeFirst();
  return row && { delivered: row.delivered_at !== null, lastError: row.last_error };
}
