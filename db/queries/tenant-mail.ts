import type { Kysely } from 'kysely';
import type { Database } from '../schema';

// Bounds the size of one IN list; the sink may hold thousands of messages.
const IDS_PER_QUERY = 1000;

/** Of these Message-IDs, the ones the tenant's email outbox sent. */
export async function tenantMessageIds(
  db: Kysely<Database>,
  tenantId: string,
  messageIds: string[],
): Promise<Set<string>> {
  const own = new Set<string>();
  for (let i = 0; i < messageIds.length; i += IDS_PER_QUERY) {
    const rows = await db
      .selectFrom('email_outbox')
      .select('message_id')
      .where('tenant_id', '=', tenantId)
      .where('message_id', 'in', messageIds.slice(i, i + IDS_PER_QUERY))
      .execute();
    for (const row of rows) own.add(row.message_id);
  }
  return own;
}
