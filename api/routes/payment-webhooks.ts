import { createRoute, z } from '@hono/zod-openapi';
import type { SandboxWebhookPayload } from '../../payments/sandbox-webhook-sender';
import { SIGNATURE_HEADER, verifySignature } from '../../payments/webhook-signature';
import { saveSandboxCard } from '../../db/queries/saved-cards';
import { findWebhookTenant } from '../../db/queries/webhook-tenants';
import { createResourceApp } from '../resource-app';
import { ApiProblem, problems } from '../problem';
import { problemResponses } from '../schemas/common';
import { takeWebhookEvent } from '../webhook-events';

const OUTCOMES = {
  'payment.succeeded': 'succeeded',
  'payment.failed': 'failed',
  'payment.cancelled': 'cancelled',
} as const;

export const sandboxWebhookRoutes = createResourceApp();

sandboxWebhookRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{tenant}',
    tags: ['payments'],
    security: [],
    summary: 'Sandbox payment provider webhook (signed, see docs/payments.md)',
    request: { params: z.object({ tenant: z.string() }) },
    responses: {
      200: {
        description: 'Accepted (or a repeat of an event already handled)',
        content: { 'application/json': { schema: z.object({ received: z.boolean(), duplicate: z.boolean() }) } },
      },
      ...problemResponses(400, 401),
    },
  }),
  async (c) => {
    const { db } = c.get('deps');
    const tenant = await findWebhookTenant(db, c.req.valid('param').tenant);
    // The raw bytes are verified before anything is parsed.
    const rawBody = await c.req.text();
    const check = tenant
      ? verifySignature([tenant.webhook_secret], c.req.header(SIGNATURE_HEADER), rawBody, Math.floor(Date.now() / 1000))
      : ({ ok: false, reason: 'mismatch' } as const);
    if (!check.ok || !tenant) {
      throw new ApiProblem(
        401,
        'webhook_signature_invalid',
        'Unauthorized',
        `Webhook signature ${check.ok ? 'mismatch' : check.reason}`,
      );
    }
    let payload: SandboxWebhookPayload;
    try {
      payload = JSON.parse(rawBody) as SandboxWebhookPayload;
    } catch {
      throw problems.badRequest('malformed_json', 'The webhook body is not JSON');
    }
    const outcome = OUTCOMES[payload.type];
    if (!outcome || !payload.id || !payload.data?.session_id)
      throw problems.badRequest('webhook_payload_invalid', 'Unknown event type or missing fields');

    const card = payload.data.saved_card;
    if (outcome === 'succeeded' && card?.token) {
      // The customer asked to keep the card: remember its token for the order's customer — before the
      // order hears of the payment, so the subscription its completion starts finds the card.
      await saveSandboxCard(db, {
        tenantId: tenant.id,
        sessionId: payload.data.session_id,
        token: card.token,
        brand: card.brand,
        last4: card.last4,
      });
    }
    const taken = await takeWebhookEvent(c, {
      provider: 'sandbox',
      tenantId: tenant.id,
      eventId: payload.id,
      type: payload.type,
      rawBody,
      sessionId: payload.data.session_id,
      result: { outcome, amount: payload.data.amount, currency: payload.data.currency },
    });
    return c.json(taken, 200);
  },
);
