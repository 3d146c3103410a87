import { createRoute, z } from '@hono/zod-openapi';
import { listOrderEmails, type OrderEmailRow, retryOrderEmail } from '../../db/queries/operator-actions';
import { operatorOf, requireAnyScope, requireScope } from '../auth';
import { findOrder } from '../order-workflow-calls';
import { problems } from '../problem';
import { createResourceApp } from '../resource-app';
import { operatorReason, problemResponses } from '../schemas/common';

// An order's e-mails as the outbox holds them, and an operator's "send it again"
// (docs/operations.md, "An e-mail that did not go out").

const orderEmailSchema = z
  .object({
    id: z.string().uuid(),
    kind: z.string().openapi({ example: 'receipt' }),
    recipient: z.string(),
    subject: z.string(),
    status: z.enum(['pending', 'sent', 'failed']).openapi({
      description:
        '`pending`: not sent yet (retried with backoff while SMTP fails), `sent`, or `failed`: given up ' +
        'after 20 attempts',
    }),
    attempts: z.number().int().openapi({ description: 'Failed attempts so far (1 once sent at the first try)' }),
    next_attempt_at: z.string().openapi({ description: 'When the dispatcher tries a pending e-mail next' }),
    last_error: z.string().nullable().openapi({ description: "The SMTP server's answer to the last failed attempt" }),
    message_id: z.string(),
    created_at: z.string(),
    sent_at: z.string().nullable(),
  })
  .openapi('OrderEmail');

const retryBody = z
  .strictObject({
    reason: operatorReason,
  })
  .openapi('EmailRetryRequest');

function presentEmail(row: OrderEmailRow): z.infer<typeof orderEmailSchema> {
  return {
    id: row.id,
    kind: row.kind,
    recipient: row.recipient,
    subject: row.subject,
    status: row.status,
    attempts: row.attempts,
    next_attempt_at: row.next_attempt_at.toISOString(),
    last_error: row.last_error,
    message_id: row.message_id,
    created_at: row.created_at.toISOString(),
    sent_at: row.sent_at ? row.sent_at.toISOString() : null,
  };
}

export const orderEmailRoutes = createResourceApp();

orderEmailRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}/emails',
    // Operators, or a key that may read the order (the recipients are the order's own people).
    middleware: [requireAnyScope('ops', 'orders:read')],
    tags: ['orders'],
    summary: "The order's e-mails in the outbox, with their delivery status",
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: {
        description: 'Oldest first',
        content: { 'application/json': { schema: z.object({ data: z.array(orderEmailSchema) }) } },
      },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const order = await findOrder(c, c.req.valid('param').id);
    const rows = await listOrderEmails(c.get('deps').db, { tenantId: c.get('auth').tenantId, orderId: order.id });
    return c.json({ data: rows.map(presentEmail) }, 200);
  },
);

orderEmailRoutes.openapi(
  createRoute({
    method: 'post',
    path: '/{id}/emails/{email_id}/retry',
    middleware: [requireScope('ops')],
    tags: ['orders'],
    summary: 'Send an e-mail that did not go out again (operators, scope ops)',
    description:
      'Makes a pending or given-up (`failed`) e-mail due at once with its attempts reset, so the ' +
      "worker's dispatcher sends it within a second or so (SMTP permitting); the same Message-ID, so " +
      "receivers can tell a repeat. Recorded in the order's timeline with the API key and the reason. " +
      "404 `email_not_found` for an id that is not one of the order's e-mails; 409 `email_already_sent`.",
    request: {
      params: z.object({ id: z.string(), email_id: z.string() }),
      body: { required: true, content: { 'application/json': { schema: retryBody } } },
    },
    responses: {
      202: {
        description: 'Queued again: the e-mail as it is now (pending, due at once)',
        content: { 'application/json': { schema: orderEmailSchema } },
      },
      ...problemResponses(400, 401, 403, 404, 409, 415),
    },
  }),
  async (c) => {
    const { id, email_id: emailId } = c.req.valid('param');
    const { reason } = c.req.valid('json');
    const order = await findOrder(c, id);
    if (!z.string().uuid().safeParse(emailId).success)
      throw problems.notFound('e-mail of this order', 'email_not_found');
    const result = await retryOrderEmail(
      c.get('deps').db,
      { tenantId: c.get('auth').tenantId, orderId: order.id, emailId },
      operatorOf(c),
      reason,
    );
    if (result.outcome === 'not_found') throw problems.notFound('e-mail of this order', 'email_not_found');
    if (result.outcome === 'already_sent') {
      const sentAt = result.email.sent_at?.toISOString() ?? 'earlier';
      throw problems.conflict('email_already_sent', `The e-mail was sent at ${sentAt}; nothing to retry`);
    }
    c.get('logger').info(
      { order_id: order.id, email_id: emailId, api_key_id: c.get('auth').keyId },
      'operator queued an e-mail again',
    );
    return c.json(presentEmail(result.email), 202);
  },
);
