import { accepted, describeHttpError, describeRefusal, sendHttp } from '../runtime/http-client';
import { startPollingLoop } from '../runtime/polling-loop';
import type { Db } from '../db/database';
import {
  type ClaimedWebhookDelivery,
  claimDueWebhookDeliveries,
  markWebhookDelivered,
  recordWebhookFailure,
} from '../db/queries/sandbox-webhook-deliveries';
import { SIGNATURE_HEADER, signPayload } from './webhook-signature';

// Delivery of the sandbox provider's webhooks (table sandbox_webhook_deliveries), the way a
// real PSP does it: each row is attempted at once (fast path, by whoever wrote it) and then by
// a polling loop with exponential backoff until the merchant answers 2xx, for about 24 hours.
//
// A row is claimed in a short transaction (`FOR UPDATE SKIP LOCKED`, attempts + 1, and
// next_attempt_at pushed past the HTTP timeout as a lease), then POSTed without holding a
// database connection, then marked delivered or rescheduled. So two loops (several API
// processes) or the fast path and a loop never send the same row at the same time, and a
// process that dies mid-attempt leaves a row that becomes due again when its lease runs out.
// Each attempt is signed with the tenant's current secret and a fresh timestamp; the body,
// and with it the event id, stays the same.

/** Backoff after the n-th failed attempt: min(base · 2^(n-1), this). */
export const MAX_WEBHOOK_BACKOFF_SECONDS = 5 * 60;
/** Retries stop this long after the row was written (the last attempt may be a little later). */
export const WEBHOOK_GIVE_UP_AFTER_SECONDS = 24 * 60 * 60;
const REQUEST_TIMEOUT_MS = 5_000;
/** A claimed row is not due again for this long (well past REQUEST_TIMEOUT_MS). */
const CLAIM_LEASE_SECONDS = 60;
const DEFAULT_BATCH_LIMIT = 10;

/** Seconds to wait after the `attempts`-th failed attempt (1 s, 2 s, 4 s, … capped at 5 min). */
export function webhookRetryDelaySeconds(attempts: number, baseSeconds = 1): number {
  return Math.min(baseSeconds * 2 ** Math.max(0, attempts - 1), MAX_WEBHOOK_BACKOFF_SECONDS);
}

export interface DeliverWebhooksOptions {
  /** Only these rows (still only when due and not delivered). */
  ids?: readonly string[];
  /** Rows claimed in one call (default 10); they are POSTed in parallel. */
  limit?: number;
  /** First retry delay in seconds (default 1); doubles per attempt up to 5 min. */
  baseDelaySeconds?: number;
}

export interface DeliverWebhooksResult {
  delivered: number;
  failed: number;
  gaveUp: number;
}

function claimDue(db: Db, opts: DeliverWebhooksOptions): Promise<ClaimedWebhookDelivery[]> {
  if (opts.ids && opts.ids.length === 0) return Promise.resolve([]);
  return claimDueWebhookDeliveries(db, {
    ids: opts.ids,
    limit: opts.limit ?? DEFAULT_BATCH_LIMIT,
    leaseSeconds: CLAIM_LEASE_SECONDS,
    giveUpAfterSeconds: WEBHOOK_GIVE_UP_AFTER_SECONDS,
  });
}

/** One signed POST; null when the endpoint answered 2xx, else what went wrong. */
export async function postSignedWebhook(url: string, secret: string, body: string): Promise<string | null> {
  try {
    const answer = await sendHttp(url, {
      method: 'POST',
      headers: {
        'Content-Type': 'application/json',
        [SIGNATURE_HEADER]: signPayload(secret, body, Math.floor(Date.now() / 1000)),
      },
      body,
      timeoutMs: REQUEST_TIMEOUT_MS,
    });
    return accepted(answer) ? null : describeRefusal(answer, 300);
  } catch (error) {
    return describeHttpError(error).slice(0, 500);
  }
}

/**
 * Claims due rows (optionally only `ids`), POSTs them in parallel and records the outcome.
 * Endpoint failures never throw (they are recorded and retried); database errors do.
 */
export async function deliverDueSandboxWebhooks(
  db: Db,
  opts: DeliverWebhooksOptions = {},
): Promise<DeliverWebhooksResult> {
  const result: DeliverWebhooksResult = { delivered: 0, failed: 0, gaveUp: 0 };
  const rows = await claimDue(db, opts);
  await Promise.all(
    rows.map(async (row) => {
      const error = await postSignedWebhook(row.webhook_url, row.webhook_secret, row.payload);
      if (error === null) {
        await markWebhookDelivered(db, row.id);
        result.delivered += 1;
        return;
      }
      const delay = webhookRetryDelaySeconds(row.attempts, opts.baseDelaySeconds);
      await recordWebhookFailure(db, row.id, { error, delaySeconds: delay, giveUp: row.expired });
      if (row.expired) result.gaveUp += 1;
      else result.failed += 1;
    }),
  );
  return result;
}

export interface WebhookDeliveryLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  error(obj: object, msg?: string): void;
}

export interface WebhookDeliveryLoopOptions {
  /** Pause between rounds (default 1000 ms); a full round is followed at once by the next. */
  intervalMs?: number;
  limit?: number;
  baseDelaySeconds?: number;
  logger?: WebhookDeliveryLogger;
}

export interface WebhookDeliveryLoop {
  /** Stops polling; resolves when a round in progress has finished. */
  stop(): Promise<void>;
}

/**
 * Polls sandbox_webhook_deliveries and delivers due rows until stopped (the sandbox provider's
 * sending side; it runs in the API process, the provider's home). Its timer never keeps the
 * process alive.
 */
export function startSandboxWebhookDelivery(db: Db, opts: WebhookDeliveryLoopOptions = {}): WebhookDeliveryLoop {
  const limit = opts.limit ?? DEFAULT_BATCH_LIMIT;
  const logger = opts.logger;
  return startPollingLoop({
    intervalMs: opts.intervalMs ?? 1000,
    async round() {
      const { delivered, failed, gaveUp } = await deliverDueSandboxWebhooks(db, {
        limit,
        baseDelaySeconds: opts.baseDelaySeconds,
      });
      if (gaveUp > 0)
        logger?.error(
          { delivered, failed, gave_up: gaveUp },
          'sandbox webhooks given up after 24 h of failed deliveries',
        );
      if (failed > 0) logger?.warn({ delivered, failed }, 'sandbox webhook deliveries failed; they will be retried');
      else if (delivered > 0) logger?.info({ delivered }, 'sandbox webhooks delivered');
      return delivered + failed + gaveUp >= limit;
    },
    onError: (error) => logger?.error({ err: error }, 'sandbox webhook delivery round failed'),
  });
}
