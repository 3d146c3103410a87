import { createRoute, z } from '@hono/zod-openapi';
import { sql } from 'kysely';
import { invoicePaidSignal } from '../../workflows/order-messages';
import type { App } from '../app';
import { requireScope } from '../auth';
import { problems } from '../problem';
import { problemResponses } from '../schemas/common';

const markPaidBody = z.strictObject({
  amount: z.number().int().positive().optional().openapi({ description: 'Minor units paid; default: everything left on the invoice' }),
  reference: z.string().min(1).max(100).optional().openapi({ description: 'Your payment reference; a repeat with the same reference is counted once' }),
}).openapi('InvoicePayment');

export function registerInvoiceRoutes(app: App): void {
  app.use('/v1/invoices/*', requireScope('invoices'));

  app.openapi(
    createRoute({
      method: 'put', path: '/v1/invoices/by-external-id/{external_id}/paid', tags: ['invoices'],
      summary: 'Mark the invoice with this external id paid (seed 004); completes the order',
      description: 'Answers 409 `external_id_ambiguous` when several open invoices share the external id (seed 004 answers 406; a conflict describes it better).',
      request: {
        params: z.object({ external_id: z.string().min(1).max(100) }),
        body: { required: false, content: { 'application/json': { schema: markPaidBody } } },
      },
      responses: { 204: { description: 'Recorded (or already paid)' }, ...problemResponses(400, 401, 403, 404, 409) },
    }),
    async (c) => {
      const { db, temporal } = c.var.deps;
      const externalId = c.req.valid('param').external_id;
      const body = (c.req.header('content-length') ?? '0') === '0' ? {} : c.req.valid('json');
      const invoices = await db.selectFrom('invoices').innerJoin('orders', 'orders.id', 'invoices.order_id')
        .select(['invoices.id', 'invoices.status', 'invoices.total_incl_vat', 'orders.workflow_id', 'orders.id as order_id'])
        .where('invoices.tenant_id', '=', c.var.auth.tenantId).where('invoices.external_id', '=', externalId)
        .where('invoices.kind', '=', 'invoice').execute();
      if (invoices.length === 0) throw problems.notFound('invoice with this external id');
      const open = invoices.filter((i) => i.status === 'open');
      if (open.length === 0) return c.body(null, 204);
      if (open.length > 1) throw problems.conflict('external_id_ambiguous', `${open.length} open invoices have external id "${externalId}"`);
      const invoice = open[0]!;
      const paidSoFar = await db.selectFrom('payments').select(sql<number>`coalesce(sum(amount), 0)::int`.as('paid'))
        .where('order_id', '=', invoice.order_id).where('provider', '=', 'invoice').where('status', '=', 'succeeded').executeTakeFirstOrThrow();
      const leftToPay = Math.max(0, invoice.total_incl_vat - paidSoFar.paid);
      await temporal.workflow.getHandle(invoice.workflow_id).signal(invoicePaidSignal, {
        invoiceId: invoice.id,
        amount: body.amount ?? leftToPay,
        reference: body.reference ?? `full-${invoice.id}`,
      });
      return c.body(null, 204);
    },
  );
}
