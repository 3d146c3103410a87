import { type Expression, type ExpressionBuilder, type Kysely, type SqlBool, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
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

type ClaimValues = Pick<ClaimOptions, 'limit' | 'leaseSeconds' | 'giveUpAfterSeconds'>;
type DueFilter = (eb: ExpressionBuilder<Database, 'sandbox_webhook_deliveries'>) => Expression<SqlBool>;

/** The claim statement, its due rows optionally narrowed by `only`. */
function claimQuery(db: Kysely<Database>, values: ClaimValues, only?: DueFilter) {
  return (
    db
      .with('due', (qb) => {
        let due = qb
          .selectFrom('sandbox_webhook_deliveries')
          .select('id')
          .where('delivered_at', 'is', null)
          .where('gave_up_at', 'is', null)
          .where('next_attempt_at', '<=', sql<Date>`now()`);
        if (only) due = due.where(only);
        return due.orderBy('next_attempt_at').limit(values.limit).forUpdate().skipLocked();
      })
      .with('claimed', (qb) =>
        qb
          .updateTable('sandbox_webhook_deliveries as d')
          .from('due')
          .whereRef('d.id', '=', 'due.id')
          .set((eb) => ({
            attempts: eb('d.attempts', '+', 1),
            next_attempt_at: sql<Date>`clock_timestamp() + make_interval(secs => ${values.leaseSeconds})`,
          }))
          .returning(['d.id', 'd.event_id', 'd.payload', 'd.attempts', 'd.session_id', 'd.created_at']),
      )
      // The URL and secret are read now, not when the row was written: a merchant that fixes its
      // endpoint or rotates its secret gets the next attempt at the new address, signed anew.
      .selectFrom('claimed as c')
      .innerJoin('sandbox_psp_sessions as s', 's.id', 'c.session_id')
      .innerJoin('tenants as t', 't.id', 's.tenant_id')
      .select(['c.id', 'c.event_id', 'c.payload', 'c.attempts', 's.webhook_url', 't.webhook_secret'])
      .select(sql<boolean>`c.created_at < now() - make_interval(secs => ${values.giveUpAfterSeconds})`.as('expired'))
  );
}

// The two shapes that run all the time, built once: the delivery loop's "any due row" and an order's fast path,
// which claims the one row it just queued. Any other list of ids is built per call (one placeholder per id).
const claimSlots = (slot: SlotOf<ClaimValues>): ClaimValues => ({
  limit: slot('limit'),
  leaseSeconds: slot('leaseSeconds'),
  giveUpAfterSeconds: slot('giveUpAfterSeconds'),
});
const claimAnyDue = compiledQuery((db, slot: SlotOf<ClaimValues>) => claimQuery(db, claimSlots(slot)));
const claimOneDue = compiledQuery((db, slot: SlotOf<ClaimValues & { id: string }>) =>
  claimQuery(db, claimSlots(slot), (eb) => eb('id', '=', slot('id'))),
);

/**
 * Claims due rows in one statement (`FOR UPDATE SKIP LOCKED`, attempts + 1, next_attempt_at pushed past the lease),
 * so no two senders post the same row at once; the claimed rows come back with where to send them.
 */
export async function claimDueWebhookDeliveries(
  db: Kysely<Database>,
  opts: ClaimOptions,
): Promise<ClaimedWebhookDelivery[]> {
  const { ids, limit, leaseSeconds, giveUpAfterSeconds } = opts;
  const values = { limit, leaseSeconds, giveUpAfterSeconds };
  if (!ids) return claimAnyDue.all(db, values);
  const [id] = ids;
  if (ids.length === 1 && id !== undefined) return claimOneDue.all(db, { ...values, id });
  return claimQuery(db, values, (eb) => eb('id', 'in', ids)).execute();
}

const webhookDelivered = compiledQuery((db, slot: SlotOf<{ id: string }>) =>
  db
    .updateTable('sandbox_webhook_deliveries')
    .set({ delivered_at: sql<Date>`clock_timestamp()` })
    .where('id', '=', slot('id')),
);

export async function markWebhookDelivered(db: Kysely<Database>, id: string): Promise<void> {
  await webhookDelivered.affected(db, { id });
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

type DeliveryValues = { id: string; sessionId: string; eventId: string; payload: string };
const webhookDelivery = compiledQuery((db, slot: SlotOf<DeliveryValues>) =>
  db.insertInto('sandbox_webhook_deliveries').values((eb) => ({
    id: slot('id'),
    session_id: slot('sessionId'),
    event_id: slot('eventId'),
    payload: eb.fn.coalesce(
      eb
        .selectFrom('sandbox_webhook_deliveries as earlier')
        .select('earlier.payload')
        .where('earlier.session_id', '=', slot('sessionId'))
        .where('earlier.event_id', '=', slot('eventId'))
        .orderBy('earlier.created_at')
        .limit(1),
      eb.val(slot('payload')),
    ),
  })),
);

/**
 * Queues one delivery of an event. An event queued before is sent again with the body it was first queued with (a
 * redelivery, as a provider's "resend" does it), so `payload` is only the body of an event new to the session.
 */
export async function insertWebhookDelivery(
  db: Kysely<Database>,
  delivery: { sessionId: string; eventId: string; payload: string },
): Promise<string> {
  const id = crypto.randomUUID();
  const { sessionId, eventId, payload } = delivery;
  await webhookDelivery.affected(db, { id, sessionId, eventId, payload });
  return id;
}

const deliveryState = compiledQuery((db, slot: SlotOf<{ id: string }>) =>
  db.selectFrom('sandbox_webhook_deliveries').select(['delivered_at', 'last_error']).where('id', '=', slot('id')),
);

/** Where one delivery stands: delivered, or the error of its last failed attempt (both null while in flight). */
export async function loadWebhookDeliveryState(
  db: Kysely<Database>,
  id: string,
): Promise<{ delivered: boolean; lastError: string | null } | undefined> {
  const row = await deliveryState.first(db, { id });
  return row && { delivered: row.delivered_at !== null, lastError: row.last_error };
}
