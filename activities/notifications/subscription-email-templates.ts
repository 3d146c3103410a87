import Handlebars from 'handlebars';
import { formatMinor } from '../../domain/money';
import { type EmailLanguage, type RenderedEmail, resolveEmailLanguage } from './email-templates';
import type { SubscriptionEmailKind } from './queue-subscription-email';

// A subscription's e-mails (issue 13): welcome, renewal notice, payment failed, suspended and
// cancelled, in English and Norwegian. The renewal receipt is not here: it is the renewal order's
// own receipt. Each text is built as plain sentences from the view; the HTML part escapes every
// one of them (Handlebars' escaping, as the order e-mails' HTML does), the subject and text part
// keep them as they are (plain text). The page shell copies the order e-mails' look.

/** How a renewal is paid, as the subscriber is told about it. */
export type RenewalPayment = 'card_charged' | 'pay_link' | 'invoice_sent' | 'free';

/** Everything a subscription e-mail shows. Dates are YYYY-MM-DD; amounts minor units of `currency`. */
export interface SubscriptionEmailView {
  tenantName: string;
  customerName: string | null;
  subscriptionNumber: number | string;
  productName: string;
  periodName: string;
  currency: string;
  /** welcome: the first period; `end` is the first day after it (as stored). */
  firstPeriod?: { start: string; end: string } | null;
  /** The subscription's payment method (card, invoice, free, prepaid). */
  paymentMethod: string;
  /** welcome, renewal_notice: how renewals are paid. */
  renewalPayment?: RenewalPayment;
  /** renewal_notice: the day the new period begins and the renewal is paid. */
  renewalDate?: string | null;
  /** renewal_notice: the period renewed on (a change of period applies there) and its price incl. VAT. */
  renewalPeriodName?: string | null;
  renewalPrice?: number | null;
  /** payment_failed, suspended: what the renewal costs. */
  amountDue?: number | null;
  /** payment_failed, suspended: where the customer can pay (another card). Only http(s) links are shown. */
  payUrl?: string | null;
  /** payment_failed: the day the charge is tried again; absent when not known. */
  retryDate?: string | null;
  /** cancelled: the last day the subscription runs, whether that day is past, and why. */
  cancellation?: { lastDay: string | null; ended: boolean; reason: string | null } | null;
}

interface Copy {
  subject: string;
  heading: string;
  paragraphs: string[];
  /** Shown as a button (HTML) or a line (text) when the view has a usable payUrl. */
  payLabel?: string;
}

interface Labels {
  hi: string;
  regards: string;
  subscription: string;
}

const LABELS: Record<EmailLanguage, Labels> = {
  en: { hi: 'Hi', regards: 'Kind regards', subscription: 'Subscription' },
  nb: { hi: 'Hei', regards: 'Med vennlig hilsen', subscription: 'Abonnement' },
};

const PAYMENT_METHOD_NAMES: Record<EmailLanguage, Record<string, string>> = {
  en: { card: 'card', invoice: 'invoice', free: 'free', prepaid: 'prepaid' },
  nb: { card: 'kort', invoice: 'faktura', free: 'gratis', prepaid: 'forhåndsbetalt' },
};

/** A date-only value, shown as that calendar day whatever the zone. */
function formatDay(day: string, lang: EmailLanguage): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  return new Intl.DateTimeFormat(lang === 'nb' ? 'nb-NO' : 'en-GB', {
    year: 'numeric',
    month: 'long',
    day: 'numeric',
    timeZone: 'UTC',
  }).format(date);
}

/** The day before `day` (a stored period end is the first day after the period). */
export function dayBefore(day: string): string {
  const date = new Date(`${day}T00:00:00Z`);
  if (Number.isNaN(date.getTime())) return day;
  date.setUTCDate(date.getUTCDate() - 1);
  return date.toISOString().slice(0, 10);
}

/** Only absolute http(s) links are put in an e-mail. */
function safeUrl(url: string | null | undefined): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

