import { type Kysely, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';

// Issued documents (invoices, receipts, credit notes) as the API, the listing export and the PDF
// show them. Everything comes from the stored document (its lines, seller and buyer snapshots,
// totals, VAT summary), so a document looks the same however often it is fetched; only the
// delivery address and the order number come from the order, which the document belongs to.

export type DocumentType = 'invoice' | 'receipt' | 'credit_note';

/** Dates on documents (issue date, due date) are calendar days in this zone. */
export const DOCUMENT_TIME_ZONE = 'Europe/Oslo';

export interface DocumentAddress {
  line_1: string | null;
  line_2: string | null;
  line_3: string | null;
  zipcode: string | null;
  city: string | null;
  country_code: string | null;
}

export interface DocumentSeller {
  /** The tenant's display name. */
  name: string;
  legal_name: string | null;
  org_number: string | null;
  vat_number: string | null;
  address: DocumentAddress | null;
  bank_account: string | null;
  email: string | null;
}

export interface DocumentCustomer {
  /** Who the document is addressed to: the company, else the invoice contact, else the booker. */
  name: string | null;
  company: string | null;
  /** The invoice contact person (invoice.firstname + lastname), else the booker. */
  contact: string | null;
  org_number: string | null;
  vat_number: string | null;
  gln: string | null;
  /** The buyer's reference (invoice.reference). */
  reference: string | null;
  email: string | null;
  phone: string | null;
  address: DocumentAddress | null;
}

export interface DocumentDelivery {
  name: string | null;
  address: DocumentAddress | null;
}

export interface DocumentLine {
  position: number;
  /** The order line it documents (null on documents issued before lines carried it). */
  line_id: string | null;
  /** The product's type: course, ticket, item, voucher, … */
  line_type: string | null;
  product_id: string | null;
  /** The occurrence (event date) the line is for, or the date of a per-date product. */
  occurrence_id: string | null;
  date: string | null;
  description: string;
  quantity: number;
  /** Minor units, in the document's price basis (prices_include_vat). */
  unit_price: number;
  /** Discount on the whole line, minor units, price basis. */
  discount: number;
  discount_percent: number | null;
  vat_rate_bp: number;
  vat_percent: number;
  excl_vat: number;
  vat: number;
  incl_vat: number;
}

export interface DocumentVatRow {
  rate_bp: number;
  vat_percent: number;
  base: number;
  amount: number;
}

export interface InvoiceDocument {
  id: string;
  type: DocumentType;
  /** The document number, e.g. "2026-000042": what `after_number` takes. */
  number: string;
  series: string;
  sequence: number;
  status: 'open' | 'paid' | 'credited';
  order_id: string;
  order_number: number;
  /** Credit notes: the document they credit. */
  credits: { id: string; number: string } | null;
  issued_at: string;
  /** Issue date, YYYY-MM-DD in DOCUMENT_TIME_ZONE. */
  date: string;
  due_date: string | null;
  paid_at: string | null;
  currency: string;
  /** The tenant's base currency; exchange_rate converts it to `currency`. */
  base_currency: string;
  /** Base → document currency (1 base unit = rate document units); null when they are the same. */
  exchange_rate: string | null;
  prices_include_vat: boolean;
  payment_reference: string | null;
  external_id: string | null;
  totals: { discount: number; excl_vat: number; vat: number; incl_vat: number };
  vat_summary: DocumentVatRow[];
  seller: DocumentSeller;
  customer: DocumentCustomer;
  delivery: DocumentDelivery | null;
  lines: DocumentLine[];
}

type Json = Record<string, unknown>;

function record(value: unknown): Json {
  if (typeof value === 'string') {
    try {
      return record(JSON.parse(value));
    } catch {
      return {};
    }
  }
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Json) : {};
}

function list(value: unknown): unknown[] {
  if (typeof value === 'string') {
    try {
      return list(JSON.parse(value));
    } catch {
      return [];
    }
  }
  return Array.isArray(value) ? value : [];
}

