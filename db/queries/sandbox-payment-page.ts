import { type Kysely, type Selectable, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, SandboxPspSessionsTable } from '../schema';

// What the sandbox provider's hosted payment page reads and writes: its sessions (found by the
// secret page token in the link) and the cards its vault keeps.

export type SandboxSessionRow = Selectable<SandboxPspSessionsTable>;

const sessionByPageToken = compiledQuery((db, slot: SlotOf<{ pageToken: string }>) =>
  db.selectFrom('sandbox_psp_sessions').selectAll().where('page_token', '=', slot('pageToken')),
);

export async function findSandboxSessionByPageToken(
  db: Kysely<Database>,
  pageToken: string,
): Promise<SandboxSessionRow | undefined> {
  return sessionByPageToken.first(db, { pageToken });
}

const settleAttempt = compiledQuery((db, slot: SlotOf<{ sessionId: string; next: 'paid' | 'declined' }>) =>
  db
    .updateTable('sandbox_psp_sessions')
    .set({ status: slot('next'), updated_at: sql`now()` })
    .where('id', '=', slot('sessionId'))
    .where('status', 'in', ['open', 'declined', 'cancelled'])
    .returning('id'),
);

/**
 * Moves a session that can still take a payment attempt (open, declined or cancelled) to `next`;
 * false when it is already paid or expired (another attempt got there first).
 */
export async function settleSandboxAttempt(
  db: Kysely<Database>,
  sessionId: string,
  next: 'paid' | 'declined',
): Promise<boolean> {
  return (await settleAttempt.first(db, { sessionId, next })) !== undefined;
}

type CardValues = { token: string; tenantId: string; brand: string; last4: string; declinesOffSession: boolean };
const vaultCard = compiledQuery((db, slot: SlotOf<CardValues>) =>
  db.insertInto('sandbox_psp_cards').values({
    token: slot('token'),
    tenant_id: slot('tenantId'),
    brand: slot('brand'),
    last4: slot('last4'),
    declines_off_session: slot('declinesOffSession'),
  }),
);

/** Keeps a card in the sandbox provider's vault under the token the merchant is told. */
export async function vaultSandboxCard(
  db: Kysely<Database>,
  card: { token: string; tenantId: string; brand: string; last4: string; declinesOffSession?: boolean },
): Promise<void> {
  const { token, tenantId, brand, last4 } = card;
  await vaultCard.affected(db, { token, tenantId, brand, last4, declinesOffSession: card.declinesOffSession === true });
}
