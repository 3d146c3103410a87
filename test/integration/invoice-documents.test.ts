import { XMLParser } from 'fast-xml-parser';
import { extractText } from 'unpdf';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addApiKey, createOccurrence, createProduct, createTenant, jsonOf, type TestTenant } from '../helpers/fixtures';
import { orderClient } from '../helpers/order-client';
import { eventually, startTestStack, type TestStack } from '../helpers/test-stack';

// Issued documents through HTTP on the real stack: invoice orders run through their workflows,
// then their invoices are fetched as JSON and PDF, listed with the after_number cursor as JSON
// and XML, and the invoice mail caught by the SMTP sink carries the PDF.

let stack: TestStack;
let tenant: TestTenant;
let other: TestTenant;
let occurrenceId: string;
let client: ReturnType<typeof orderClient>;
const invoices: { orderId: string; id: string; number: string; email: string }[] = [];
let creditNote: { id: string; number: string };

const get = (path: string, apiKey = tenant.apiKey) =>
  fetch(`${stack.baseUrl}${path}`, { headers: { 'X-API-Key': apiKey } });

async function pdfText(response: Response): Promise<string> {
  const { text } = await extractText(new Uint8Array(await response.arrayBuffer()), { mergePages: true });
  return text.replace(/\s+/g, ' ');
}

async function placeInvoiceOrder(n: number) {
  const email = `ap-${n}@example.com`;
  const placed = await client.placeOrder({
    payment_method: 'invoice',
    external_id: `erp-${n}`,
    booker: { name: `Booker ${n}`, email: `booker-${n}@example.com` },
    company: {
      name: `Customer ${n} AS`,
      number: `91000000${n}`,
      vat_number: `NO91000000${n}MVA`,
      gln: `708000000000${n}`,
    },
    invoice: {
      email,
      reference: `PO-${n}`,
      firstname: 'Kari',
      lastname: `Nordmann ${n}`,
      address: { line_1: `Fakturaveien ${n}`, zipcode: '0262', city: 'Oslo', country_code: 'NO' },
    },
    delivery: {
      name: `Goods reception ${n}`,
      address: { line_1: `Lagerveien ${n}`, zipcode: '1400', city: 'Ski', country_code: 'NO' },
    },
    lines: [
      {
        occurrence_id: occurrenceId,
        discount_percent: 10,
        participants: [{ firstname: 'John', lastname: `Doe ${n}`, email: `john-${n}@example.com` }],
      },
    ],
  });
  expect(placed.status).toBe(201);
  const order = await eventually(async () => {
    const { body } = await client.getOrder(placed.body.id);
    return body.status === 'invoiced' ? body : undefined;
  });
  const document = order.documents.find((d: { kind: string }) => d.kind === 'invoice');
  return { orderId: placed.body.id as string, id: document.id as string, number: document.number as string, email };
}