function text(value: unknown): string | null {
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function int(value: unknown): number {
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? Math.round(n) : 0;
}

function decimal(value: unknown): number | null {
  if (value === null || value === undefined || value === '') return null;
  const n = typeof value === 'string' ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? n : null;
}

function percentOf(rateBp: number): number {
  return rateBp / 100;
}

export function normalizeAddress(value: unknown): DocumentAddress | null {
  const a = record(value);
  const address: DocumentAddress = {
    line_1: text(a.line_1),
    line_2: text(a.line_2),
    line_3: text(a.line_3),
    zipcode: text(a.zipcode),
    city: text(a.city),
    country_code: text(a.country_code),
  };
  return Object.values(address).some((v) => v !== null) ? address : null;
}

function isoOrNull(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

/** YYYY-MM-DD of an instant in DOCUMENT_TIME_ZONE. */
export function documentDate(value: Date | string): string {
  const date = value instanceof Date ? value : new Date(value);
  // en-CA formats as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', {
    timeZone: DOCUMENT_TIME_ZONE,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  }).format(date);
}

/** The seller as stored on a document at issue: a snapshot, so later edits of the tenant don't change it. */
export interface SellerSnapshot {
  name: string;
  id: string;
  legal_name: string | null;
  org_number: string | null;
  vat_number: string | null;
  address: Json | null;
  bank_account: string | null;
  email: string | null;
  base_currency: string;
  prices_include_vat: boolean;
}

const sellerDetails = compiledQuery((db, slot: SlotOf<{ tenantId: string }>) =>
  db
    .selectFrom('tenants')
    .select([
      'name',
      'slug',
      'legal_name',
      'org_number',
      'vat_number',
      'address',
      'bank_account',
      'email_from',
      'base_currency',
      'prices_include_vat',
    ])
    .where('id', '=', slot('tenantId')),
);

/** Reads the tenant's seller details for a document being issued (inside its transaction). */
export async function loadSellerSnapshot(db: Kysely<Database>, tenantId: string): Promise<SellerSnapshot> {
  const t = await sellerDetails.one(db, { tenantId });
  return {
    name: t.name,
    id: t.slug,
    legal_name: t.legal_name,
    org_number: t.org_number,
    vat_number: t.vat_number,
    address: t.address,
    bank_account: t.bank_account,
    email: t.email_from,
    base_currency: t.base_currency,
    prices_include_vat: t.prices_include_vat,
  };
}

function baseQuery(db: Kysely<Database>, tenantId: string) {
  return db
    .selectFrom('invoices')
    .innerJoin('orders', (j) =>
      j.onRef('orders.id', '=', 'invoices.order_id').onRef('orders.tenant_id', '=', 'invoices.tenant_id'),
    )
    .innerJoin('tenants', 'tenants.id', 'invoices.tenant_id')
    .leftJoin('invoices as credited', 'credited.id', 'invoices.credits_invoice_id')
    .selectAll('invoices')
    .select([
      'orders.number as order_number',
      'orders.delivery_details',
      'tenants.name as tenant_name',
      'tenants.legal_name as tenant_legal_name',
      'tenants.org_number as tenant_org_number',
      'tenants.vat_number as tenant_vat_number',
      'tenants.address as tenant_address',
      'tenants.bank_account as tenant_bank_account',
      'tenants.email_from as tenant_email',
      'tenants.base_currency as tenant_base_currency',
      'tenants.prices_include_vat as tenant_prices_include_vat',
      'credited.document_number as credits_number',
    ])
    .where('invoices.tenant_id', '=', tenantId);
}

type DocumentRow = Awaited<ReturnType<ReturnType<typeof baseQuery>['executeTakeFirstOrThrow']>>;

