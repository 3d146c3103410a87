import { type Insertable, type Kysely, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, SandboxPspSessionsTable } from '../schema';

// The sandbox provider's own records: its sessions, the cards it keeps, its refunds.

export type NewSandboxSession = Insertable<SandboxPspSessionsTable>;

/** A new session as the provider writes it: every column but the ones left to their defaults. */
type SessionRow = Required<Omit<NewSandboxSession, 'refunded_amount' | 'created_at' | 'updated_at'>>;

// Built once (db/compiled-query.ts): every card payment opens a session and sends a webhook about it.
const insertSession = compiledQuery((db, slot: SlotOf<SessionRow>) =>
  db
    .insertInto('sandbox_psp_sessions')
    .values({
      id: slot('id'),
      page_token: slot('page_token'),
      form_token: slot('form_token'),
      tenant_id: slot('tenant_id'),
      reference: slot('reference'),
      amount: slot('amount'),
      currency: slot('currency'),
      description: slot('description'),
      status: slot('status'),
      webhook_url: slot('webhook_url'),
      complete_url: slot('complete_url'),
      cancel_url: slot('cancel_url'),
      card_saving: slot('card_saving'),
    })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id'),
);

const sessionReference = compiledQuery((db, slot: SlotOf<{ sessionId: string }>) =>
  db
    .selectFrom('sandbox_psp_sessions')
    .select(['id', 'reference', 'amount', 'currency'])
    .where('id', '=', slot('sessionId')),
);

/** Stores a session unless one with its id exists (a retried create); true when this call stored it. */
export async function insertSandboxSession(db: Kysely<Database>, session: NewSandboxSession): Promise<boolean> {
  const { description, refunded_amount, created_at, updated_at } = session;
  // The built statement writes a description and leaves the counters and times to their defaults, as the provider's
  // sessions do; a session given otherwise is written as given.
  if (description === undefined || [refunded_amount, created_at, updated_at].some((v) => v !== undefined)) {
    const created = await db
      .insertInto('sandbox_psp_sessions')
      .values(session)
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    return created !== undefined;
  }
  const created = await insertSession.first(db, {
    ...session,
    description,
    // These columns default to null: leaving one out wrote null too.
    complete_url: session.complete_url ?? null,
    cancel_url: session.cancel_url ?? null,
    card_saving: session.card_saving ?? null,
  });
  return created !== undefined;
}

/** The secret of the session's payment link. */
export async function loadSandboxPageToken(db: Kysely<Database>, tenantId: string, sessionId: string): Promise<string> {
  const row = await db
    .selectFrom('sandbox_psp_sessions')
    .select('page_token')
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
  return row.page_token;
}

export async function loadSandboxSessionState(db: Kysely<Database>, tenantId: string, sessionId: string) {
  return db
    .selectFrom('sandbox_psp_sessions')
    .select(['id', 'status', 'amount', 'currency'])
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sessionId)
    .executeTakeFirstOrThrow();
}

/** What a webhook about the session tells the merchant (any tenant: the session id is unique). */
export async function loadSandboxSessionReference(db: Kysely<Database>, sessionId: string) {
  const session = await sessionReference.one(db, { sessionId });
  return session;
}

/** Closes the session for payment unless it is paid (one statement: a racing payment is never lost). */
export async function expireUnpaidSandboxSession(
  db: Kysely<Database>,
  tenantId: string,
  sessionId: string,
): Promise<void> {
  await db
    .updateTable('sandbox_psp_sessions')
    .set({ status: 'expired', updated_at: sql`now()` })
    .where('tenant_id', '=', tenantId)
    .where('id', '=', sessionId)
    .where('status', '<>', 'paid')
    .execute();
}

/** The vaulted card behind a token: unknown, or how it answers a charge without the buyer. */
export async function findSandboxCard(
  db: Kysely<Database>,
  tenantId: string,
  token: string,
): Promise<{ declinesOffSession: boolean } | undefined> {
  const card = await db
    .selectFrom('sandbox_psp_cards')
    .select('declines_off_session')
    .where('token', '=', token)
    .where('tenant_id', '=', tenantId)
    .executeTakeFirst();
  return card && { declinesOffSession: card.declines_off_session };
}

/** Stores a refund under its id (derived from the idempotency key); false when it was stored before. */
export async function insertSandboxRefund(
  db: Kysely<Database>,
  refund: { id: string; sessionId: string; amount: number },
): Promise<boolean> {
  const inserted = await db
    .insertInto('sandbox_psp_refunds')
    .values({ id: refund.id, session_id: refund.sessionId, amount: refund.amount })
    .onConflict((oc) => oc.column('id').doNothing())
    .returning('id')
    .executeTakeFirst();
  return inserted !== undefined;
}

/** Adds a refund to a paid session if it fits in what is left; false when the session refuses it. */
export async function addSandboxRefundedAmount(
  db: Kysely<Database>,
  refund: { tenantId: string; sessionId: string; amount: number },
): Promise<boolean> {
  const updated = await db
    .updateTable('sandbox_psp_sessions')
    .set({ refunded_amount: sql`refunded_amount + ${refund.amount}`, updated_at: sql`now()` })
    .where('tenant_id', '=', refund.tenantId)
    .where('id', '=', refund.sessionId)
    .where('status', '=', 'paid')
    .where(sql<boolean>`refunded_amount + ${refund.amount} <= amount`)
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}
