import { sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Db } from '../database';

export interface OrderIdentity {
  orderId: string;
  orderNumber: number;
}

/** Next human order number of the tenant (numbers of rejected orders are not reused). */
export async function nextOrderNumber(db: Db, tenantId: string): Promise<number> {
  const row = await db
    .updateTable('tenants')
    .set({ order_counter: sql`order_counter + 1` })
    .where('id', '=', tenantId)
    .returning('order_counter')
    .executeTakeFirstOrThrow();
  return row.order_counter;
}

/** An answer as it was sent: a replay sends exactly these bytes with this Content-Type. */
export interface StoredAnswer {
  status: number;
  contentType: string;
  bytes: Buffer;
}

export type IdempotencyClaim =
  | ({ kind: 'new' } & OrderIdentity)
  | ({ kind: 'resume' } & OrderIdentity)
  | ({ kind: 'replay'; orderId: string } & StoredAnswer)
  | { kind: 'mismatch' }
  /** Another request holds the lease (with the identity it works on, when known). */
  | ({ kind: 'in_flight' } & Partial<OrderIdentity>);

/**
 * The API passes what is left of the request's deadline: a request that died without storing
 * its answer blocks a retry (409 request_in_progress) no longer than it could itself have run.
 */
const DEFAULT_LEASE_MS = 15_000;

/**
 * Claims an Idempotency-Key for one request. The first request gets a fresh order identity and
 * a lease; a repeat with the same body gets the stored answer, or — when the first attempt
 * died without answering — the same identity back (Temporal then finds the same workflow).
 */
export async function claimIdempotencyKey(
  db: Db,
  tenantId: string,
  key: string,
  requestHash: string,
  leaseMs = DEFAULT_LEASE_MS,
): Promise<IdempotencyClaim> {
  // At least a second: a request claiming at its very deadline still keeps duplicates apart.
  const leaseSeconds = Math.max(1_000, leaseMs) / 1000;
  const fresh = await claimUnseenKey(db, { tenantId, key, requestHash, leaseSeconds });
  if (fresh) return { kind: 'new', ...fresh };
  for (let attempt = 0; attempt < 3; attempt++) {
    const claim = await db
      .transaction()
      .execute(async (trx): Promise<IdempotencyClaim | undefined> => {
        const existing = await trx
          .selectFrom('idempotency_keys')
          .selectAll()
          .where('tenant_id', '=', tenantId)
          .where('key', '=', key)
          .forUpdate()
          .executeTakeFirst();
        if (existing) {
          if (existing.request_hash !== requestHash) return { kind: 'mismatch' };
          if (existing.response_status !== null) {
            return { kind: 'replay', orderId: existing.order_id, ...storedAnswerOf(existing) };
          }
          const taken = await trx
            .updateTable('idempotency_keys')
            .set({ locked_until: sql`now() + make_interval(secs => ${leaseSeconds})` })
            .where('tenant_id', '=', tenantId)
            .where('key', '=', key)
            .where('locked_until', '<', sql<Date>`now()`)
            .returning('key')
            .executeTakeFirst();
          const identity = { orderId: existing.order_id, orderNumber: existing.order_number };
          return taken ? { kind: 'resume', ...identity } : { kind: 'in_flight', ...identity };
        }
        const orderNumber = await nextOrderNumber(trx as unknown as Db, tenantId);
        const orderId = crypto.randomUUID();
        const inserted = await trx
          .insertInto('idempotency_keys')
          .values({
            tenant_id: tenantId,
            key,
            request_hash: requestHash,
            order_number: orderNumber,
            order_id: orderId,
            locked_until: sql`now() + make_interval(secs => ${leaseSeconds})`,
          })
          .onConflict((oc) => oc.columns(['tenant_id', 'key']).doNothing())
          .returning('key')
          .executeTakeFirst();
        if (!inserted) throw new KeyRace();
        return { kind: 'new', orderId, orderNumber };
      })
      .catch((error) => {
        if (error instanceof KeyRace) return undefined; // a concurrent first request won: look again
        throw error;
      });
    if (claim) return claim;
  }
  return { kind: 'in_flight' };
}

class KeyRace extends Error {}

/**
 * The usual case, a key never seen, in one statement (no transaction around a read, a counter and an insert): the
 * tenant's next order number and the claim together. Undefined when the key is known, or when a request with the same
 * key claimed it a moment earlier: then the insert's unique violation undoes the whole statement, the counter too, so
 * no order number is skipped; the caller looks at the key under a lock.
 */
async function claimUnseenKey(
  db: Db,
  claim: { tenantId: string; key: string; requestHash: string; leaseSeconds: number },
): Promise<OrderIdentity | undefined> {
  const orderId = crypto.randomUUID();
  const claimed = sql<{ order_number: number }>`
    WITH next_number AS (
      UPDATE tenants SET order_counter = order_counter + 1
      WHERE id = ${claim.tenantId}
        AND NOT EXISTS (SELECT 1 FROM idempotency_keys WHERE tenant_id = ${claim.tenantId} AND key = ${claim.key})
      RETURNING order_counter
    )
    INSERT INTO idempotency_keys (tenant_id, key, request_hash, order_number, order_id, locked_until)
    SELECT ${claim.tenantId}::uuid, ${claim.key}::text, ${claim.requestHash}::text, order_counter, ${orderId}::uuid,
      now() + make_interval(secs => ${claim.leaseSeconds}::double precision)
    FROM next_number
    RETURNING order_number`;
  try {
    const row = (await claimed.execute(db)).rows[0];
    return row ? { orderId, orderNumber: Number(row.order_number) } : undefined;
  } catch (error) {
    if ((error as { code?: unknown }).code === UNIQUE_VIOLATION) return undefined;
    throw error;
  }
}