function copyFor(kind: SubscriptionEmailKind, lang: EmailLanguage, v: SubscriptionEmailView): Copy {
  const day = (d: string) => formatDay(d, lang);
  const money = (amount: number) => formatMinor(amount, v.currency);
  const n = v.subscriptionNumber;
  const t = v.tenantName;
  const method = PAYMENT_METHOD_NAMES[lang][v.paymentMethod] ?? v.paymentMethod;
  const due = typeof v.amountDue === 'number' ? money(v.amountDue) : null;
  const retry = v.retryDate ? day(v.retryDate) : null;
  const renewal = v.renewalDate ? day(v.renewalDate) : null;
  if (lang === 'nb') {
    const renewalPayment: Record<RenewalPayment, string> = {
      card_charged: 'Fornyelsene belastes kortet du har lagret.',
      pay_link: 'Før hver fornyelse sender vi deg en lenke for å betale.',
      invoice_sent: 'Hver fornyelse faktureres.',
      free: 'Fornyelsene er gratis.',
    };
    switch (kind) {
      case 'welcome':
        return {
          subject: `Velkommen som abonnent – abonnement ${n} – ${t}`,
          heading: 'Velkommen som abonnent',
          paragraphs: [
            `Takk! Abonnement ${n} på ${v.productName} (${v.periodName}) er startet.`,
            ...(v.firstPeriod
              ? [`Første periode: ${day(v.firstPeriod.start)} – ${day(dayBefore(v.firstPeriod.end))}.`]
              : []),
            `Betalingsmåte: ${method}.${v.renewalPayment ? ` ${renewalPayment[v.renewalPayment]}` : ''}`,
          ],
        };
      case 'renewal_notice': {
        const action: Record<RenewalPayment, string> = {
          card_charged: `Vi belaster kortet du har lagret${renewal ? ` ${renewal}` : ''}.`,
          pay_link: `Vi sender deg en lenke for å betale${renewal ? ` ${renewal}` : ''}.`,
          invoice_sent: `Vi sender deg en faktura${renewal ? ` ${renewal}` : ''}.`,
          free: 'Den nye perioden er gratis.',
        };
        return {
          subject: `Abonnement ${n} fornyes${renewal ? ` ${renewal}` : ''} – ${t}`,
          heading: 'Abonnementet ditt fornyes snart',
          paragraphs: [
            `Abonnement ${n} på ${v.productName} fornyes${renewal ? ` ${renewal}` : ''} for en ny periode` +
              ` (${v.renewalPeriodName ?? v.periodName}).`,
            ...(typeof v.renewalPrice === 'number' && v.renewalPayment !== 'free'
              ? [`Pris for perioden: ${money(v.renewalPrice)}.`]
              : []),
            action[v.renewalPayment ?? 'pay_link'],
            `Gi beskjed til ${t}${renewal ? ` før ${renewal}` : ''} hvis du ikke vil fortsette abonnementet.`,
          ],
        };
      }
      case 'payment_failed':
        return {
          subject: `Betalingen for abonnement ${n} feilet – ${t}`,
          heading: 'Betalingen for fornyelsen ble ikke gjennomført',
          paragraphs: [
            `Vi kunne ikke belaste betalingen for fornyelsen av abonnement ${n} på ${v.productName}` +
              `${due ? ` (${due})` : ''}.`,
            ...(safeUrl(v.payUrl) ? ['Du kan betale med et annet kort via lenken under.'] : []),
            ...(retry ? [`Vi prøver å belaste kortet ditt igjen ${retry}.`] : []),
          ],
          payLabel: 'Betal med et annet kort',
        };
      case 'suspended':
        return {
          subject: `Abonnement ${n} er stanset – ${t}`,
          heading: 'Abonnementet ditt er stanset',
          paragraphs: [
            `Vi fikk ikke betalt fornyelsen av abonnement ${n} på ${v.productName}${due ? ` (${due})` : ''}, ` +
              'heller ikke ved siste forsøk, så abonnementet er stanset.',
            safeUrl(v.payUrl)
              ? 'Betal via lenken under, så starter abonnementet igjen.'
              : `Ta kontakt med ${t} hvis du vil starte abonnementet igjen.`,
          ],
          payLabel: 'Betal nå',
        };
      case 'cancelled': {
        const c = v.cancellation;
        return {
          subject: `Abonnement ${n} er avsluttet – ${t}`,
          heading: 'Abonnementet ditt er avsluttet',
          paragraphs: [
            !c?.lastDay
              ? `Abonnement ${n} på ${v.productName} er avsluttet.`
              : c.ended
                ? `Abonnement ${n} på ${v.productName} er avsluttet og opphørte ${day(c.lastDay)}.`
                : `Abonnement ${n} på ${v.productName} er sagt opp. Det løper til og med ${day(c.lastDay)} ` +
                  'og fornyes ikke.',
            ...(c?.reason ? [`Årsak: ${c.reason}`] : []),
          ],
        };
      }
    }
  }
  const renewalPayment: Record<RenewalPayment, string> = {
    card_charged: 'Renewals are charged to the card you saved.',
    pay_link: 'Before each renewal we will send you a link to pay.',
    invoice_sent: 'Each renewal is invoiced.',
    free: 'Renewals are free of charge.',
  };
  switch (kind) {
    case 'welcome':
      return {
        subject: `Welcome to subscription ${n} – ${t}`,
        heading: 'Welcome as a subscriber',
        paragraphs: [
          `Thank you! Subscription ${n} to ${v.productName} (${v.periodName}) has started.`,
          ...(v.firstPeriod
            ? [`First period: ${day(v.firstPeriod.start)} – ${day(dayBefore(v.firstPeriod.end))}.`]
            : []),
          `Payment method: ${method}.${v.renewalPayment ? ` ${renewalPayment[v.renewalPayment]}` : ''}`,
        ],
      };
    case 'renewal_notice': {
      const on = renewal ? ` on ${renewal}` : '';
      const action: Record<RenewalPayment, string> = {
        card_charged: `We will charge the card you saved${on}.`,
        pay_link: `We will send you a link to pay${on}.`,
        invoice_sent: `We will send you an invoice${on}.`,
        free: 'The new period is free of charge.',
      };
      return {
        subject: `Subscription ${n} renews${on} – ${t}`,
        heading: 'Your subscription renews soon',
        paragraphs: [
          `Subscription ${n} to ${v.productName} renews${on} for a new period ` +
            `(${v.renewalPeriodName ?? v.periodName}).`,
          ...(typeof v.renewalPrice === 'number' && v.renewalPayment !== 'free'
            ? [`Price for the period: ${money(v.renewalPrice)}.`]
            : []),
          action[v.renewalPayment ?? 'pay_link'],
          `If you do not want to continue the subscription, let ${t} know${renewal ? ` before ${renewal}` : ''}.`,
        ],
      };
    }
    case 'payment_failed':
      return {
        subject: `Payment for subscription ${n} failed – ${t}`,
        heading: 'The renewal payment did not go through',
        paragraphs: [
          `We could not charge the renewal of subscription ${n} to ${v.productName}${due ? ` (${due})` : ''}.`,
          ...(safeUrl(v.payUrl) ? ['You can pay with another card using the link below.'] : []),
          ...(retry ? [`We will try to charge your card again on ${retry}.`] : []),
        ],
        payLabel: 'Pay with another card',
      };
    case 'suspended':
      return {
        subject: `Subscription ${n} is suspended – ${t}`,
        heading: 'Your subscription is suspended',
        paragraphs: [
          `We could not collect the payment for the renewal of subscription ${n} to ${v.productName}` +
            `${due ? ` (${due})` : ''}, also after the last attempt, so the subscription is suspended.`,
          safeUrl(v.payUrl)
            ? 'Pay using the link below and the subscription starts again.'
            : `Contact ${t} if you want to start the subscription again.`,
        ],
        payLabel: 'Pay now',
      };
    case 'cancelled': {
      const c = v.cancellation;
      return {
        subject: `Subscription ${n} is cancelled – ${t}`,
        heading: 'Your subscription is cancelled',
        paragraphs: [
          !c?.lastDay
            ? `Subscription ${n} to ${v.productName} has been cancelled.`
            : c.ended
              ? `Subscription ${n} to ${v.productName} has been cancelled and ended on ${day(c.lastDay)}.`
              : `Subscription ${n} to ${v.productName} has been cancelled. It runs until and including ` +
                `${day(c.lastDay)} and will not be renewed.`,
          ...(c?.reason ? [`Reason: ${c.reason}`] : []),
        ],
      };
    }
  }
}

