import { z } from '@hono/zod-openapi';
import { limitQuery } from './common';

// Issued documents (invoices, receipts, credit notes) as GET /v1/invoices and
// GET /v1/invoices/{id} return them; db/queries/invoices.ts builds them. Amounts are integer
// minor units of the document currency.

const nullableText = z.string().nullable();

export const documentAddressSchema = z
  .object({
    line_1: nullableText,
    line_2: nullableText,
    line_3: nullableText,
    zipcode: nullableText,
    city: nullableText,
    country_code: nullableText,
  })
  .openapi('DocumentAddress');

export const documentSellerSchema = z
  .object({
    name: z.string(),
    legal_name: nullableText,
    org_number: nullableText,
    vat_number: nullableText,
    address: documentAddressSchema.nullable(),
    bank_account: nullableText,
    email: nullableText,
  })
  .openapi('DocumentSeller', { description: 'The tenant as it was when the document was issued' });

export const documentCustomerSchema = z
  .object({
    name: nullableText.openapi({ description: 'The company, else the invoice contact, else the booker' }),
    company: nullableText,
    contact: nullableText.openapi({ description: 'The invoice contact person, else the booker' }),
    org_number: nullableText,
    vat_number: nullableText,
    gln: nullableText.openapi({ description: 'GLN (EHF/Peppol location number) of the buyer' }),
    reference: nullableText.openapi({ description: "The buyer's reference (order's invoice.reference)" }),
    email: nullableText,
    phone: nullableText,
    address: documentAddressSchema.nullable(),
  })
  .openapi('DocumentCustomer');

export const documentLineSchema = z
  .object({
    position: z.number().int(),
    line_id: z.string().nullable().openapi({ description: 'The order line it documents' }),
    line_type: z.string().nullable().openapi({ description: "The product's type", example: 'course' }),
    product_id: z.string().nullable().openapi({ description: 'The product (our catalogue id: we keep no SKUs)' }),
    occurrence_id: z.string().nullable().openapi({ description: 'The occurrence (event date) the line is for' }),
    date: z.string().nullable().openapi({ description: 'The date a per-date product was bought for' }),
    description: z.string(),
    quantity: z.number().int(),
    unit_price: z.number().int().openapi({ description: 'Per unit, in the price basis (see prices_include_vat)' }),
    discount: z.number().int().openapi({ description: 'For the whole line, in the price basis' }),
    discount_percent: z.number().nullable(),
    vat_rate_bp: z.number().int().openapi({ description: 'Basis points: 2500 = 25 %' }),
    vat_percent: z.number(),
    excl_vat: z.number().int(),
    vat: z.number().int(),
    incl_vat: z.number().int(),
  })
  .openapi('DocumentLine');

export const documentVatRowSchema = z
  .object({
    rate_bp: z.number().int(),
    vat_percent: z.number(),
    base: z.number().int().openapi({ description: 'Sum excl. VAT of the lines at this rate' }),
    amount: z.number().int(),
  })
  .openapi('DocumentVatRow');

export const invoiceDocumentSchema = z
  .object({
    id: z.string().uuid(),
    type: z
      .enum(['invoice', 'receipt', 'credit_note'])
      .openapi({ description: 'A receipt is an invoice paid at once (card orders)' }),
    number: z.string().openapi({
      example: '2026-000042',
      description: 'The document number; pass it as after_number to continue after it',
    }),
    series: z.string().openapi({ example: '2026' }),
    sequence: z.number().int().openapi({ example: 42, description: 'Number within the series (gapless)' }),
    status: z.enum(['open', 'paid', 'credited']),
    order_id: z.string().uuid(),
    order_number: z.number().int(),
    credits: z
      .object({ id: z.string().uuid(), number: z.string() })
      .nullable()
      .openapi({ description: 'Credit notes: the document they credit' }),
    issued_at: z.string(),
    date: z.string().openapi({ example: '2026-03-02', description: 'Issue date (Europe/Oslo)' }),
    due_date: z.string().nullable(),
    paid_at: z.string().nullable(),
    currency: z.string(),
    base_currency: z.string(),
    exchange_rate: z.string().nullable().openapi({
      example: '0.0853',
      description: '1 base_currency = exchange_rate currency; null when they are the same',
    }),
    prices_include_vat: z.boolean().openapi({ description: 'Whether unit_price and discount include VAT' }),
    payment_reference: nullableText,
    external_id: nullableText,
    totals: z.object({
      discount: z.number().int(),
      excl_vat: z.number().int(),
      vat: z.number().int(),
      incl_vat: z.number().int(),
    }),
    vat_summary: z.array(documentVatRowSchema),
    seller: documentSellerSchema,
    customer: documentCustomerSchema,
    delivery: z
      .object({ name: nullableText, address: documentAddressSchema.nullable() })
      .nullable()
      .openapi({ description: "The order's delivery details" }),
    lines: z.array(documentLineSchema),
  })
  .openapi('InvoiceDocument');

export const invoiceListSchema = z
  .object({
    data: z.array(invoiceDocumentSchema),
    next_after_number: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as after_number for the next page; null on the last page' }),
  })
  .openapi('InvoiceList');

export const INVOICE_LIST_FORMATS = ['json', 'xml'] as const;

export const invoiceListQuery = z.object({
  after_number: z.string().min(1).max(60).optional().openapi({
    example: '2026-000042',
    description: 'A document number of this tenant; the list continues after it (excl.)',
  }),
  limit: limitQuery,
  format: z
    .string()
    .optional()
    .openapi({
      enum: [...INVOICE_LIST_FORMATS],
      description: 'json (default) or xml; anything else is 400 format_unsupported',
    }),
});