const UNIQUE_VIOLATION = '23505';

type AnswerColumns = {
  response_status: number | null;
  response_body: unknown;
  response_bytes: Buffer | null;
  response_content_type: string | null;
};

function storedAnswerOf(row: AnswerColumns): StoredAnswer {
  const status = row.response_status ?? 500;
  if (row.response_bytes) {
    return { status, contentType: row.response_content_type ?? 'application/json', bytes: row.response_bytes };
  }
  // Stored before migration 0011: the body as jsonb.
  const contentType = status >= 400 ? 'application/problem+json' : 'application/json';
  return { status, contentType, bytes: Buffer.from(JSON.stringify(row.response_body)) };
}

type AnswerValues = { tenantId: string; key: string; status: number; bytes: Buffer; contentType: string };

function storeAnswerQuery(db: Db, values: AnswerValues) {
  return db
    .updateTable('idempotency_keys')
    .set({
      response_status: values.status,
      response_bytes: values.bytes,
      response_content_type: values.contentType,
      locked_until: sql`now()`,
    })
    .where('tenant_id', '=', values.tenantId)
    .where('key', '=', values.key)
    .where('response_status', 'is', null)
    .returning('key');
}

const answerSlots = (slot: SlotOf<AnswerValues>): AnswerValues => ({
  tenantId: slot('tenantId'),
  key: slot('key'),
  status: slot('status'),
  bytes: slot('bytes'),
  contentType: slot('contentType'),
});
// One statement per shape, as the order id condition is there or not (storeIdempotentResponse stores without it).
const storeOrderAnswer = compiledQuery((db, slot: SlotOf<AnswerValues & { orderId: string }>) =>
  storeAnswerQuery(db, answerSlots(slot)).where('order_id', '=', slot('orderId')),
);
const storeAnyAnswer = compiledQuery((db, slot: SlotOf<AnswerValues>) => storeAnswerQuery(db, answerSlots(slot)));

const keptAnswer = compiledQuery((db, slot: SlotOf<{ tenantId: string; key: string }>) =>
  db
    .selectFrom('idempotency_keys')
    .select(['order_id', 'response_status', 'response_body', 'response_bytes', 'response_content_type'])
    .where('tenant_id', '=', slot('tenantId'))
    .where('key', '=', slot('key')),
);

/**
 * Stores the key's answer unless one is stored already (or the key moved on to another order
 * identity), and returns the answer the key keeps: of two requests finishing together, both
 * send the first one's bytes.
 */
export async function storeIdempotentAnswer(
  db: Db,
  tenantId: string,
  key: string,
  orderId: string | undefined,
  answer: StoredAnswer,
): Promise<StoredAnswer & { orderId?: string }> {
  const values = { tenantId, key, status: answer.status, bytes: answer.bytes, contentType: answer.contentType };
  const stored = orderId
    ? await storeOrderAnswer.first(db, { ...values, orderId })
    : await storeAnyAnswer.first(db, values);
  if (stored) return { ...answer, orderId };
  const row = await keptAnswer.first(db, { tenantId, key });
  if (row && row.response_status !== null) return { ...storedAnswerOf(row), orderId: row.order_id };
  return { ...answer, orderId };
}

/** The key's answer as JSON (the benchmark's baseline uses this). */
export async function storeIdempotentResponse(
  db: Db,
  tenantId: string,
  key: string,
  status: number,
  body: unknown,
): Promise<void> {
  const contentType = status >= 400 ? 'application/problem+json' : 'application/json';
  const bytes = Buffer.from(JSON.stringify(body));
  await storeIdempotentAnswer(db, tenantId, key, undefined, { status, contentType, bytes });
}

/**
 * The key's attempt ended without an order (intake failed; its workflow is closed and cannot run
 * again under that id): the key gets a fresh order number and id, so the next attempt starts a
 * new workflow. Conditional on the stale id, so two requests renew it once; answers the key's
 * identity now (undefined when the key has an answer). `release` also ends the lease.
 */
export async function renewIdempotencyIdentity(
  db: Db,
  tenantId: string,
  key: string,
  staleOrderId: string,
  release: boolean,
): Promise<OrderIdentity | undefined> {
  return db.transaction().execute(async (trx) => {
    const row = await trx
      .selectFrom('idempotency_keys')
      .select(['order_id', 'order_number', 'response_status'])
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .forUpdate()
      .executeTakeFirst();
    if (!row || row.response_status !== null) return undefined;
    if (row.order_id !== staleOrderId) return { orderId: row.order_id, orderNumber: row.order_number };
    const orderNumber = await nextOrderNumber(trx as unknown as Db, tenantId);
    const orderId = crypto.randomUUID();
    await trx
      .updateTable('idempotency_keys')
      .set({ order_number: orderNumber, order_id: orderId, ...(release ? { locked_until: sql`now()` } : {}) })
      .where('tenant_id', '=', tenantId)
      .where('key', '=', key)
      .execute();
    return { orderId, orderNumber };
  });
}

/** Lets a retry of a request that failed without an answer go ahead at once. */
export async function releaseIdempotencyLease(db: Db, tenantId: string, key: string): Promise<void> {
  await db
    .updateTable('idempotency_keys')
    .set({ locked_until: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('key', '=', key)
    .where('response_status', 'is', null)
    .execute();
}
