import { extractText } from 'unpdf';
import { describe, expect, it } from 'vitest';
import { renderInvoicePdf } from '../../activities/documents/invoice-pdf';
import type { InvoiceDocument } from '../../db/queries/invoices';

function invoiceFixture(overrides: Partial<InvoiceDocument> = {}): InvoiceDocument {
  return {
    id: '6f1c3c8e-0000-4000-8000-000000000001',
    type: 'invoice',
    number: 'DA-2026-000042',
    series: '2026',
    sequence: 42,
    status: 'open',
    order_id: '6f1c3c8e-0000-4000-8000-0000000000aa',
    order_number: 1017,
    credits: null,
    issued_at: '2026-03-02T09:15:00.000Z',
    date: '2026-03-02',
    due_date: '2026-03-16',
    paid_at: null,
    currency: 'eur',
    base_currency: 'nok',
    exchange_rate: '0.0853',
    prices_include_vat: false,
    payment_reference: '1017',
    external_id: 'erp-4711',
    totals: { discount: 2_500, excl_vat: 22_500, vat: 5_425, incl_vat: 27_925 },
    vat_summary: [
      { rate_bp: 2500, vat_percent: 25, base: 20_000, amount: 5_000 },
      { rate_bp: 1700, vat_percent: 17, base: 2_500, amount: 425 },
    ],
    seller: {
      name: 'Demo Academy',
      legal_name: 'Demo Academy AS',
      org_number: '912 345 678',
      vat_number: 'NO912345678MVA',
      address: { line_1: 'Storgata 1', line_2: null, line_3: null, zipcode: '0155', city: 'Oslo', country_code: 'NO' },
      bank_account: '1234.56.78903',
      email: 'orders@demo.example',
    },
    customer: {
      name: 'Example Inc',
      company: 'Example Inc',
      contact: 'Kari Nordmann',
      org_number: '998 877 665',
      vat_number: 'NO998877665MVA',
      gln: '7080000123456',
      reference: 'PO-5521',
      email: 'invoice@example.com',
      phone: null,
      address: {
        line_1: '125 Holburn Lane',
        line_2: null,
        line_3: null,
        zipcode: '0262',
        city: 'Oslo',
        country_code: 'NO',
      },
    },
    delivery: {
      name: 'Example Inc, goods reception',
      address: { line_1: 'Lagerveien 9', line_2: null, line_3: null, zipcode: '1400', city: 'Ski', country_code: 'NO' },
    },
    lines: [
      {
        position: 1,
        line_id: null,
        line_type: null,
        product_id: null,
        occurrence_id: null,
        date: null,
        description: 'First aid course',
        quantity: 2,
        unit_price: 10_000,
        discount: 2_500,
        discount_percent: 12.5,
        vat_rate_bp: 2500,
        vat_percent: 25,
        excl_vat: 17_500,
        vat: 4_375,
        incl_vat: 21_875,
      },
      {
        position: 2,
        line_id: null,
        line_type: null,
        product_id: null,
        occurrence_id: null,
        date: null,
        description: 'Exam',
        quantity: 1,
        unit_price: 2_500,
        discount: 0,
        discount_percent: null,
        vat_rate_bp: 2500,
        vat_percent: 25,
        excl_vat: 2_500,
        vat: 625,
        incl_vat: 3_125,
      },
      {
        position: 3,
        line_id: null,
        line_type: null,
        product_id: null,
        occurrence_id: null,
        date: null,
        description: 'Course book',
        quantity: 1,
        unit_price: 2_500,
        discount: 0,
        discount_percent: null,
        vat_rate_bp: 1700,
        vat_percent: 17,
        excl_vat: 2_500,
        vat: 425,
        incl_vat: 2_925,
      },
    ],
    ...overrides,
  };
}

async function pdfText(pdf: Buffer): Promise<string> {
  const { text } = await extractText(new Uint8Array(pdf), { mergePages: true });
  // pdf.js separates runs with spaces or newlines depending on layout: compare on single spaces.
  return text.replace(/\s+/g, ' ');
}

