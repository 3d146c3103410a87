import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { SandboxWebhookPayload } from '../../activities/payments/sandbox-webhook-sender';
import { SIGNATURE_HEADER, verifySignature } from '../../activities/payments/webhook-signature';
import { paymentResultSignal } from '../../workflows/order-messages';
import type { App } from '../app';
import { ApiProblem, problems } from '../problem';
import { problemResponses } from '../schemas/common';

const OUTCOMES = { 'payment.succeeded': 'succeeded', 'payment.failed': 'failed', 'payment.cancelled': 'cancelled' } as const;

export function registerPaymentWebhookRoutes(app: App): void {
  app.openapi(
    createRoute({
      method: 'post', path: '/v1/webhooks/sandbox/{tenant}', tags: ['payments'], security: [],
      summary: 'Sandbox payment provider webhook (signed, see docs/payments.md)',
      request: { params: z.object({ tenant: z.string() }) },
      responses: {
        200: { description: 'Accepted (or a repeat of an event already handled)', content: { 'application/json': { schema: z.object({ received: z.boolean(), duplicate: z.boolean() }) } } },
        ...problemResponses(400, 401),
      },
    }),
    async (c) => {
      const { db, temporal } = c.var.deps;
      const tenant = await db.selectFrom('tenants').select(['id', 'webhook_secret']).where('slug', '=', c.req.valid('param').tenant).executeTakeFirst();
      // The raw bytes are verified before anything is parsed.
      const rawBody = await c.req.text();
      const check = tenant
        ? verifySignature([tenant.webhook_secret], c.req.header(SIGNATURE_HEADER), rawBody, Math.floor(Date.now() / 1000))
        : ({ ok: false, reason: 'mismatch' } as const);
      if (!check.ok || !tenant) {
        throw new ApiProblem(401, 'webhook_signature_invalid', 'Unauthorized', `Webhook signature ${check.ok ? 'mismatch' : check.reason}`);
      }
      let payload: SandboxWebhookPayload;
      try {
        payload = JSON.parse(rawBody) as SandboxWebhookPayload;
      } catch {
        throw problems.badRequest('malformed_json', 'The webhook body is not JSON');
      }
      const outcome = OUTCOMES[payload.type];
      if (!outcome || !payload.id || !payload.data?.session_id) throw problems.badRequest('webhook_payload_invalid', 'Unknown event type or missing fields');

      const payment = await db.selectFrom('payments').innerJoin('orders', 'orders.id', 'payments.order_id')
        .select(['orders.id as order_id', 'orders.workflow_id'])
        .where('payments.provider', '=', 'sandbox').where('payments.provider_session_id', '=', payload.data.session_id)
        .where('payments.tenant_id', '=', tenant.id).executeTakeFirst();
      const inserted = await db.insertInto('payment_events').values({
        id: crypto.randomUUID(), provider: 'sandbox', provider_event_id: payload.id, tenant_id: tenant.id,
        order_id: payment?.order_id ?? null, type: payload.type, raw_body: rawBody,
      }).onConflict((oc) => oc.columns(['provider', 'provider_event_id']).doNothing()).returning('id').executeTakeFirst();
      if (!payment) {
        c.var.logger.warn({ session: payload.data.session_id }, 'webhook for an unknown payment session');
        return c.json({ received: true, duplicate: !inserted }, 200);
      }
      // Signalled even for a repeat: if the first delivery was stored but its signal was lost,
      // this one carries it; the workflow ignores an event id it has seen.
      try {
        await temporal.workflow.getHandle(payment.workflow_id).signal(paymentResultSignal, {
          eventId: payload.id,
          provider: 'sandbox',
          sessionId: payload.data.session_id,
          outcome,
          amount: payload.data.amount,
          currency: payload.data.currency,
        });
      } catch (error) {
        if (!(error instanceof WorkflowNotFoundError)) throw error;
        // The order's process has ended; the stored event is what an operator acts on.
        c.var.logger.error({ order: payment.order_id, event: payload.id }, 'payment event for a finished order workflow');
      }
      return c.json({ received: true, duplicate: !inserted }, 200);
    },
  );
}