/** A stored row → the document as shown. Tolerant of sparse jsonb (older or hand-made rows). */
export function toInvoiceDocument(row: DocumentRow): InvoiceDocument {
  const seller = record(row.seller);
  // Documents issued before the seller snapshot held legal details show the tenant's current ones.
  const snapshot = 'legal_name' in seller;
  const pick = (key: string, current: unknown) => text(snapshot ? seller[key] : current);
  const buyer = record(row.buyer);
  const company = record(buyer.company);
  const invoice = record(buyer.invoice);
  const contactName = [text(invoice.firstname), text(invoice.lastname)].filter(Boolean).join(' ') || null;
  const companyName = text(company.name);
  const delivery = record(row.delivery_details);
  const deliveryAddress = normalizeAddress(delivery.address);
  const lines = list(row.lines).map((value, index): DocumentLine => {
    const l = record(value);
    const rateBp = int(l.vat_rate_bp);
    return {
      position: index + 1,
      line_id: text(l.order_line_id),
      line_type: text(l.product_type),
      product_id: text(l.product_id),
      occurrence_id: text(l.occurrence_id),
      date: text(l.date),
      description: text(l.description) ?? '',
      quantity: int(l.quantity),
      unit_price: int(l.unit_price),
      discount: int(l.discount),
      discount_percent: decimal(l.discount_percent),
      vat_rate_bp: rateBp,
      vat_percent: percentOf(rateBp),
      excl_vat: int(l.excl_vat),
      vat: int(l.vat),
      incl_vat: int(l.incl_vat),
    };
  });
  const issuedAt = row.issued_at instanceof Date ? row.issued_at : new Date(row.issued_at);
  return {
    id: row.id,
    type: row.kind,
    number: row.document_number,
    series: row.series,
    sequence: row.number,
    status: row.status,
    order_id: row.order_id,
    order_number: row.order_number,
    credits:
      row.credits_invoice_id && row.credits_number ? { id: row.credits_invoice_id, number: row.credits_number } : null,
    issued_at: issuedAt.toISOString(),
    date: documentDate(issuedAt),
    due_date: row.due_at ? documentDate(row.due_at) : null,
    paid_at: isoOrNull(row.paid_at),
    currency: row.currency,
    base_currency: text(seller.base_currency) ?? row.tenant_base_currency,
    exchange_rate: row.exchange_rate,
    prices_include_vat:
      typeof seller.prices_include_vat === 'boolean' ? seller.prices_include_vat : row.tenant_prices_include_vat,
    payment_reference: row.payment_reference,
    external_id: row.external_id,
    totals: {
      discount: lines.reduce((sum, l) => sum + l.discount, 0),
      excl_vat: row.total_excl_vat,
      vat: row.total_vat,
      incl_vat: row.total_incl_vat,
    },
    vat_summary: list(row.vat_summary).map((value) => {
      const v = record(value);
      const rateBp = int(v.rate_bp);
      return { rate_bp: rateBp, vat_percent: percentOf(rateBp), base: int(v.base), amount: int(v.amount) };
    }),
    seller: {
      name: text(seller.name) ?? row.tenant_name,
      legal_name: pick('legal_name', row.tenant_legal_name),
      org_number: pick('org_number', row.tenant_org_number),
      vat_number: pick('vat_number', row.tenant_vat_number),
      address: normalizeAddress(snapshot ? seller.address : row.tenant_address),
      bank_account: pick('bank_account', row.tenant_bank_account),
      email: pick('email', row.tenant_email),
    },
    customer: {
      name: companyName ?? contactName ?? text(buyer.name),
      company: companyName,
      contact: contactName ?? text(buyer.name),
      org_number: text(company.number),
      vat_number: text(company.vat_number),
      gln: text(company.gln),
      reference: text(invoice.reference),
      email: text(invoice.email) ?? text(buyer.email),
      phone: text(invoice.phone),
      address: normalizeAddress(invoice.address),
    },
    delivery: text(delivery.name) || deliveryAddress ? { name: text(delivery.name), address: deliveryAddress } : null,
    lines,
  };
}

