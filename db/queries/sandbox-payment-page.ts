import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, SandboxPspSessionsTable } from '../schema';

// What the sandbox provider's hosted payment page reads and writes: its sessions (found by the
// secret page token in the link) and the cards its vault keeps.

export type SandboxSessionRow = Selectable<SandboxPspSessionsTable>;

export async function findSandboxSessionByPageToken(
  db: Kysely<Database>,
  pageToken: string,
): Promise<SandboxSessionRow | undefined> {
  return db.selectFrom('sandbox_psp_sessions').selectAll().where('page_token', '=', pageToken).executeTakeFirst();
}

/**
 * Moves a session that can still take a payment attempt (open, declined or cancelled) to `next`;
 * false when it is already paid or expired (another attempt got there first).
 */
export async function settleSandboxAttempt(
  db: Kysely<Database>,
  sessionId: string,
  next: 'paid' | 'declined',
): Promise<boolean> {
  const updated = await db
    .updateTable('sandbox_psp_sessions')
    .set({ status: next, updated_at: sql`now()` })
    .where('id', '=', sessionId)
    .where('status', 'in', ['open', 'declined', 'cancelled'])
    .returning('id')
    .executeTakeFirst();
  return updated !== undefined;
}

/** Keeps a card in the sandbox provider's vault under the token the merchant is told. */
export async function vaultSandboxCard(
  db: Kysely<Database>,
  card: { token: string; tenantId: string; brand: string; last4: string; declinesOffSession?: boolean },
): Promise<void> {
  await db
    .insertInto('sandbox_psp_cards')
    .values({
      token: card.token,
      tenant_id: card.tenantId,
      brand: card.brand,
      last4: card.last4,
      declines_off_session: card.declinesOffSession === true,
    })
    .execute();
}
