import { randomUUID } from 'node:crypto';
import { type Kysely, sql } from 'kysely';
import type { Database } from '../schema';
import { appendOrderEvent } from './order-events';
import type { OrderScope } from './order-scope';

// What operators do to an order outside its workflow (docs/operations.md), each written to the
// order's timeline with who (the API key) and why (the reason they give).

/** Who acted: the API key the request presented. */
export interface OperatorActor {
  apiKeyId: string;
  apiKeyName: string;
}

export interface OperatorAction {
  /** The timeline event's type, e.g. `operator.email_retried`. */
  type: string;
  message: string;
  reason: string;
  data?: Record<string, unknown>;
}

/** `API key "ops-anna" (0b7c…)`: how the timeline names an operator. */
export function describeActor(actor: OperatorActor): string {
  return `API key "${actor.apiKeyName}" (${actor.apiKeyId})`;
}

/** Appends an operator's action to the order's timeline (its own event key: every action is one entry). */
export async function recordOperatorAction(
  db: Kysely<Database>,
  scope: OrderScope,
  actor: OperatorActor,
  action: OperatorAction,
): Promise<void> {
  await appendOrderEvent(db, {
    tenantId: scope.tenantId,
    orderId: scope.orderId,
    eventKey: `operator:${randomUUID()}`,
    type: action.type,
    message: action.message,
    data: { ...action.data, api_key_id: actor.apiKeyId, api_key_name: actor.apiKeyName, reason: action.reason },
  });
}

const EMAIL_COLUMNS = [
  'id',
  'kind',
  'recipient',
  'subject',
  'status',
  'attempts',
  'next_attempt_at',
  'last_error',
  'message_id',
  'created_at',
  'sent_at',
] as const;

export interface OrderEmailRow {
  id: string;
  kind: string;
  recipient: string;
  subject: string;
  status: 'pending' | 'sent' | 'failed';
  attempts: number;
  next_attempt_at: Date;
  last_error: string | null;
  message_id: string;
  created_at: Date;
  sent_at: Date | null;
}

/** The order's e-mails in the outbox, oldest first, whatever their status. */
export async function listOrderEmails(db: Kysely<Database>, scope: OrderScope): Promise<OrderEmailRow[]> {
  return db
    .selectFrom('email_outbox')
    .select(EMAIL_COLUMNS)
    .where('tenant_id', '=', scope.tenantId)
    .where('order_id', '=', scope.orderId)
    .orderBy('created_at')
    .orderBy('id')
    .execute();
}

export type EmailRetryOutcome =
  | { outcome: 'queued'; email: OrderEmailRow }
  | { outcome: 'not_found' }
  | { outcome: 'already_sent'; email: OrderEmailRow };

/**
 * An operator sends an e-mail again: a row not sent yet (pending with backoff, or given up as
 * `failed`) becomes pending with no attempts and is due at once, so the next round of the
 * worker's dispatcher sends it; the action goes to the timeline in the same transaction. A row
 * a sender holds right now is waited for (its lock), then judged by what that sender did.
 */
export async function retryOrderEmail(
  db: Kysely<Database>,
  scope: OrderScope & { emailId: string },
  actor: OperatorActor,
  reason: string,
): Promise<EmailRetryOutcome> {
  return db.transaction().execute(async (trx) => {
    const before = await trx
      .selectFrom('email_outbox')
      .select(EMAIL_COLUMNS)
      .where('tenant_id', '=', scope.tenantId)
      .where('order_id', '=', scope.orderId)
      .where('id', '=', scope.emailId)
      .forUpdate()
      .executeTakeFirst();
    if (!before) return { outcome: 'not_found' as const };
    if (before.status === 'sent') return { outcome: 'already_sent' as const, email: before };
    const email = await trx
      .updateTable('email_outbox')
      .set({ status: 'pending', attempts: 0, next_attempt_at: sql<Date>`clock_timestamp()` })
      .where('id', '=', before.id)
      .returning(EMAIL_COLUMNS)
      .executeTakeFirstOrThrow();
    await recordOperatorAction(trx, scope, actor, {
      type: 'operator.email_retried',
      message: `E-mail ${before.kind} to ${before.recipient} queued again by ${describeActor(actor)}: ${reason}`,
      reason,
      data: {
        email_id: before.id,
        kind: before.kind,
        recipient: before.recipient,
        previous_status: before.status,
        previous_attempts: before.attempts,
        last_error: before.last_error,
      },
    });
    return { outcome: 'queued' as const, email };
  });
}
