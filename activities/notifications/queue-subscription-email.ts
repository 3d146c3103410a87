import type { Db } from '../../db/database';
import { loadSubscriptionEmailData, type SubscriptionEmailData } from '../../db/queries/subscription-email-data';
import { vatFromExclusive } from '../../domain/pricing';
import { DEFAULT_EMAIL_TIME_ZONE } from './email-templates';
import { deliverSoon, type FromResolver, type MailTransport, queueEmails } from './outbox';
import {
  type RenewalPayment,
  renderSubscriptionEmail,
  type SubscriptionEmailView,
  dayBefore,
} from './subscription-email-templates';

/** The mails a subscription's workflow sends (issue 13, point 6); the renewal receipt is its order's receipt. */
export type SubscriptionEmailKind = 'welcome' | 'renewal_notice' | 'payment_failed' | 'suspended' | 'cancelled';

export interface QueueSubscriptionEmailInput {
  tenantId: string;
  subscriptionId: string;
  kind: SubscriptionEmailKind;
  /** Tells mails of one kind apart (the renewal a notice is for, the dunning attempt): each is sent once. */
  sequence?: number;
  /** payment_failed, suspended: where the customer pays the renewal (another card). */
  payUrl?: string | null;
  /** renewal_notice: the day of the renewal (YYYY-MM-DD). */
  renewalDate?: string;
  /** payment_failed: the day the charge is tried again (YYYY-MM-DD); without it the mail names no day. */
  retryDate?: string | null;
}

export interface QueueSubscriptionEmailDeps {
  db: Db;
  transport: MailTransport;
  publicBaseUrl: string;
  /** From header per tenant; the tenant's email_from when absent. */
  from?: FromResolver;
}

/**
 * The outbox kind of one subscription mail. The outbox sends each (order, kind, recipient) once
 * and the Message-ID is built from (kind, order, recipient), so naming the subscription and the
 * sequence here makes both unique per (subscription, kind, sequence): one order may have bought
 * several subscriptions, and the first order is the row's order_id.
 */
export function subscriptionOutboxKind(kind: SubscriptionEmailKind, subscriptionId: string, sequence = 1): string {
  return `subscription_${kind}_${sequence}.${subscriptionId}`;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function text(value: unknown): string | null {
  return typeof value === 'string' && value.trim() !== '' ? value.trim() : null;
}

/** How the next renewal is paid: what prepareRenewalCycle will order (a prepaid start renews by card). */
function renewalPaymentOf(data: SubscriptionEmailData): RenewalPayment {
  if (data.renewal_period_payment_methods.includes('free')) return 'free';
  if (data.payment_method === 'invoice') return 'invoice_sent';
  return data.saved_card_id ? 'card_charged' : 'pay_link';
}

/** The period's price as the subscriber pays it: incl. VAT, whatever the tenant's price basis. */
function priceInclVat(data: SubscriptionEmailData): number {
  const price = data.renewal_period_price;
  return data.tenant_prices_include_vat ? price : price + vatFromExclusive(price, data.vat_rate_bp);
}

/** The calendar day of an instant in the e-mails' zone (YYYY-MM-DD). */
function localDay(at: Date): string {
  return new Intl.DateTimeFormat('en-CA', { timeZone: DEFAULT_EMAIL_TIME_ZONE }).format(at);
}

function viewOf(data: SubscriptionEmailData, input: QueueSubscriptionEmailInput): SubscriptionEmailView {
  const renewalPayment = renewalPaymentOf(data);
  // A renewal's own order (sequence > 1) says what is due; before it exists, the period's price.
  const latest = data.latest_cycle;
  const renewalOrder =
    latest && latest.sequence > 1 && latest.order_total_incl_vat !== null && latest.order_currency ? latest : null;
  const view: SubscriptionEmailView = {
    tenantName: data.tenant_name,
    customerName: text(record(data.order_booker).name),
    subscriptionNumber: data.number,
    productName: data.product_name,
    periodName: data.period_name,
    currency: data.tenant_currency,
    paymentMethod: data.payment_method,
    renewalPayment,
  };
  switch (input.kind) {
    case 'welcome': {
      const first = data.first_cycle;
      view.firstPeriod = first
        ? { start: first.start_date, end: first.end_date }
        : { start: data.start_date, end: data.current_period_end };
      break;
    }
    case 'renewal_notice':
      view.renewalDate = input.renewalDate ?? data.current_period_end;
      view.renewalPeriodName = data.renewal_period_name;
      view.renewalPrice = priceInclVat(data);
      break;
    case 'payment_failed':
    case 'suspended':
      if (renewalOrder) {
        view.amountDue = renewalOrder.order_total_incl_vat;
        view.currency = renewalOrder.order_currency ?? view.currency;
      } else {
        view.amountDue = priceInclVat(data);
      }
      view.payUrl = input.payUrl ?? null;
      if (input.kind === 'payment_failed') view.retryDate = input.retryDate ?? null;
      break;
    case 'cancelled': {
      // Ending at the period end: its last paid day. Ended at once: the day it was cancelled.
      const endsLater = data.status !== 'cancelled' && data.cancel_at_period_end;
      const lastDay = endsLater
        ? dayBefore(data.current_period_end)
        : data.cancelled_at
          ? localDay(new Date(data.cancelled_at))
          : null;
      view.cancellation = { lastDay, ended: !endsLater, reason: data.cancel_reason };
      break;
    }
  }
  return view;
}

/**
 * Activity body: renders the subscription's e-mail of `kind` in the language of the order that
 * bought it (the client's language, else the tenant's locale, as order mails), queues it in the
 * outbox for the subscription's customer e-mail and tries to deliver it at once. Idempotent per
 * (subscription, kind, sequence): a retried or repeated call finds the row already queued (or
 * sent) and sends nothing twice. Nothing is queued when the subscription has no e-mail address.
 * SMTP failures leave the row pending for the dispatcher and do not fail the call.
 */
export async function queueSubscriptionEmail(
  deps: QueueSubscriptionEmailDeps,
  input: QueueSubscriptionEmailInput,
): Promise<void> {
  const data = await loadSubscriptionEmailData(deps.db, input);
  if (!data) throw new Error(`subscription ${input.subscriptionId} of tenant ${input.tenantId} not found`);
  const recipient = data.customer_email?.trim();
  if (!recipient) return;

  const language = text(record(data.order_client).language) ?? data.tenant_locale;
  const email = renderSubscriptionEmail(input.kind, language, viewOf(data, input));
  const ids = await queueEmails(deps.db, [
    {
      tenantId: input.tenantId,
      // The first order: a stable row for the outbox's once-key (a null order_id would never
      // conflict, so a retry would queue the mail again), and the order the subscription came from.
      orderId: data.order_id,
      kind: subscriptionOutboxKind(input.kind, input.subscriptionId, input.sequence),
      recipient,
      ...email,
    },
  ]);
  await deliverSoon(deps.db, deps.transport, ids, deps.from);
}
