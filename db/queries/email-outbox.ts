import { randomUUID } from 'node:crypto';
import { type Kysely, type Selectable, sql } from 'kysely';
import type { Database, EmailOutboxTable } from '../schema';

// The e-mail outbox's rows: queued once per (order, kind, lower(recipient)), then claimed one
// at a time by whoever sends them.

export type OutboxRow = Selectable<EmailOutboxTable>;

export interface NewOutboxRow {
  tenantId: string;
  orderId: string;
  kind: string;
  recipient: string;
  subject: string;
  html: string;
  text: string;
  messageId: string;
  attachmentInvoiceId: string | null;
}

/**
 * Inserts the rows; a row whose (order, kind, recipient) is already queued, in any status, is left as it is. Answers
 * the keys of the rows it inserted.
 */
export async function insertOutboxRows(
  db: Kysely<Database>,
  rows: readonly NewOutboxRow[],
): Promise<Pick<OutboxRow, 'id' | 'order_id' | 'kind' | 'recipient'>[]> {
  return (
    db
      .insertInto('email_outbox')
      .values(
        rows.map((row) => ({
          id: randomUUID(),
          tenant_id: row.tenantId,
          order_id: row.orderId,
          kind: row.kind,
          recipient: row.recipient,
          subject: row.subject,
          html: row.html,
          text: row.text,
          message_id: row.messageId,
          attachment_invoice_id: row.attachmentInvoiceId,
        })),
      )
      // The conflict target is the expression index email_outbox_once_key.
      .onConflict((oc) => oc.expression(sql`order_id, kind, lower(recipient)`).doNothing())
      .returning(['id', 'order_id', 'kind', 'recipient'])
      .execute()
  );
}

/** The outbox rows of these orders and kinds (to find the ids of what was just queued). */
export async function listOutboxKeys(
  db: Kysely<Database>,
  orderIds: readonly string[],
  kinds: readonly string[],
): Promise<Pick<OutboxRow, 'id' | 'order_id' | 'kind' | 'recipient'>[]> {
  return db
    .selectFrom('email_outbox')
    .select(['id', 'order_id', 'kind', 'recipient'])
    .where('order_id', 'in', orderIds)
    .where('kind', 'in', kinds)
    .execute();
}

/**
 * The next due pending row (optionally among `ids`, never among `skip`), locked for the rest
 * of the caller's transaction; a row another sender holds is skipped, not waited for.
 */
export async function claimDueEmail(
  trx: Kysely<Database>,
  filter: { ids?: readonly string[]; skip: readonly string[] },
): Promise<OutboxRow | undefined> {
  let query = trx
    .selectFrom('email_outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now()`);
  if (filter.ids) query = query.where('id', 'in', filter.ids);
  if (filter.skip.length > 0) query = query.where('id', 'not in', filter.skip);
  return query.orderBy('next_attempt_at').orderBy('created_at').limit(1).forUpdate().skipLocked().executeTakeFirst();
}

export async function markEmailSent(trx: Kysely<Database>, id: string): Promise<void> {
  await trx
    .updateTable('email_outbox')
    .set((eb) => ({ status: 'sent', attempts: eb('attempts', '+', 1), sent_at: sql<Date>`clock_timestamp()` }))
    .where('id', '=', id)
    .execute();
}

/** A failed attempt: counted, its error kept, tried again after `retryInSeconds` unless given up. */
export async function recordEmailFailure(
  trx: Kysely<Database>,
  id: string,
  failure: { attempts: number; error: string; giveUp: boolean; retryInSeconds: number },
): Promise<void> {
  await trx
    .updateTable('email_outbox')
    .set({
      attempts: failure.attempts,
      last_error: failure.error,
      status: failure.giveUp ? 'failed' : 'pending',
      next_attempt_at: sql<Date>`clock_timestamp() + make_interval(secs => ${failure.retryInSeconds})`,
    })
    .where('id', '=', id)
    .execute();
}
