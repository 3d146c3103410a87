import { randomUUID } from 'node:crypto';
import { type Insertable, type Kysely, type Selectable, sql } from 'kysely';
import { compiledQuery, type SlotOf, slotsOf } from '../compiled-query';
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

// The conflict target is the expression index email_outbox_once_key.
const onceKey = sql`order_id, kind, lower(recipient)`;

const OUTBOX_COLUMNS = [
  'id',
  'tenant_id',
  'order_id',
  'kind',
  'recipient',
  'subject',
  'html',
  'text',
  'message_id',
  'attachment_invoice_id',
] as const;
type OutboxColumns = { [C in (typeof OUTBOX_COLUMNS)[number]]: string | null } & { id: string };

function toColumns(row: NewOutboxRow): OutboxColumns {
  return {
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
  };
}

function insertRows(db: Kysely<Database>, rows: OutboxColumns | OutboxColumns[]) {
  return db
    .insertInto('email_outbox')
    .values(rows as Insertable<EmailOutboxTable>)
    .onConflict((oc) => oc.expression(onceKey).doNothing())
    .returning(['id', 'order_id', 'kind', 'recipient']);
}

const insertOneRow = compiledQuery((db, slot: SlotOf<OutboxColumns>) => insertRows(db, slotsOf(slot, OUTBOX_COLUMNS)));

/**
 * Inserts the rows; a row whose (order, kind, recipient) is already queued, in any status, is left as it is. Answers
 * the keys of the rows it inserted.
 */
export async function insertOutboxRows(
  db: Kysely<Database>,
  rows: readonly NewOutboxRow[],
): Promise<Pick<OutboxRow, 'id' | 'order_id' | 'kind' | 'recipient'>[]> {
  // Most order mails go to one recipient: that statement is built once; a longer list's text varies with its length.
  if (rows.length === 1) return insertOneRow.all(db, toColumns(rows[0]!));
  return insertRows(db, rows.map(toColumns)).execute();
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

// By id as arrays of uuids (`= any`, `<> all`), not `in (...)` lists: one statement text whatever the lists' lengths.
// An empty skip array excludes nothing, as leaving the condition out did.
const dueEmails = (db: Kysely<Database>, skip: readonly string[]) =>
  db
    .selectFrom('email_outbox')
    .selectAll()
    .where('status', '=', 'pending')
    .where('next_attempt_at', '<=', sql<Date>`now()`)
    .where((eb) => sql<boolean>`${eb.ref('id')} <> all(${skip}::uuid[])`);
const claimAnyDue = compiledQuery((db, slot: SlotOf<{ skip: readonly string[] }>) =>
  dueEmails(db, slot('skip')).orderBy('next_attempt_at').orderBy('created_at').limit(1).forUpdate().skipLocked(),
);
const claimDueAmong = compiledQuery((db, slot: SlotOf<{ ids: readonly string[]; skip: readonly string[] }>) =>
  dueEmails(db, slot('skip'))
    .where((eb) => sql<boolean>`${eb.ref('id')} = any(${slot('ids')}::uuid[])`)
    .orderBy('next_attempt_at')
    .orderBy('created_at')
    .limit(1)
    .forUpdate()
    .skipLocked(),
);

/**
 * The next due pending row (optionally among `ids`, never among `skip`), locked for the rest
 * of the caller's transaction; a row another sender holds is skipped, not waited for.
 */
export async function claimDueEmail(
  trx: Kysely<Database>,
  filter: { ids?: readonly string[]; skip: readonly string[] },
): Promise<OutboxRow | undefined> {
  const { ids, skip } = filter;
  if (!ids) return claimAnyDue.first(trx, { skip });
  // An empty list was an `in ()` that PostgreSQL refused; it still fails rather than claim nothing quietly.
  if (ids.length === 0) throw new Error('claimDueEmail: empty ids');
  return claimDueAmong.first(trx, { ids, skip });
}

const emailSent = compiledQuery((db, slot: SlotOf<{ id: string }>) =>
  db
    .updateTable('email_outbox')
    .set((eb) => ({ status: 'sent', attempts: eb('attempts', '+', 1), sent_at: sql<Date>`clock_timestamp()` }))
    .where('id', '=', slot('id')),
);

export async function markEmailSent(trx: Kysely<Database>, id: string): Promise<void> {
  await emailSent.affected(trx, { id });
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