const escapeHtml = Handlebars.Utils.escapeExpression;
const P = 'margin:0 0 12px;line-height:1.5';

function htmlOf(lang: EmailLanguage, copy: Copy, v: SubscriptionEmailView, subject: string, payUrl: string | null) {
  const l = LABELS[lang];
  const paragraphs = copy.paragraphs.map((p) => `<p style="${P}">${escapeHtml(p)}</p>`).join('\n');
  const payLink =
    payUrl && copy.payLabel
      ? `\n<p style="margin:20px 0"><a href="${escapeHtml(payUrl)}" style="display:inline-block;background:#1a56db;` +
        `color:#ffffff;text-decoration:none;padding:10px 18px;border-radius:4px">${escapeHtml(copy.payLabel)}</a></p>`
      : '';
  return (
    `<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">` +
    `<title>${escapeHtml(subject)}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;color:#1f2937">
<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px;border-radius:6px">
<p style="margin:0 0 8px;color:#6b7280;font-size:13px">${escapeHtml(v.tenantName)}</p>
<h1 style="font-size:20px;margin:0 0 16px">${escapeHtml(copy.heading)}</h1>
<p style="${P}">${escapeHtml(l.hi)}${v.customerName ? ` ${escapeHtml(v.customerName)}` : ''},</p>
${paragraphs}${payLink}
<p style="${P};margin-top:20px">${escapeHtml(l.regards)}<br>${escapeHtml(v.tenantName)}</p>
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">${escapeHtml(`${l.subscription} ${v.subscriptionNumber}`)}</p>
</div>
</body>
</html>
`
  );
}

