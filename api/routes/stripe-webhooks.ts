import { createRoute, z } from '@hono/zod-openapi';
import { html, raw } from 'hono/html';
import Stripe from 'stripe';
import { stripeWebhookSecret, stripeWebhookSecretVariable } from '../../payments/stripe-provider';
import type { Db } from '../../db/database';
import { findLatestStripeChargeSession } from '../../db/queries/order-charges';
import { findWebhookTenant } from '../../db/queries/webhook-tenants';
import { createResourceApp } from '../resource-app';
import { ApiProblem, problems } from '../problem';
import { problemResponses } from '../schemas/common';
import type { VerifiedPaymentEvent } from '../../payments/payment-event-intake';
import { takeWebhookEvent } from '../webhook-events';

// Stripe's webhooks for tenants whose card payments go through Stripe. Configure the endpoint
// in the tenant's Stripe dashboard as <PUBLIC_BASE_URL>/v1/webhooks/stripe/<tenant slug> with the
// events below; its signing secret goes to STRIPE_WEBHOOK_SECRET__<SLUG> (docs/payments.md).

export const STRIPE_SIGNATURE_HEADER = 'Stripe-Signature';
export const STRIPE_WEBHOOK_TOLERANCE_SECONDS = 300;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

const webhookAnswer = z.object({
  received: z.boolean(),
  duplicate: z.boolean(),
  ignored: z.boolean().optional().openapi({ description: 'An event type we do not act on (not stored)' }),
});

type Understood = Pick<VerifiedPaymentEvent, 'sessionId' | 'result'>;

export type StripeWebhookCheck =
  | { ok: true; event: Stripe.Event }
  | { ok: false; reason: 'missing' | 'malformed' | 'stale' | 'mismatch' | 'not_json' | 'unreadable' };

/**
 * Stripe's own scheme, by the SDK: HMAC-SHA256 of "<t>.<raw body>" with the endpoint secret,
 * any of several v1 signatures, the timestamp at most 300 s old. The body is parsed only after.
 * `nowMs` is for tests; default: the clock.
 */
export function verifyStripeWebhook(
  rawBody: string | Uint8Array,
  header: string | undefined,
  secret: string,
  nowMs?: number,
): StripeWebhookCheck {
  if (!header) return { ok: false, reason: 'missing' };
  try {
    const event = Stripe.webhooks.constructEvent(
      rawBody,
      header,
      secret,
      STRIPE_WEBHOOK_TOLERANCE_SECONDS,
      undefined,
      nowMs,
    );
    return { ok: true, event };
  } catch (error) {
    if (error instanceof Stripe.errors.StripeSignatureVerificationError) {
      const reason = /tolerance/i.test(error.message)
        ? 'stale'
        : /unable to extract|expected scheme/i.test(error.message)
          ? 'malformed'
          : 'mismatch';
      return { ok: false, reason };
    }
    // Verified, but not a snapshot event we can read (not JSON, or a thin v2 notification).
    return { ok: false, reason: error instanceof SyntaxError ? 'not_json' : 'unreadable' };
  }
}

export const stripeWebhookRoutes = createResourceApp();

stripeWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{tenant}',
    tags: ['payments'],
    security: [],
    summary: "Stripe webhook (Stripe-Signature verified with the tenant's endpoint secret, see docs/payments.md)",
    request: { params: z.object({ tenant: z.string() }) },
    responses: {
      200: {
        description: 'Accepted, a repeat of an event already handled, or an event type we ignore',
        content: { 'application/json': { schema: webhookAnswer } },
      },
      ...problemResponses(400, 401),
    },
  }),
  async (c) => {
    const { db } = c.get('deps');
    const slug = c.req.valid('param').tenant;
    const tenant = await findWebhookTenant(db, slug);
    const secret = tenant ? stripeWebhookSecret(tenant.slug) : undefined;
    if (tenant && !secret)
      c.get('logger').warn(
        { tenant: tenant.slug, variable: stripeWebhookSecretVariable(tenant.slug) },
        'Stripe webhook for a tenant without a webhook secret',
      );
    // The raw bytes are verified before anything is parsed (constructEvent parses only after).
    const rawBytes = Buffer.from(await c.req.arrayBuffer());
    const header = c.req.header(STRIPE_SIGNATURE_HEADER);
    // An unknown tenant or one without a secret answers like a wrong signature: nothing to learn.
    if (!tenant || !secret)
      throw new ApiProblem(
        401,
        'webhook_signature_invalid',
        'Unauthorized',
        `Webhook signature ${header ? 'mismatch' : 'missing'}`,
      );
    const check = verifyStripeWebhook(rawBytes, header, secret);
    if (!check.ok) {
      if (check.reason === 'not_json') throw problems.badRequest('malformed_json', 'The webhook body is not JSON');
      if (check.reason === 'unreadable')
        throw problems.badRequest('webhook_payload_invalid', 'Not a Stripe snapshot event');
      throw new ApiProblem(401, 'webhook_signature_invalid', 'Unauthorized', `Webhook signature ${check.reason}`);
    }
    const { event } = check;
    if (!event?.id || !event.type) throw problems.badRequest('webhook_payload_invalid', 'Missing event id or type');

    const understood = await understand(db, tenant.id, event);
    if (!understood) return c.json({ received: true, duplicate: false, ignored: true }, 200);
    const taken = await takeWebhookEvent(c, {
      provider: 'stripe',
      tenantId: tenant.id,
      eventId: event.id,
      type: event.type,
      rawBody: rawBytes.toString('utf8'),
      ...understood,
    });
    return c.json(taken, 200);
  },
);

/** Where Stripe Checkout sends the customer when the order brought no URLs of its own (under /psp/stripe). */
export const stripeReturnPageRoutes = createResourceApp();

stripeReturnPageRoutes.get('/return', (c) => {
  const paid = c.req.query('result') === 'success';
  const viewport = raw('<meta name="viewport" content="width=device-width, initial-scale=1">');
  const title = paid ? 'Payment received' : 'Payment cancelled';
  const message = paid
    ? 'You will receive a confirmation by email. You can close this page.'
    : 'Nothing was charged. You can close this page.';
  return c.html(html`<!doctype html>
<html lang="en"><head><meta charset="utf-8">${viewport}<title>${title}</title></head>
<body><h1 data-testid="result">${paid ? 'Thank you — your payment is being confirmed' : 'Payment cancelled'}</h1>
<p>${message}</p></body></html>`);
});

/** What a Stripe event means for one of our payments; undefined = an event we do not act on. */
async function understand(db: Db, tenantId: string, event: Stripe.Event): Promise<Understood | undefined> {
  switch (event.type) {
    case 'checkout.session.completed':
    case 'checkout.session.async_payment_succeeded': {
      const session = event.data.object;
      // "completed" with payment_status "unpaid" is an asynchronous payment still on its way:
      // stored, and acted on when its async_payment_succeeded/failed event comes.
      const paid = session.payment_status === 'paid';
      return {
        sessionId: session.id,
        result: paid
          ? { outcome: 'succeeded', amount: session.amount_total ?? 0, currency: session.currency ?? '' }
          : null,
      };
    }
    case 'checkout.session.async_payment_failed': {
      const session = event.data.object;
      return {
        sessionId: session.id,
        result: { outcome: 'failed', amount: session.amount_total ?? 0, currency: session.currency ?? '' },
      };
    }
    case 'checkout.session.expired': {
      const session = event.data.object;
      return {
        sessionId: session.id,
        result: { outcome: 'cancelled', amount: session.amount_total ?? 0, currency: session.currency ?? '' },
      };
    }
    case 'payment_intent.payment_failed': {
      // A declined attempt on the Checkout page; the session stays open for another try. The
      // PaymentIntent carries our order id (payment_intent_data.metadata), not the session id.
      const intent = event.data.object;
      const orderId = intent.metadata?.order_id;
      const sessionId =
        orderId && UUID.test(orderId) ? await findLatestStripeChargeSession(db, tenantId, orderId) : null;
      return { sessionId, result: { outcome: 'failed', amount: intent.amount, currency: intent.currency } };
    }
    default:
      return undefined;
  }
}
