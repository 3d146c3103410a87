import { createHash } from 'node:crypto';
import { startPollingLoop } from '../../runtime/polling-loop';
import nodemailer, { type SMTPPoolOptions, type SMTPPoolSentMessageInfo, type Transporter } from 'nodemailer';
import pLimit, { type LimitFunction } from 'p-limit';
import type { Db } from '../../db/database';
import {
  claimDueEmail,
  insertOutboxRows,
  listOutboxKeys,
  markEmailSent,
  recordEmailFailure,
  type NewOutboxRow,
} from '../../db/queries/email-outbox';
import { findTenantSender } from '../../db/queries/tenant-settings';
import { invoicePdfAttachments } from '../documents/invoice-attachment';

// Transactional outbox for e-mail. An order activity only INSERTs a row (idempotent on
// (order_id, kind, lower(recipient))); delivery happens here, row by row, each inside its own
// transaction holding `FOR UPDATE SKIP LOCKED` on the row while the SMTP conversation runs, so
// two dispatchers (or the fast path and the dispatcher) never send the same row. SMTP failures
// are recorded on the row and retried with backoff; they never throw, because a mail outage must
// not hold an order back. Database errors do throw.

/** After this many failed attempts a row is given up ('failed'). */
export const MAX_EMAIL_ATTEMPTS = 20;
/** Retry backoff is min(2^attempts seconds, this). */
export const MAX_EMAIL_BACKOFF_SECONDS = 15 * 60;
const DEFAULT_BATCH_LIMIT = 50;

/** Whatever can send a message: a nodemailer Transporter (see createSmtpTransport) or a fake. */
export type MailTransport = Pick<Transporter<any, any>, 'sendMail'>;

/** The SMTP transport's pooled connections, and so how many mails one process sends at once. */
export const SMTP_CONNECTIONS = 3;

// A send holds a database connection (the row's lock) for its SMTP conversation. More sends at
// once than SMTP connections would only hold database connections while waiting for SMTP, and a
// burst of mail (every waiting order's payment-link mail, a minute after a busy hour's orders)
// would take the whole pool from order intake. So sends wait for a slot before they touch the
// database: the queue is in memory, the rows stay pending in PostgreSQL until their turn.
const sendSlots = new WeakMap<MailTransport, LimitFunction>();
function sendSlotsOf(transport: MailTransport): LimitFunction {
  const slots = sendSlots.get(transport) ?? pLimit(SMTP_CONNECTIONS);
  sendSlots.set(transport, slots);
  return slots;
}

/** Resolves the From header for a tenant (the tenant's email_from). */
export type FromResolver = (tenantId: string) => string | Promise<string>;

/** A mail to queue; an invoice named here gets its PDF attached when sent (rendered then, not stored). */
export type OutboxEmail = Omit<NewOutboxRow, 'messageId' | 'attachmentInvoiceId'> & {
  attachmentInvoiceId?: string | null;
};

function recipientKey(recipient: string): string {
  return recipient.trim().toLowerCase();
}

/**
 * Deterministic Message-ID of one (kind, order, recipient): a re-send carries the same id, so
 * receiving systems can deduplicate. The recipient is hashed case-insensitively, matching the
 * outbox's unique key.
 */
export function outboxMessageId(kind: string, orderId: string, recipient: string): string {
  const hash = createHash('sha256').update(recipientKey(recipient)).digest('hex').slice(0, 12);
  return `<${kind}.${orderId}.${hash}@order-orchestrator>`;
}

/** Seconds to wait after the `attempts`-th failed attempt. */
export function emailRetryDelaySeconds(attempts: number): number {
  return Math.min(2 ** Math.max(0, attempts), MAX_EMAIL_BACKOFF_SECONDS);
}

/**
 * Queues e-mails; a row whose (order, kind, recipient) is already queued (in any status) is
 * left as it is. Returns the outbox ids for the given keys — existing or new — one per distinct
 * key, in input order.
 */