function textOf(lang: EmailLanguage, copy: Copy, v: SubscriptionEmailView, payUrl: string | null): string {
  const l = LABELS[lang];
  const parts = [
    `${l.hi}${v.customerName ? ` ${v.customerName}` : ''},`,
    ...copy.paragraphs,
    ...(payUrl && copy.payLabel ? [`${copy.payLabel}: ${payUrl}`] : []),
    `${l.regards}\n${v.tenantName}\n${l.subscription} ${v.subscriptionNumber}`,
  ];
  return `${parts.join('\n\n').replace(/\r\n/g, '\n')}\n`;
}

/** Renders one subscription e-mail. `language` is a client language tag ('nb-NO', 'en', …). */
export function renderSubscriptionEmail(
  kind: SubscriptionEmailKind,
  language: string | null | undefined,
  view: SubscriptionEmailView,
): RenderedEmail {
  const lang = resolveEmailLanguage(language);
  const copy = copyFor(kind, lang, view);
  if (!copy) throw new Error(`Unknown subscription e-mail kind: ${String(kind)}`);
  // A header is one line: no newlines from data (e.g. a tenant name) in the subject.
  const subject = copy.subject.replace(/\s+/g, ' ').trim();
  const payUrl = safeUrl(view.payUrl);
  return { subject, html: htmlOf(lang, copy, view, subject, payUrl), text: textOf(lang, copy, view, payUrl) };
}
