import type { Db } from '../../db/database';
import { loadOrderEmailData } from '../../db/queries/order-email-data';
import type { InvoicesTable } from '../../db/schema';
import type { OrderEmailView } from './email-templates';

export interface OrderEmailRecipients {
  /** orders.booker_email, else booker.email. */
  booker: string | null;
  /** invoice_details.email. */
  invoice: string | null;
  /** E-mail addresses of the active participants, in position order (may repeat the booker). */
  participants: string[];
}

export interface LoadedOrderEmailView {
  tenantId: string;
  view: OrderEmailView;
  /** The client's language tag (orders.client.language), else the tenant's locale. */
  language: string;
  recipients: OrderEmailRecipients;
  /** orders.config.send_receipt_email_to_participant */
  sendToParticipants: boolean;
}

export interface LoadOrderEmailViewOptions {
  /** Which document's number and due date to show; the latest document of any kind otherwise. */
  documentKind?: InvoicesTable['kind'];
  /** Makes a relative payment redirect URL absolute. */
  publicBaseUrl?: string;
}

export class OrderNotFoundError extends Error {
  constructor(orderId: string) {
    super(`order ${orderId} not found`);
    this.name = 'OrderNotFoundError';
  }
}

type JsonRecord = Record<string, unknown>;

function asRecord(value: unknown): JsonRecord {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as JsonRecord) : {};
}

function str(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

function iso(value: Date | string | null | undefined): string | null {
  if (value === null || value === undefined) return null;
  const date = value instanceof Date ? value : new Date(value);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function absoluteUrl(url: string | null, base: string | undefined): string | null {
  if (!url) return null;
  try {
    return new URL(url, base ? `${base.replace(/\/+$/, '')}/` : undefined).toString();
  } catch {
    return null;
  }
}

/** Everything an order e-mail needs, read from the order's rows. Throws OrderNotFoundError. */
export async function loadOrderEmailView(
  db: Db,
  orderId: string,
  options: LoadOrderEmailViewOptions = {},
): Promise<LoadedOrderEmailView> {
  const data = await loadOrderEmailData(db, orderId);
  if (!data) throw new OrderNotFoundError(orderId);
  const { order, lines, participants, documents, payments, giftVouchers, renewal } = data;

  const booker = asRecord(order.booker);
  const invoiceDetails = asRecord(order.invoice_details);
  const company = asRecord(order.company);
  const client = asRecord(order.client);
  const config = asRecord(order.config);

  const invoiceName = [str(invoiceDetails.firstname), str(invoiceDetails.lastname)].filter(Boolean).join(' ');
  const firstParticipant = participants[0];
  const participantName = firstParticipant ? `${firstParticipant.firstname} ${firstParticipant.lastname}`.trim() : '';
  const customerName = str(booker.name) ?? (invoiceName || null) ?? str(company.name) ?? participantName;

  const document =
    (options.documentKind ? documents.find((d) => d.kind === options.documentKind) : undefined) ?? documents[0];

  const pendingCharge = payments.find((p) => p.kind === 'charge' && p.status === 'pending' && p.redirect_url);
  const refunds = payments.filter((p) => p.kind === 'refund' && (p.status === 'succeeded' || p.status === 'pending'));
  const refundAmount = refunds.length > 0 ? refunds.reduce((sum, p) => sum + p.amount, 0) : null;

  const view: OrderEmailView = {
    tenantName: order.tenant_name,
    orderNumber: order.number,
    orderId: order.id,
    customerName,
    currency: order.currency,
    lines: lines.map((l) => ({ description: l.description, quantity: l.quantity, inclVat: l.incl_vat })),
    totals: { exclVat: order.total_excl_vat, vat: order.total_vat, inclVat: order.total_incl_vat },
    vatSummary: (Array.isArray(order.vat_summary) ? order.vat_summary : []).map((v) => ({
      rateBp: v.rate_bp,
      base: v.base,
      amount: v.amount,
    })),
    preliminaryUntil: iso(order.preliminary_until),
    paymentUrl: absoluteUrl(pendingCharge?.redirect_url ?? null, options.publicBaseUrl),
    documentNumber: document?.document_number ?? null,
    dueDate: iso(document?.due_at),
    refundAmount,
    giftVouchers: giftVouchers.map((v) => ({
      code: v.code,
      value: v.initial_value ?? 0,
      validUntil: iso(v.valid_until),
    })),
    subscriptionRenewal: renewal
      ? { number: renewal.subscriptionNumber, periodStart: renewal.periodStart, periodLastDay: renewal.periodLastDay }
      : null,
  };

  return {
    tenantId: order.tenant_id,
    view,
    language: str(client.language) ?? order.tenant_locale,
    recipients: {
      booker: str(order.booker_email) ?? str(booker.email),
      invoice: str(invoiceDetails.email),
      participants: participants.map((p) => str(p.email)).filter((e): e is string => e !== null),
    },
    sendToParticipants: config.send_receipt_email_to_participant === true,
  };
}