export async function queueEmails(db: Db, rows: readonly OutboxEmail[]): Promise<string[]> {
  const unique = new Map<string, OutboxEmail>();
  for (const row of rows) {
    const recipient = row.recipient.trim();
    if (!recipient) throw new Error(`queueEmails: empty recipient for ${row.kind} of order ${row.orderId}`);
    const key = `${row.orderId}\n${row.kind}\n${recipientKey(recipient)}`;
    if (!unique.has(key)) unique.set(key, { ...row, recipient });
  }
  if (unique.size === 0) return [];
  const values = [...unique.values()];

  const inserted = await insertOutboxRows(
    db,
    values.map((row) => ({
      ...row,
      messageId: outboxMessageId(row.kind, row.orderId, row.recipient),
      attachmentInvoiceId: row.attachmentInvoiceId ?? null,
    })),
  );

  let known = inserted;
  // Rows queued before (a retried activity, a second reminder of the same kind) are looked up.
  if (inserted.length < unique.size) {
    const orderIds = [...new Set(values.map((r) => r.orderId))];
    const kinds = [...new Set(values.map((r) => r.kind))];
    known = await listOutboxKeys(db, orderIds, kinds);
  }
  const idByKey = new Map(known.map((r) => [`${r.order_id}\n${r.kind}\n${recipientKey(r.recipient)}`, r.id]));
  return [...unique.keys()].map((key) => {
    const id = idByKey.get(key);
    if (!id) throw new Error(`queueEmails: outbox row for ${key.replace(/\n/g, ' / ')} not found after insert`);
    return id;
  });
}

export interface DeliverOptions {
  /** Only these outbox rows (still subject to status 'pending' and next_attempt_at <= now()). */
  ids?: readonly string[];
  /** At most this many rows are attempted in one call (default 50). */
  limit?: number;
  from: FromResolver;
}

export interface DeliverResult {
  sent: number;
  failed: number;
}

interface SmtpErrorLike {
  code?: unknown;
  responseCode?: unknown;
  response?: unknown;
  message?: unknown;
}

/** Errors that say the server could not be reached at all (rather than rejecting a message). */
const CONNECTION_ERROR_CODES = new Set([
  'ECONNECTION',
  'ETIMEDOUT',
  'ESOCKET',
  'EDNS',
  'ETLS',
  'EPROXY',
  'ECONNREFUSED',
  'ECONNRESET',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
]);

function isConnectionError(error: unknown): boolean {
  const code = (error as SmtpErrorLike | null)?.code;
  return typeof code === 'string' && CONNECTION_ERROR_CODES.has(code);
}

function describeSmtpError(error: unknown): string {
  const e = (error ?? {}) as SmtpErrorLike;
  const parts = [
    typeof e.code === 'string' ? e.code : null,
    typeof e.responseCode === 'number' ? String(e.responseCode) : null,
    typeof e.message === 'string' ? e.message : String(error),
  ].filter(Boolean);
  return parts.join(' ').slice(0, 2000);
}

/**
 * Sends due pending rows (optionally only `ids`), one transaction per row. Returns how many
 * were sent and how many attempts failed. Throws only on database errors (and on errors of
 * `from`).
 *
 * When the SMTP server cannot be reached, the rest of this round is not tried against it:
 * those rows are recorded as failed attempts with the same error (one connection timeout per
 * round instead of one per row).
 */
export async function deliverPendingEmails(
  db: Db,
  transport: MailTransport,
  opts: DeliverOptions,
): Promise<DeliverResult> {
  const result: DeliverResult = { sent: 0, failed: 0 };
  if (opts.ids && opts.ids.length === 0) return result;
  const limit = opts.limit ?? DEFAULT_BATCH_LIMIT;
  // Rows already tried in this call: a short backoff must not make the same row come round twice.
  const tried: string[] = [];
  let outage: string | null = null;

  // Named rows (the fast path) are done once each was tried: no further claim to find none.
  const wanted = opts.ids ? Math.min(limit, opts.ids.length) : limit;
  while (tried.length < wanted) {
    const outcome = await sendSlotsOf(transport)(() => deliverOneDueEmail());
    if (outcome === null) break;
    result[outcome] += 1;
  }
  return result;

  function deliverOneDueEmail() {
    return db.transaction().execute(async (trx) => {
      const row = await claimDueEmail(trx, { ids: opts.ids, skip: tried });
      if (!row) return null;
      tried.push(row.id);

      let error: string | null = null;
      if (outage !== null) {
        error = `not attempted, SMTP server unreachable in this round: ${outage}`;
      } else {
        const from = await opts.from(row.tenant_id);
        try {
          const attachments = row.attachment_invoice_id
            ? await invoicePdfAttachments(trx, row.tenant_id, row.attachment_invoice_id)
            : undefined;
          await transport.sendMail({
            from,
            to: row.recipient,
            subject: row.subject,
            html: row.html,
            text: row.text,
            messageId: row.message_id,
            ...(attachments?.length ? { attachments } : {}),
          });
        } catch (sendError) {
          error = describeSmtpError(sendError);
          if (isConnectionError(sendError)) outage = error;
        }
      }

      if (error === null) {
        await markEmailSent(trx, row.id);
        return 'sent' as const;
      }
      const attempts = row.attempts + 1;
      await recordEmailFailure(trx, row.id, {
        attempts,
        error,
        giveUp: attempts >= MAX_EMAIL_ATTEMPTS,
        retryInSeconds: emailRetryDelaySeconds(attempts),
      });
      return 'failed' as const;
    });
  }
}

