import type { Hono, MiddlewareHandler } from 'hono';
import type { InvoiceDocument } from '../../../db/queries/invoices';
import type { AppEnv } from '../../app-env';
import { requireScope } from '../../auth';
import { type CallApi, callOurApi } from '../call-api';
import { refuse, relayProblem, type StatusFor } from './error-mapping';
import { toVenueInvoice, venueInvoicesXml } from './invoice-mapping';

// The accounting export: invoices listed by number, and an invoice marked paid by the id the
// accounting system gave it. Both through /v1 (GET /v1/invoices, PUT /v1/invoices/by-external-id/…).

/** Several open invoices share the external id: their 406 (ours is a 409 naming them). */
const markPaidStatus: StatusFor = (status, code) => (code === 'external_id_ambiguous' ? 406 : status);

export function addInvoiceRoutes(routes: Hono<AppEnv>, callApi: CallApi, auth: MiddlewareHandler<AppEnv>) {
  routes.get('/invoice', auth, requireScope('invoices'), async (c) => {
    const afterNumber = c.req.query('afterNumber');
    const limit = c.req.query('limit');
    const format = (c.req.query('format') ?? 'json').toLowerCase();
    if (format !== 'json' && format !== 'xml')
      return refuse(c, 400, 'format_unsupported', 'format is not valid. Must be json or xml.');
    const query = new URLSearchParams();
    if (afterNumber !== undefined && afterNumber !== '') query.set('after_number', afterNumber);
    if (limit !== undefined && limit !== '') query.set('limit', limit);
    const response = await callOurApi(c, callApi, 'GET', `/v1/invoices?${query}`);
    if (!response.ok) return relayProblem(c, response);
    const { data } = (await response.json()) as { data: InvoiceDocument[] };
    const invoices = data.map(toVenueInvoice);
    if (format === 'xml')
      return c.body(venueInvoicesXml(invoices), 200, { 'Content-Type': 'application/xml; charset=utf-8' });
    return c.json(invoices, 200);
  });

  routes.put('/invoice/markAsPaidByExternalId/:externalId', auth, requireScope('invoices'), async (c) => {
    const externalId = encodeURIComponent(c.req.param('externalId'));
    const response = await callOurApi(c, callApi, 'PUT', `/v1/invoices/by-external-id/${externalId}/paid`);
    if (!response.ok) return relayProblem(c, response, markPaidStatus);
    return c.body(null, 204);
  });
}
