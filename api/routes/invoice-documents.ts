import { createRoute, z } from '@hono/zod-openapi';
import { XMLBuilder } from 'fast-xml-parser';
import { renderInvoicePdf } from '../../activities/documents/invoice-pdf';
import {
  findDocumentPosition,
  type InvoiceDocument,
  listInvoiceDocuments,
  loadInvoiceDocument,
} from '../../db/queries/invoices';
import { createResourceApp } from '../resource-app';
import { requireScope } from '../auth';
import { ApiProblem, problems } from '../problem';
import { INVOICE_LIST_FORMATS, invoiceDocumentSchema, invoiceListQuery, invoiceListSchema } from '../schemas/invoice';
import { problemContent, problemResponses } from '../schemas/common';

// Issued documents: the listing an accounting system polls for its export (JSON or XML, cursor =
// document number; see docs/seed-mapping.md), one document as JSON, and its PDF. Another tenant's id
// is a 404 like an unknown one.

const xmlBuilder = new XMLBuilder({ format: true, indentBy: '  ', ignoreAttributes: false, suppressEmptyNode: false });

/** Element name of one item of each list: <lines><line>…</line></lines>. */
const XML_ITEM_NAMES: Record<string, string> = { lines: 'line', vat_summary: 'rate' };

/** null → empty element, so every tag is always there; arrays get a wrapper with one element per item. */
function forXml(value: unknown): unknown {
  if (value === null || value === undefined) return '';
  if (Array.isArray(value)) return value.map(forXml);
  if (typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([key, v]) => {
        const item = XML_ITEM_NAMES[key];
        return [key, item && Array.isArray(v) ? { [item]: v.map(forXml) } : forXml(v)];
      }),
    );
  }
  return value;
}

export function invoicesXml(body: { data: InvoiceDocument[]; next_after_number: string | null }): string {
  return xmlBuilder.build({
    '?xml': { '@_version': '1.0', '@_encoding': 'UTF-8' },
    invoices: { invoice: body.data.map(forXml), next_after_number: body.next_after_number ?? '' },
  });
}

const INVOICE_XML_EXAMPLE = `<?xml version="1.0" encoding="UTF-8"?>
<invoices>
  <invoice>
    <id>0b6f…</id>
    <type>invoice</type>
    <number>2026-000042</number>
    <series>2026</series>
    <sequence>42</sequence>
    <status>open</status>
    …
    <lines>
      <line>
        <position>1</position>
        <description>First aid course</description>
        <quantity>1</quantity>
        <unit_price>125000</unit_price>
        …
      </line>
    </lines>
  </invoice>
  <next_after_number>2026-000043</next_after_number>
</invoices>`;

function pdfFileName(doc: InvoiceDocument): string {
  return `${doc.type.replace('_', '-')}-${doc.number.replace(/[^A-Za-z0-9._-]/g, '_')}.pdf`;
}

const isUuid = (value: string) => z.string().uuid().safeParse(value).success;

export const invoiceDocumentRoutes = createResourceApp();

invoiceDocumentRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/',
    middleware: [requireScope('invoices')],
    tags: ['invoices'],
    summary:
      'List issued invoices, receipts and credit notes in number order, for an accounting export, as JSON or XML',
    description: [
      'Every document of the tenant — `type` is `invoice`, `receipt` (an invoice paid at once, ' +
        'e.g. by card) or `credit_note` — ordered by (series, number): the gapless per-year ' +
        'numbering.',
      'Pass the last `number` you have as `after_number` (exclusive) to continue; ' +
        '`next_after_number` is the number to pass for the next page, null on the last one.',
      '`format=xml` answers `application/xml`: root `<invoices>`, one `<invoice>` per document ' +
        'with `<lines><line>` and `<vat_summary><rate>`, then `<next_after_number>`; null values ' +
        'are empty elements.',
      'Errors: `400 format_unsupported` for a format other than json or xml, `404 ' +
        "after_number_unknown` when after_number is not one of the tenant's documents.",
    ].join('\n\n'),
    request: { query: invoiceListQuery },
    responses: {
      200: {
        description: 'One page of documents',
        content: {
          'application/json': { schema: invoiceListSchema },
          'application/xml': { schema: z.string().openapi({ example: INVOICE_XML_EXAMPLE }) },
        },
      },
      ...problemResponses(400, 401, 403, 404),
    },
  }),
  async (c) => {
    const q = c.req.valid('query');
    const format = (q.format ?? 'json').toLowerCase();
    if (!(INVOICE_LIST_FORMATS as readonly string[]).includes(format)) {
      throw problems.badRequest('format_unsupported', `format must be json or xml, not "${q.format}"`);
    }
    const { db } = c.get('deps');
    const tenantId = c.get('auth').tenantId;
    let after: { series: string; number: number } | undefined;
    if (q.after_number !== undefined) {
      after = await findDocumentPosition(db, tenantId, q.after_number);
      if (!after)
        throw new ApiProblem(
          404,
          'after_number_unknown',
          'Not Found',
          `"${q.after_number}" is not the number of one of your documents`,
        );
    }
    const rows = await listInvoiceDocuments(db, tenantId, { after, limit: q.limit + 1 });
    const page = rows.slice(0, q.limit);
    const last = page.at(-1);
    const body = { data: page, next_after_number: rows.length > q.limit && last ? last.number : null };
    if (format === 'xml') {
      return c.body(invoicesXml(body), 200, { 'Content-Type': 'application/xml; charset=utf-8' }) as never;
    }
    return c.json(body, 200);
  },
);

// GET /v1/invoices/{id}.pdf — registered before /v1/invoices/{id}, which would match it too.
// Hono reads ":id.pdf" as a parameter named "id.pdf", so the handler uses a regex parameter
// and the OpenAPI document gets the path on its own.
invoiceDocumentRoutes.openAPIRegistry.registerPath({
  method: 'get',
  path: '/{id}.pdf',
  tags: ['invoices'],
  summary: 'The document as a PDF (invoice, receipt or credit note)',
  request: { params: z.object({ id: z.string().uuid() }) },
  responses: {
    200: {
      description: 'The PDF',
      content: { 'application/pdf': { schema: z.string().openapi({ format: 'binary' }) } },
    },
    401: { description: 'Missing or unknown API key', content: problemContent },
    403: { description: 'The API key lacks the scope', content: problemContent },
    404: { description: "Not found (or another tenant's)", content: problemContent },
  },
});
invoiceDocumentRoutes.get('/:file{[^/]+\\.pdf}', requireScope('invoices'), async (c) => {
  const id = c.req.param('file').slice(0, -'.pdf'.length);
  if (!isUuid(id)) throw problems.notFound('document');
  const doc = await loadInvoiceDocument(c.get('deps').db, c.get('auth').tenantId, id);
  if (!doc) throw problems.notFound('document');
  const pdf = await renderInvoicePdf(doc);
  return c.body(new Uint8Array(pdf), 200, {
    'Content-Type': 'application/pdf',
    'Content-Disposition': `inline; filename="${pdfFileName(doc)}"`,
    'Cache-Control': 'private, no-store',
  });
});

invoiceDocumentRoutes.openapi(
  createRoute({
    method: 'get',
    path: '/{id}',
    middleware: [requireScope('invoices')],
    tags: ['invoices'],
    summary: 'One issued document (invoice, receipt or credit note) with lines, parties, totals and VAT summary',
    request: { params: z.object({ id: z.string() }) },
    responses: {
      200: { description: 'The document', content: { 'application/json': { schema: invoiceDocumentSchema } } },
      ...problemResponses(401, 403, 404),
    },
  }),
  async (c) => {
    const { id } = c.req.valid('param');
    if (!isUuid(id)) throw problems.notFound('document');
    const doc = await loadInvoiceDocument(c.get('deps').db, c.get('auth').tenantId, id);
    if (!doc) throw problems.notFound('document');
    return c.json(doc, 200);
  },
);