describe('renderInvoicePdf', () => {
  it('renders an invoice with seller, buyer, lines, VAT per rate, totals, due date and number', async () => {
    const pdf = await renderInvoicePdf(invoiceFixture());
    expect(pdf.subarray(0, 5).toString('latin1')).toBe('%PDF-');
    const text = await pdfText(pdf);

    expect(text).toContain('Invoice');
    expect(text).toContain('DA-2026-000042');
    // Seller with its legal details.
    for (const s of [
      'Demo Academy AS',
      'Storgata 1',
      '0155 Oslo',
      'Org. no. 912 345 678',
      'VAT no. NO912345678MVA',
      '1234.56.78903',
    ])
      expect(text).toContain(s);
    // Buyer: company, contact, address, org and VAT numbers, GLN, reference.
    for (const s of [
      'Example Inc',
      'Attn. Kari Nordmann',
      '125 Holburn Lane',
      '0262 Oslo',
      'Org. no. 998 877 665',
      'VAT no. NO998877665MVA',
      'GLN 7080000123456',
      'PO-5521',
    ]) {
      expect(text).toContain(s);
    }
    expect(text).toContain('Lagerveien 9');
    // Lines: quantity, unit price, discount, VAT %, amounts.
    expect(text).toContain('First aid course (-12.5 %)');
    for (const s of ['100.00', '25.00', '175.00', '43.75', '218.75', 'Course book', '17 %']) expect(text).toContain(s);
    // VAT summary per rate and totals.
    expect(text).toContain('VAT 25 % of 200.00');
    expect(text).toContain('50.00 EUR');
    expect(text).toContain('VAT 17 % of 25.00');
    expect(text).toContain('4.25 EUR');
    expect(text).toContain('Total excl. VAT');
    expect(text).toContain('225.00 EUR');
    expect(text).toContain('Amount due');
    expect(text).toContain('279.25 EUR');
    // Dates, reference, currency and the exchange rate used.
    expect(text).toContain('Due date');
    expect(text).toContain('2026-03-16');
    expect(text).toContain('2026-03-02');
    expect(text).toContain('Payment reference');
    expect(text).toContain('1 NOK = 0.0853 EUR');
    expect(text).toContain('Please pay 279.25 EUR to account 1234.56.78903 by 2026-03-16.');
  });

  it('titles a credit note and names the invoice it credits', async () => {
    const pdf = await renderInvoicePdf(
      invoiceFixture({
        type: 'credit_note',
        number: 'DA-2026-000050',
        status: 'open',
        due_date: null,
        credits: { id: '6f1c3c8e-0000-4000-8000-000000000001', number: 'DA-2026-000042' },
      }),
    );
    const text = await pdfText(pdf);
    expect(text).toContain('Credit note');
    expect(text).toContain('DA-2026-000050');
    expect(text).toContain('Credits invoice');
    expect(text).toContain('This credit note credits invoice DA-2026-000042.');
    expect(text).toContain('Amount credited');
    expect(text).not.toContain('Amount due');
  });

  it('titles a receipt as paid', async () => {
    const text = await pdfText(
      await renderInvoicePdf(
        invoiceFixture({ type: 'receipt', status: 'paid', due_date: null, paid_at: '2026-03-02T09:15:00.000Z' }),
      ),
    );
    expect(text).toContain('Receipt');
    expect(text).toContain('Total paid');
    expect(text).not.toContain('Due date');
  });

  it('renders a sparse document and breaks long documents over pages', async () => {
    const sparse = invoiceFixture({
      exchange_rate: null,
      currency: 'nok',
      delivery: null,
      lines: [],
      vat_summary: [],
      seller: {
        name: 'Tenant x',
        legal_name: null,
        org_number: null,
        vat_number: null,
        address: null,
        bank_account: null,
        email: null,
      },
      customer: {
        name: null,
        company: null,
        contact: null,
        org_number: null,
        vat_number: null,
        gln: null,
        reference: null,
        email: null,
        phone: null,
        address: null,
      },
    });
    expect(await pdfText(await renderInvoicePdf(sparse))).toContain('No lines');

    const many = invoiceFixture({
      lines: Array.from({ length: 60 }, (_, i) => ({
        ...invoiceFixture().lines[1]!,
        position: i + 1,
        description: `Item ${i + 1}`,
      })),
    });
    const { totalPages, text } = await extractText(new Uint8Array(await renderInvoicePdf(many)), { mergePages: true });
    expect(totalPages).toBeGreaterThan(1);
    expect(text).toContain('Item 60');
    expect(text).toContain(`Page ${totalPages} of ${totalPages}`);
  });
});
