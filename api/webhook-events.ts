import type { Context } from 'hono';
import { InvalidPaymentEvent, takePaymentEvent, type VerifiedPaymentEvent } from '../payments/payment-event-intake';
import { recordWebhookDelivery } from '../runtime/metrics';
import type { AppEnv } from './app-env';
import { problems } from './problem';

/** A verified webhook event handed to the payments module; what it cannot store answers 400. */
export async function takeWebhookEvent(c: Context<AppEnv>, event: VerifiedPaymentEvent) {
  const { db, temporal } = c.get('deps');
  try {
    const taken = await takePaymentEvent({ db, temporal, logger: c.get('logger') }, event);
    recordWebhookDelivery(event.provider, taken.duplicate ? 'duplicate' : 'received');
    return taken;
  } catch (error) {
    if (error instanceof InvalidPaymentEvent) throw problems.badRequest(error.code, error.message);
    throw error;
  }
}