beforeAll(async () => {
  stack = await startTestStack();
  const { db } = stack.database;
  tenant = await createTenant(db);
  other = await createTenant(db);
  await db
    .updateTable('tenants')
    .set({
      legal_name: 'Fjellskolen AS',
      org_number: '912 345 678',
      vat_number: 'NO912345678MVA',
      bank_account: '1234.56.78903',
      address: JSON.stringify({ line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo', country_code: 'NO' }),
      invoice_prefix: 'FS-',
    })
    .where('id', '=', tenant.id)
    .execute();
  const course = await createProduct(db, tenant.id, { price: 100_000, name: 'First aid' });
  occurrenceId = await createOccurrence(db, tenant.id, course, { capacity: 10, name: 'First aid — Oslo' });
  client = orderClient(stack, tenant.apiKey);

  for (const n of [1, 2, 3]) invoices.push(await placeInvoiceOrder(n));

  // A credit note for the second invoice, numbered in the same series (no issuing flow yet).
  const second = await db
    .selectFrom('invoices')
    .selectAll()
    .where('id', '=', invoices[1]!.id)
    .executeTakeFirstOrThrow();
  const counter = await db
    .updateTable('invoice_series')
    .set((eb) => ({ next_number: eb('next_number', '+', 1) }))
    .where('tenant_id', '=', tenant.id)
    .where('series', '=', second.series)
    .returning((eb) => [eb('next_number', '-', 1).as('number'), 'prefix'])
    .executeTakeFirstOrThrow();
  creditNote = { id: crypto.randomUUID(), number: `${counter.prefix}${String(counter.number).padStart(6, '0')}` };
  await db
    .insertInto('invoices')
    .values({
      id: creditNote.id,
      tenant_id: tenant.id,
      order_id: second.order_id,
      kind: 'credit_note',
      series: second.series,
      number: counter.number,
      document_number: creditNote.number,
      credits_invoice_id: second.id,
      currency: second.currency,
      exchange_rate: second.exchange_rate,
      total_excl_vat: second.total_excl_vat,
      total_vat: second.total_vat,
      total_incl_vat: second.total_incl_vat,
      vat_summary: JSON.stringify(second.vat_summary),
      lines: JSON.stringify(second.lines),
      seller: JSON.stringify(second.seller),
      buyer: JSON.stringify(second.buyer),
      status: 'open',
    })
    .execute();
}, 180_000);
afterAll(async () => stack?.stop());

describe('one document', () => {
  it('numbers invoices gaplessly with the tenant prefix', () => {
    const year = new Date().getUTCFullYear();
    expect(invoices.map((i) => i.number)).toEqual([1, 2, 3].map((n) => `FS-${year}-${String(n).padStart(6, '0')}`));
  });

  it('GET /v1/invoices/{id} answers the invoice with seller, buyer, lines, VAT summary and due date', async () => {
    const response = await get(`/v1/invoices/${invoices[0]!.id}`);
    expect(response.status).toBe(200);
    const doc = await jsonOf(response);
    expect(doc).toMatchObject({
      id: invoices[0]!.id,
      type: 'invoice',
      number: invoices[0]!.number,
      status: 'open',
      order_id: invoices[0]!.orderId,
      currency: 'nok',
      base_currency: 'nok',
      exchange_rate: null,
      prices_include_vat: false,
      payment_reference: expect.any(String),
      external_id: 'erp-1',
      credits: null,
      // 1000.00 − 10 % = 900.00 excl. VAT, 25 % VAT
      totals: { discount: 10_000, excl_vat: 90_000, vat: 22_500, incl_vat: 112_500 },
      vat_summary: [{ rate_bp: 2500, vat_percent: 25, base: 90_000, amount: 22_500 }],
      seller: {
        legal_name: 'Fjellskolen AS',
        org_number: '912 345 678',
        vat_number: 'NO912345678MVA',
        bank_account: '1234.56.78903',
        address: { line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo', country_code: 'NO' },
      },
      customer: {
        name: 'Customer 1 AS',
        company: 'Customer 1 AS',
        contact: 'Kari Nordmann 1',
        org_number: '910000001',
        vat_number: 'NO910000001MVA',
        gln: '7080000000001',
        reference: 'PO-1',
        email: 'ap-1@example.com',
        address: { line_1: 'Fakturaveien 1', city: 'Oslo' },
      },
      delivery: { name: 'Goods reception 1', address: { line_1: 'Lagerveien 1', zipcode: '1400', city: 'Ski' } },
      lines: [
        {
          position: 1,
          quantity: 1,
          unit_price: 100_000,
          discount: 10_000,
          discount_percent: 10,
          vat_rate_bp: 2500,
          vat_percent: 25,
          excl_vat: 90_000,
          vat: 22_500,
          incl_vat: 112_500,
        },
      ],
    });
    expect(doc.due_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    expect(doc.due_date > doc.date).toBe(true);
    // Each line says what it documents: the order line, the product (and its type), the event date.
    const order = (await client.getOrder(invoices[0]!.orderId)).body;
    expect(doc.lines[0]).toMatchObject({
      line_id: order.lines[0].id,
      line_type: 'course',
      product_id: order.lines[0].product_id,
      occurrence_id: occurrenceId,
      date: null,
    });
  });

  it('GET /v1/invoices/{id}.pdf answers a PDF with the number, parties and totals', async () => {
    const response = await get(`/v1/invoices/${invoices[0]!.id}.pdf`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/pdf');
    expect(response.headers.get('content-disposition')).toContain(`invoice-${invoices[0]!.number}.pdf`);
    const text = await pdfText(response);
    for (const s of [
      'Invoice',
      invoices[0]!.number,
      'Fjellskolen AS',
      'Org. no. 912 345 678',
      'Customer 1 AS',
      'PO-1',
      'GLN 7080000000001',
      'Lagerveien 1',
      'VAT 25 % of 900.00',
      'Amount due',
      '1125.00 NOK',
      'Due date',
    ]) {
      expect(text).toContain(s);
    }
  });

  it('a credit note names the invoice it credits', async () => {
    const doc = await jsonOf(await get(`/v1/invoices/${creditNote.id}`));
    expect(doc).toMatchObject({
      type: 'credit_note',
      number: creditNote.number,
      credits: { id: invoices[1]!.id, number: invoices[1]!.number },
    });
    const text = await pdfText(await get(`/v1/invoices/${creditNote.id}.pdf`));
    expect(text).toContain('Credit note');
    expect(text).toContain(`This credit note credits invoice ${invoices[1]!.number}.`);
  });

  it("another tenant's document, an unknown id and a malformed id are 404", async () => {
    for (const path of [`/v1/invoices/${invoices[0]!.id}`, `/v1/invoices/${invoices[0]!.id}.pdf`]) {
      const response = await get(path, other.apiKey);
      expect(response.status).toBe(404);
      expect((await jsonOf(response)).code).toBe('not_found');
    }
    expect((await get(`/v1/invoices/${crypto.randomUUID()}.pdf`)).status).toBe(404);
    expect((await get('/v1/invoices/not-a-uuid')).status).toBe(404);
    expect((await get('/v1/invoices/not-a-uuid.pdf')).status).toBe(404);
  });

  it('needs the invoices scope', async () => {
    const readOnly = await addApiKey(stack.database.db, tenant.id, ['orders:read']);
    for (const path of ['/v1/invoices', `/v1/invoices/${invoices[0]!.id}`, `/v1/invoices/${invoices[0]!.id}.pdf`]) {
      const response = await get(path, readOnly);
      expect(response.status).toBe(403);
      expect((await jsonOf(response)).code).toBe('missing_scope');
    }
  });
});

describe('invoice email', () => {
  it('carries the invoice as a PDF attachment', async () => {
    for (const invoice of invoices) {
      const mail = await eventually(async () => (await stack.mail()).find((m) => m.to.includes(invoice.email)));
      expect(mail.subject).toContain(invoice.number);
      expect(mail.attachments).toEqual([
        expect.objectContaining({ contentType: 'application/pdf', filename: `invoice-${invoice.number}.pdf` }),
      ]);
      expect(mail.attachments[0]!.size).toBeGreaterThan(1000);
    }
    // The outbox row holds the document's id, not the PDF.
    const rows = await stack.database.db
      .selectFrom('email_outbox')
      .select(['kind', 'attachment_invoice_id'])
      .where('order_id', '=', invoices[0]!.orderId)
      .execute();
    expect(rows.find((r) => r.kind === 'invoice')?.attachment_invoice_id).toBe(invoices[0]!.id);
    expect(rows.filter((r) => r.kind !== 'invoice').every((r) => r.attachment_invoice_id === null)).toBe(true);
  });
});

describe('listing for an accounting export', () => {
  it('pages through invoices and credit notes in number order with after_number (JSON)', async () => {
    const first = await get('/v1/invoices?limit=2');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/json');
    const page1 = await jsonOf(first);
    expect(page1.data.map((d: { number: string }) => d.number)).toEqual([invoices[0]!.number, invoices[1]!.number]);
    expect(page1.next_after_number).toBe(invoices[1]!.number);
    expect(page1.data[1]).toMatchObject({
      type: 'invoice',
      customer: { company: 'Customer 2 AS', reference: 'PO-2' },
      delivery: { name: 'Goods reception 2' },
      totals: { incl_vat: 112_500 },
      vat_summary: [{ vat_percent: 25 }],
      lines: [{ description: expect.any(String), quantity: 1 }],
    });

    const page2 = await jsonOf(
      await get(`/v1/invoices?limit=2&after_number=${encodeURIComponent(page1.next_after_number)}`),
    );
    expect(page2.data.map((d: { number: string; type: string }) => [d.number, d.type])).toEqual([
      [invoices[2]!.number, 'invoice'],
      [creditNote.number, 'credit_note'],
    ]);
    expect(page2.next_after_number).toBeNull();

    const empty = await jsonOf(await get(`/v1/invoices?after_number=${encodeURIComponent(creditNote.number)}`));
    expect(empty).toEqual({ data: [], next_after_number: null });
  });

  it('answers the same pages as XML', async () => {
    const parser = new XMLParser({
      isArray: (name) => ['invoice', 'line', 'rate'].includes(name),
      parseTagValue: false,
    });
    const first = await get('/v1/invoices?limit=2&format=xml');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toContain('application/xml');
    const xml1 = parser.parse(await first.text());
    expect(xml1.invoices.invoice).toHaveLength(2);
    const [a, b] = xml1.invoices.invoice;
    expect(a).toMatchObject({
      id: invoices[0]!.id,
      type: 'invoice',
      number: invoices[0]!.number,
      order_id: invoices[0]!.orderId,
      currency: 'nok',
      exchange_rate: '',
      credits: '',
      due_date: expect.stringMatching(/^\d{4}-\d{2}-\d{2}$/),
      totals: { discount: '10000', excl_vat: '90000', vat: '22500', incl_vat: '112500' },
      seller: { legal_name: 'Fjellskolen AS', org_number: '912 345 678', vat_number: 'NO912345678MVA' },
      customer: {
        company: 'Customer 1 AS',
        gln: '7080000000001',
        reference: 'PO-1',
        address: { line_1: 'Fakturaveien 1', city: 'Oslo' },
      },
      delivery: { name: 'Goods reception 1', address: { line_1: 'Lagerveien 1' } },
    });
    expect(a.vat_summary.rate).toEqual([{ rate_bp: '2500', vat_percent: '25', base: '90000', amount: '22500' }]);
    expect(a.lines.line).toEqual([
      expect.objectContaining({
        position: '1',
        quantity: '1',
        unit_price: '100000',
        discount: '10000',
        vat_percent: '25',
        incl_vat: '112500',
        line_type: 'course',
        occurrence_id: occurrenceId,
      }),
    ]);
    expect(b.number).toBe(invoices[1]!.number);
    expect(xml1.invoices.next_after_number).toBe(invoices[1]!.number);

    const xml2 = parser.parse(
      await (
        await get(`/v1/invoices?limit=2&format=xml&after_number=${encodeURIComponent(invoices[1]!.number)}`)
      ).text(),
    );
    expect(xml2.invoices.invoice.map((i: { number: string; type: string }) => [i.number, i.type])).toEqual([
      [invoices[2]!.number, 'invoice'],
      [creditNote.number, 'credit_note'],
    ]);
    expect(xml2.invoices.invoice[1].credits).toEqual({ id: invoices[1]!.id, number: invoices[1]!.number });
    expect(xml2.invoices.next_after_number).toBe('');
  });

  it('400 format_unsupported for an unknown format', async () => {
    const response = await get('/v1/invoices?format=csv');
    expect(response.status).toBe(400);
    expect(response.headers.get('content-type')).toContain('application/problem+json');
    expect((await jsonOf(response)).code).toBe('format_unsupported');
  });

  it("404 after_number_unknown when after_number is not one of the tenant's documents", async () => {
    const unknown = await get('/v1/invoices?after_number=FS-1999-000001');
    expect(unknown.status).toBe(404);
    expect((await jsonOf(unknown)).code).toBe('after_number_unknown');
    // Another tenant's number is unknown too, and that tenant sees none of these documents.
    const theirs = await get(`/v1/invoices?after_number=${encodeURIComponent(invoices[0]!.number)}`, other.apiKey);
    expect(theirs.status).toBe(404);
    expect((await jsonOf(theirs)).code).toBe('after_number_unknown');
    expect(await jsonOf(await get('/v1/invoices', other.apiKey))).toEqual({ data: [], next_after_number: null });
  });

  it('400 validation_failed for a limit out of range', async () => {
    const response = await get('/v1/invoices?limit=0');
    expect(response.status).toBe(400);
    expect((await jsonOf(response)).code).toBe('validation_failed');
  });
});