/** `"Tenant name" <email_from>`; an email_from that already has a display name is kept as it is. */
export function formatTenantFrom(name: string, emailFrom: string): string {
  if (emailFrom.includes('<')) return emailFrom;
  const displayName = name.replace(/["\\\r\n]/g, '').trim();
  return displayName ? `"${displayName}" <${emailFrom.trim()}>` : emailFrom.trim();
}

/** From header per tenant (see formatTenantFrom), cached per resolver for `cacheMs` (default 60 s). */
export function tenantEmailFrom(db: Db, options: { cacheMs?: number } = {}): FromResolver {
  const cacheMs = options.cacheMs ?? 60_000;
  const cache = new Map<string, { value: string; at: number }>();
  return async (tenantId) => {
    const hit = cache.get(tenantId);
    if (hit && Date.now() - hit.at < cacheMs) return hit.value;
    const tenant = await findTenantSender(db, tenantId);
    if (!tenant) throw new Error(`tenant ${tenantId} not found`);
    const value = formatTenantFrom(tenant.name, tenant.email_from);
    cache.set(tenantId, { value, at: Date.now() });
    return value;
  };
}

export interface DispatcherLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface EmailDispatcherOptions {
  /** Pause between rounds (default 1000 ms). A full round is followed at once by the next one. */
  intervalMs?: number;
  /** Rows per round (default 50). */
  limit?: number;
  from: FromResolver;
  logger?: DispatcherLogger;
}

export interface EmailDispatcher {
  /** Stops polling; resolves when a round in progress has finished. */
  stop(): Promise<void>;
}

/** Polls the outbox and delivers due rows until stopped. Its timer never keeps the process alive. */
export function startEmailDispatcher(db: Db, transport: MailTransport, opts: EmailDispatcherOptions): EmailDispatcher {
  const limit = opts.limit ?? DEFAULT_BATCH_LIMIT;
  const logger = opts.logger;
  return startPollingLoop({
    intervalMs: opts.intervalMs ?? 1000,
    async round() {
      const { sent, failed } = await deliverPendingEmails(db, transport, { limit, from: opts.from });
      if (failed > 0) logger?.warn({ sent, failed }, 'email delivery round had failures; they will be retried');
      else if (sent > 0) logger?.info({ sent }, 'emails delivered');
      return sent + failed >= limit;
    },
    onError: (error) => logger?.error({ err: error }, 'email delivery round failed'),
  });
}

/**
 * A pooled SMTP transport for smtp:// or smtps:// URLs, with short timeouts so that an outage
 * fails an attempt within seconds instead of hanging an activity. Call close() on shutdown.
 */
export function createSmtpTransport(smtpUrl: string): Transporter<SMTPPoolSentMessageInfo, SMTPPoolOptions> {
  return nodemailer.createTransport({
    url: smtpUrl,
    pool: true,
    maxConnections: SMTP_CONNECTIONS,
    connectionTimeout: 5_000,
    greetingTimeout: 5_000,
    socketTimeout: 5_000,
    dnsTimeout: 5_000,
  });
}

/** How long a workflow step waits for its mail to leave before it moves on. */
const FAST_PATH_WAIT_MS = 1_000;

/** One cached From resolver per database, so the fast path does not read the tenant for every mail. */
const emailFromByDb = new WeakMap<Db, FromResolver>();
function sharedEmailFrom(db: Db): FromResolver {
  let resolver = emailFromByDb.get(db);
  if (!resolver) {
    resolver = tenantEmailFrom(db);
    emailFromByDb.set(db, resolver);
  }
  return resolver;
}

/**
 * The fast path: most mail leaves now. The caller waits at most FAST_PATH_WAIT_MS, so a slow or
 * hung SMTP server never holds up an order's or a subscription's progress; delivery goes on in the
 * background and whatever fails stays pending for the dispatcher.
 */
export async function deliverSoon(
  db: Db,
  transport: MailTransport,
  ids: readonly string[],
  from: FromResolver | undefined,
): Promise<void> {
  const delivery = deliverPendingEmails(db, transport, { ids: [...ids], from: from ?? sharedEmailFrom(db) }).catch(
    () => undefined,
  );
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([
    delivery,
    new Promise<void>((resolve) => {
      timer = setTimeout(resolve, FAST_PATH_WAIT_MS);
    }),
  ]);
  clearTimeout(timer);
}
