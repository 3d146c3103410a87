import { loadOrderLedger } from '../../db/queries/order-ledger';
import { leftToPay as leftToPayOf } from '../../domain/order-money';
import { createRoute, z } from '@hono/zod-openapi';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { Context } from 'hono';
import {
  findInvoicePaymentTargets,
  type InvoicePaymentMatch,
  type InvoicePaymentTarget,
} from '../../db/queries/invoices';
import { invoicePaidSignal } from '../../workflows/order-messages';
import { createResourceApp } from '../resource-app';
import type { AppEnv } from '../app-env';
import { requireScope } from '../auth';
import { problems } from '../problem';
import { problemResponses, uuidParam } from '../schemas/common';

const markPaidBody = z
  .strictObject({
    amount: z
      .number()
      .int()
      .positive()
      .optional()
      .openapi({ description: 'Minor units paid; default: everything left on the invoice' }),
    reference: z
      .string()
      .min(1)
      .max(100)
      .optional()
      .openapi({ description: 'Your payment reference; a repeat with the same reference is counted once' }),
  })
  .openapi('InvoicePayment');

type MarkPaidBody = z.infer<typeof markPaidBody>;

const BY_ID_ROUTE = 'PUT /v1/invoices/{id}/paid';

const markPaidRequest = <P extends z.ZodObject>(params: P) => ({
  params,
  body: { required: false as const, content: { 'application/json': { schema: markPaidBody } } },
});

const markPaidResponses = {
  204: { description: 'Recorded (or already paid)' },
  ...problemResponses(400, 401, 403, 404, 409, 415),
};

/**
 * Hands the payment to the order's workflow, which records it and completes the order once the
 * invoice is settled. Only an open invoice takes money; a paid one answers 204 again, so a client
 * retrying after a lost answer does not see an error.
 */
async function markPaid(c: Context<AppEnv>, invoice: InvoicePaymentTarget, body: MarkPaidBody): Promise<Response> {
  if (invoice.kind !== 'invoice') {
    const what = invoice.kind === 'receipt' ? 'a receipt, paid when it was issued' : 'a credit note';
    throw problems.conflict('invoice_not_payable', `${invoice.document_number} is ${what}, not an invoice to pay`);
  }
  if (invoice.status === 'paid') return c.body(null, 204);
  if (invoice.status === 'credited') {
    throw problems.conflict('invoice_not_payable', `Invoice ${invoice.document_number} is credited; nothing is due`);
  }
  const { db, temporal } = c.get('deps');
  // What is left is what the ledger says: payments, credits of cancelled parts and refunds all count.
  const leftToPay = leftToPayOf(await loadOrderLedger(db, invoice.order_id));
  try {
    await temporal.workflow.getHandle(invoice.workflow_id).signal(invoicePaidSignal, {
      invoiceId: invoice.id,
      amount: body.amount ?? leftToPay,
      reference: body.reference ?? `full-${invoice.id}`,
    });
  } catch (error) {
    if (error instanceof WorkflowNotFoundError) {
      const detail = `The order of invoice ${invoice.document_number} has ended; it takes no payment`;
      throw problems.conflict('invoice_not_payable', detail);
    }
    throw error;
  }
  return c.body(null, 204);
}

/** The one document `match` names, or 404 (also for another tenant's). */
async function findOne(c: Context<AppEnv>, match: InvoicePaymentMatch, what: string): Promise<InvoicePaymentTarget> {
  const [invoice] = await findInvoicePaymentTargets(c.get('deps').db, c.get('auth').tenantId, match);
  if (!invoice) throw problems.notFound(what);
  return invoice;
}

export const invoiceRoutes = createResourceApp();

invoiceRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/{id}/paid',
    middleware: [requireScope('invoices')],
    tags: ['invoices'],
    summary: 'Mark the invoice with this id paid; completes the order once it is settled',
    description: [
      'For any open invoice, with or without an external id. `amount` (default: all that is left) and `reference`',
      '(a repeat counts once) as for the external-id route. `204` when recorded or already paid;',
      '`409 invoice_not_payable` for a receipt, a credit note or a credited invoice; `404` for an unknown id or',
      "another tenant's.",
    ].join(' '),
    request: markPaidRequest(z.object({ id: z.string() })),
    responses: markPaidResponses,
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!uuidParam.safeParse(id).success) throw problems.notFound('invoice');
    return markPaid(c, await findOne(c, { id }, 'invoice'), c.req.valid('json'));
  },
);

invoiceRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/by-number/{number}/paid',
    middleware: [requireScope('invoices')],
    tags: ['invoices'],
    summary: 'Mark the invoice with this document number (e.g. 2026-000042) paid; completes the order when settled',
    description: `The document number as printed on the invoice; otherwise as ${BY_ID_ROUTE}.`,
    request: markPaidRequest(z.object({ number: z.string().min(1).max(60).openapi({ example: '2026-000042' }) })),
    responses: markPaidResponses,
  }),
  async (c) => {
    const { number } = c.req.valid('param');
    return markPaid(c, await findOne(c, { documentNumber: number }, 'invoice with this number'), c.req.valid('json'));
  },
);

invoiceRoutes.openapi(
  createRoute({
    method: 'put',
    path: '/by-external-id/{external_id}/paid',
    middleware: [requireScope('invoices')],
    tags: ['invoices'],
    summary:
      'Mark the invoice with this external id paid (the id the accounting system knows it by); completes the order',
    description: [
      'Answers 409 `external_id_ambiguous` when several open invoices share the external id ' +
        '(some shop APIs answer 406;',
      `a conflict describes it better): mark one of them paid with ${BY_ID_ROUTE}, the problem names their ids.`,
    ].join(' '),
    request: markPaidRequest(z.object({ external_id: z.string().min(1).max(100) })),
    responses: markPaidResponses,
  }),
  async (c) => {
    const externalId = c.req.valid('param').external_id;
    const found = await findInvoicePaymentTargets(c.get('deps').db, c.get('auth').tenantId, { externalId });
    const invoices = found.filter((i) => i.kind === 'invoice');
    if (invoices.length === 0) throw problems.notFound('invoice with this external id');
    const open = invoices.filter((i) => i.status === 'open');
    if (open.length === 0) return c.body(null, 204);
    if (open.length > 1) {
      const listed = open.map((i) => `${i.document_number} (id ${i.id})`).join(', ');
      throw problems.conflict(
        'external_id_ambiguous',
        `${open.length} open invoices have external id "${externalId}": ${listed}. ` +
          `Mark one paid by its id with ${BY_ID_ROUTE}`,
      );
    }
    return markPaid(c, open[0]!, c.req.valid('json'));
  },
);
