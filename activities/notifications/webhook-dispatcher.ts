import type { Db } from '../../db/database';
import { type PollingLoop, startPollingLoop } from '../../runtime/polling-loop';
import type { DispatcherLogger } from './outbox';
import { fanOutOrderEvents } from './webhook-fanout';
import { createWebhookSender, DEFAULT_WEBHOOK_RETRY_BASE_MS } from './webhook-delivery';

// The worker's outbound-webhook process (docs/webhooks-outbound.md): one polling loop fans new
// order events out into deliveries, another sends due deliveries. Both are safe to run in every
// worker: the fan-out takes the cursor row's lock, deliveries are claimed with SKIP LOCKED.

const FANOUT_BATCH = 200;
const DELIVERY_BATCH = 50;

export interface WebhookDispatcherOptions {
  /** Pause between rounds (default 1000 ms); a full round is followed at once by the next. */
  intervalMs?: number;
  /** The first retry's wait (then doubling, capped at an hour); default WEBHOOK_RETRY_BASE_MS or 10 s. */
  retryBaseMs?: number;
  logger?: DispatcherLogger;
}

/**
 * WEBHOOK_RETRY_BASE_MS: the first retry's wait in ms (tests make it short); unset or not a
 * positive integer: the default 10 s.
 */
export function webhookRetryBaseMsFromEnv(env: NodeJS.ProcessEnv = process.env): number {
  const value = Number(env.WEBHOOK_RETRY_BASE_MS);
  return Number.isSafeInteger(value) && value > 0 ? value : DEFAULT_WEBHOOK_RETRY_BASE_MS;
}

export function startWebhookDispatcher(db: Db, options: WebhookDispatcherOptions = {}): PollingLoop {
  const intervalMs = options.intervalMs ?? 1000;
  const logger = options.logger;
  const fanout = startPollingLoop({
    intervalMs,
    round: async () => (await fanOutOrderEvents(db, FANOUT_BATCH)) >= FANOUT_BATCH,
    onError: (error) => logger?.error({ err: error }, 'webhook fan-out round failed'),
  });
  const sender = createWebhookSender(db, {
    retryBaseMs: options.retryBaseMs ?? webhookRetryBaseMsFromEnv(),
    limit: DELIVERY_BATCH,
  });
  const delivery = startPollingLoop({
    intervalMs,
    async round() {
      const { delivered, failed } = await sender.deliverDueWebhooks();
      if (failed > 0) logger?.warn({ delivered, failed }, 'webhook deliveries failed; they will be retried');
      else if (delivered > 0) logger?.info({ delivered }, 'webhooks delivered');
      return delivered + failed >= DELIVERY_BATCH;
    },
    onError: (error) => logger?.error({ err: error }, 'webhook delivery round failed'),
  });
  return {
    async stop() {
      sender.stopClaiming();
      await Promise.all([fanout.stop(), delivery.stop()]);
    },
  };
}
