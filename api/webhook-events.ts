import type { Context } from 'hono';
import { InvalidPaymentEvent, takePaymentEvent, type VerifiedPaymentEvent } from '../payments/payment-event-intake';
import type { AppEnv } from './app-env';
import { problems } from './problem';

/** A verified webhook event handed to the payments module; what it cannot store answers 400. */
export async function takeWebhookEvent(c: Context<AppEnv>, event: VerifiedPaymentEvent) {
  const { db, temporal } = c.var.deps;
  try {
    return await takePaymentEvent({ db, temporal, logger: c.var.logger }, event);
  } catch (error) {
    if (error instanceof InvalidPaymentEvent) throw problems.badRequest(error.code, error.message);
    throw error;
  }
}
