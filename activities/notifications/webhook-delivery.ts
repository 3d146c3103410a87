import pLimit, { type LimitFunction } from 'p-limit';
import { Webhook } from 'standardwebhooks';
import type { Db } from '../../db/database';
import {
  claimDueDelivery,
  markDeliveryDelivered,
  recordDeliveryFailure,
  type WebhookDeliveryRow,
} from '../../db/queries/webhook-deliveries';
import { loadEndpointForSending } from '../../db/queries/webhook-endpoints';
import { accepted, describeHttpError, describeRefusal, sendHttp } from '../../runtime/http-client';

// Sends due webhook deliveries. A delivery is claimed in one short statement (attempt counted,
// row leased), POSTed with no database connection held, and settled in another short statement:
// a slow or hanging receiver costs an HTTP slot, never a pool connection. At most
// WEBHOOK_CONCURRENCY requests run at once per process; a slot is taken before the claim, so a
// burst of due rows waits in PostgreSQL, not in memory.

export const WEBHOOK_TIMEOUT_MS = 10_000;
/** A claimed row is taken again after this long if its attempt never settled (the worker died). */
const LEASE_SECONDS = 60;
export const WEBHOOK_CONCURRENCY = 8;
/** After this many failed attempts a delivery is given up ('failed'); redeliver starts it again. */
export const MAX_WEBHOOK_ATTEMPTS = 15;
export const MAX_WEBHOOK_BACKOFF_MS = 60 * 60 * 1000;
export const DEFAULT_WEBHOOK_RETRY_BASE_MS = 10_000;
/** Kept of a receiver's answer to a failed attempt, for the delivery log. */
const ERROR_TEXT_LIMIT = 500;

/** Wait after the `attempts`-th failed attempt: base, 2×base, 4×base … capped at an hour. */
export function webhookRetryDelayMs(attempts: number, baseMs: number): number {
  return Math.min(baseMs * 2 ** Math.max(0, attempts - 1), MAX_WEBHOOK_BACKOFF_MS);
}

/**
 * The Standard Webhooks headers (https://www.standardwebhooks.com): `webhook-signature` is
 * `v1,<base64 HMAC-SHA256 of "id.timestamp.body">` per secret valid now, space-separated, so a
 * receiver that still has the previous secret after a rotation verifies too.
 */
export function signWebhook(
  secrets: readonly string[],
  message: { id: string; body: string; at: Date },
): Record<string, string> {
  const timestamp = Math.floor(message.at.getTime() / 1000);
  // The library signs with the timestamp's seconds; it is given the same rounded instant we send.
  const at = new Date(timestamp * 1000);
  const signatures = secrets.map((secret) => new Webhook(secret).sign(message.id, at, message.body));
  return {
    'webhook-id': message.id,
    'webhook-timestamp': String(timestamp),
    'webhook-signature': signatures.join(' '),
  };
}

type AttemptOutcome = { ok: true; statusCode: number } | { ok: false; statusCode: number | null; error: string };

async function post(url: string, headers: Record<string, string>, body: string): Promise<AttemptOutcome> {
  try {
    // A redirect is not followed (sendHttp never does): the endpoint's URL is what the tenant registered.
    const answer = await sendHttp(url, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'order-orchestrator-webhooks/1', ...headers },
      body,
      timeoutMs: WEBHOOK_TIMEOUT_MS,
    });
    if (accepted(answer)) return { ok: true, statusCode: answer.status };
    return { ok: false, statusCode: answer.status, error: describeRefusal(answer, ERROR_TEXT_LIMIT) };
  } catch (error) {
    return { ok: false, statusCode: null, error: describeHttpError(error).slice(0, ERROR_TEXT_LIMIT) };
  }
}

export interface WebhookDeliveryOptions {
  retryBaseMs: number;
  /** At most this many deliveries are attempted in one round. */
  limit: number;
}

export interface WebhookDeliveryResult {
  delivered: number;
  failed: number;
}

export interface WebhookSender {
  /** One round: lanes claim and send until nothing is due or `limit` were attempted. */
  deliverDueWebhooks(): Promise<WebhookDeliveryResult>;
  /** No new claims from now on (requests under way finish, within WEBHOOK_TIMEOUT_MS): a quick shutdown. */
  stopClaiming(): void;
}

export function createWebhookSender(db: Db, options: WebhookDeliveryOptions): WebhookSender {
  const slots: LimitFunction = pLimit(WEBHOOK_CONCURRENCY);
  let stopping = false;

  async function attempt(row: WebhookDeliveryRow): Promise<boolean> {
    const endpoint = await loadEndpointForSending(db, row.endpoint_id);
    if (!endpoint) return false; // deleted meanwhile: its deliveries went with it
    const body = JSON.stringify(row.payload);
    const headers = signWebhook(endpoint.secrets, { id: row.id, body, at: new Date() });
    const outcome = await post(endpoint.url, headers, body);
    const claim = { id: row.id, attempt: row.attempts };
    if (outcome.ok) {
      await markDeliveryDelivered(db, { ...claim, statusCode: outcome.statusCode });
      return true;
    }
    await recordDeliveryFailure(db, claim, {
      statusCode: outcome.statusCode,
      error: outcome.error,
      giveUp: row.attempts >= MAX_WEBHOOK_ATTEMPTS,
      retryInMs: webhookRetryDelayMs(row.attempts, options.retryBaseMs),
    });
    return false;
  }

  async function deliverDueWebhooks(): Promise<WebhookDeliveryResult> {
    const result: WebhookDeliveryResult = { delivered: 0, failed: 0 };
    let claimed = 0;
    let drained = false;
    const lane = async () => {
      while (!drained && !stopping && claimed < options.limit) {
        const done = await slots(async () => {
          if (stopping) return null;
          const row = await claimDueDelivery(db, LEASE_SECONDS);
          if (!row) return null;
          claimed += 1;
          return attempt(row);
        });
        if (done === null) drained = true;
        else result[done ? 'delivered' : 'failed'] += 1;
      }
    };
    await Promise.all(Array.from({ length: WEBHOOK_CONCURRENCY }, lane));
    return result;
  }

  return {
    deliverDueWebhooks,
    stopClaiming() {
      stopping = true;
    },
  };
}