const invoiceDocument = compiledQuery((db, slot: SlotOf<{ tenantId: string; id: string }>) =>
  baseQuery(db, slot('tenantId')).where('invoices.id', '=', slot('id')),
);

/** One document of the tenant, or undefined (also for another tenant's id). */
export async function loadInvoiceDocument(
  db: Kysely<Database>,
  tenantId: string,
  id: string,
): Promise<InvoiceDocument | undefined> {
  const row = await invoiceDocument.first(db, { tenantId, id });
  return row ? toInvoiceDocument(row) : undefined;
}

/** Where a document number sits in the tenant's (series, number) order; undefined when unknown. */
export async function findDocumentPosition(
  db: Kysely<Database>,
  tenantId: string,
  documentNumber: string,
): Promise<{ series: string; number: number } | undefined> {
  return db
    .selectFrom('invoices')
    .select(['series', 'number'])
    .where('tenant_id', '=', tenantId)
    .where('document_number', '=', documentNumber)
    .orderBy('series')
    .orderBy('number')
    .limit(1)
    .executeTakeFirst();
}

/** The tenant's documents of every type after `after` in (series, number) order. */
export async function listInvoiceDocuments(
  db: Kysely<Database>,
  tenantId: string,
  options: { after?: { series: string; number: number }; limit: number },
): Promise<InvoiceDocument[]> {
  let query = baseQuery(db, tenantId);
  const after = options.after;
  if (after) {
    query = query.where(sql<boolean>`(invoices.series, invoices.number) > (${after.series}, ${after.number}::bigint)`);
  }
  const rows = await query.orderBy('invoices.series').orderBy('invoices.number').limit(options.limit).execute();
  return rows.map(toInvoiceDocument);
}

/** What marking an invoice paid needs to know about a document and its order. */
export interface InvoicePaymentTarget {
  id: string;
  kind: DocumentType;
  status: 'open' | 'paid' | 'credited';
  document_number: string;
  total_incl_vat: number;
  order_id: string;
  workflow_id: string;
}

export type InvoicePaymentMatch = { id: string } | { documentNumber: string } | { externalId: string };

// One statement per way of naming the documents.
const paymentTargetsBy = (column: 'invoices.id' | 'invoices.document_number' | 'invoices.external_id') =>
  compiledQuery((db, slot: SlotOf<{ tenantId: string; value: string }>) =>
    db
      .selectFrom('invoices')
      .innerJoin('orders', (j) =>
        j.onRef('orders.id', '=', 'invoices.order_id').onRef('orders.tenant_id', '=', 'invoices.tenant_id'),
      )
      .select([
        'invoices.id',
        'invoices.kind',
        'invoices.status',
        'invoices.document_number',
        'invoices.total_incl_vat',
        'invoices.order_id',
        'orders.workflow_id',
      ])
      .where('invoices.tenant_id', '=', slot('tenantId'))
      .where(column, '=', slot('value'))
      .orderBy('invoices.series')
      .orderBy('invoices.number'),
  );
const paymentTargetsById = paymentTargetsBy('invoices.id');
const paymentTargetsByNumber = paymentTargetsBy('invoices.document_number');
const paymentTargetsByExternalId = paymentTargetsBy('invoices.external_id');

/** The tenant's documents that `match` names, of every kind, in number order. */
export async function findInvoicePaymentTargets(
  db: Kysely<Database>,
  tenantId: string,
  match: InvoicePaymentMatch,
): Promise<InvoicePaymentTarget[]> {
  if ('id' in match) return paymentTargetsById.all(db, { tenantId, value: match.id });
  if ('documentNumber' in match) return paymentTargetsByNumber.all(db, { tenantId, value: match.documentNumber });
  return paymentTargetsByExternalId.all(db, { tenantId, value: match.externalId });
}
