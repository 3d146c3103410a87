import Handlebars from 'handlebars';
import { formatMinor } from '../../domain/money';

// Order e-mails: one Handlebars template per kind × language × part (subject, HTML, text).
// The HTML part keeps Handlebars' default escaping; subject and text are plain text, so they
// are compiled with noEscape (a customer called "O'Brien & Co" must not become "O&#x27;Brien").
// Every template is compiled once per process (module-level cache).

export const EMAIL_KINDS = [
  'order_received',
  'receipt',
  'invoice',
  'payment_failed',
  'expiring_soon',
  'expired',
  'cancelled',
  'refund',
  'invoice_reminder',
  'gift_voucher',
] as const;
export type EmailKind = (typeof EMAIL_KINDS)[number];

export const EMAIL_LANGUAGES = ['en', 'nb'] as const;
export type EmailLanguage = (typeof EMAIL_LANGUAGES)[number];

/** Times in e-mails are shown in this zone unless the view names another one. */
export const DEFAULT_EMAIL_TIME_ZONE = 'Europe/Oslo';

export interface OrderEmailLine {
  description: string;
  quantity: number;
  /** Minor units of the order currency. */
  inclVat: number;
}

export interface OrderEmailVatLine {
  /** Basis points: 2500 = 25 %. */
  rateBp: number;
  base: number;
  amount: number;
}

/** Everything an order e-mail shows. Amounts are integer minor units of `currency`. */
export interface OrderEmailView {
  tenantName: string;
  orderNumber: number | string;
  orderId: string;
  customerName: string;
  currency: string;
  lines: OrderEmailLine[];
  totals: { exclVat: number; vat: number; inclVat: number };
  vatSummary: OrderEmailVatLine[];
  /** ISO timestamp until which an unpaid card order holds its places. */
  preliminaryUntil: string | null;
  paymentUrl: string | null;
  /** Receipt / invoice / credit note number. */
  documentNumber: string | null;
  /** ISO timestamp of the invoice due date. */
  dueDate: string | null;
  refundAmount: number | null;
  /** Gift vouchers this order bought (kind gift_voucher). */
  giftVouchers?: { code: string; value: number; validUntil: string | null }[];
  /**
   * When the order is a subscription renewal (a cycle after the first): the subscription's number
   * and the period it pays for, as calendar dates (YYYY-MM-DD), the last day included.
   */
  subscriptionRenewal?: { number: number | string; periodStart: string; periodLastDay: string } | null;
  /** IANA zone for times and dates; DEFAULT_EMAIL_TIME_ZONE when absent. */
  timeZone?: string;
}

export interface RenderedEmail {
  subject: string;
  html: string;
  text: string;
}

export function isEmailKind(value: unknown): value is EmailKind {
  return typeof value === 'string' && (EMAIL_KINDS as readonly string[]).includes(value);
}

/**
 * 'nb', 'nb-NO', 'no', 'no-NO', 'nn', 'nn-NO' (also an Accept-Language list whose first tag
 * is one of those) → 'nb'; anything else, including nothing → 'en'.
 */
export function resolveEmailLanguage(language: string | null | undefined): EmailLanguage {
  const firstTag = (language ?? '').split(',')[0] ?? '';
  const primary = firstTag.split(';')[0]!.trim().toLowerCase().replace(/_/g, '-').split('-')[0];
  return primary === 'nb' || primary === 'no' || primary === 'nn' ? 'nb' : 'en';
}

// ---------------------------------------------------------------------------------------------
// Copy. Paragraph strings are Handlebars snippets shared by the HTML part (escaped) and the text
// part (not escaped); they must not contain HTML markup.

type Paragraph = string | { if: string; text: string };

interface KindCopy {
  subject: string;
  heading: string;
  paragraphs: Paragraph[];
  /** Show the "pay now" link when the view has a paymentUrl. */
  payLink: boolean;
  /** Show the order lines, VAT and totals. */
  summary: boolean;
}

interface Labels {
  hi: string;
  regards: string;
  order: string;
  documentNumber: string;
  description: string;
  quantity: string;
  amount: string;
  exclVat: string;
  vat: string;
  of: string;
  total: string;
  payNow: string;
}

const LABELS: Record<EmailLanguage, Labels> = {
  en: {
    hi: 'Hi',
    regards: 'Kind regards',
    order: 'Order',
    documentNumber: 'Document no.',
    description: 'Description',
    quantity: 'Qty',
    amount: 'Amount',
    exclVat: 'Total excl. VAT',
    vat: 'VAT',
    of: 'of',
    total: 'Total',
    payNow: 'Pay now',
  },
  nb: {
    hi: 'Hei',
    regards: 'Med vennlig hilsen',
    order: 'Bestilling',
    documentNumber: 'Dokumentnr.',
    description: 'Beskrivelse',
    quantity: 'Antall',
    amount: 'Beløp',
    exclVat: 'Sum eks. mva.',
    vat: 'MVA',
    of: 'av',
    total: 'Totalt',
    payNow: 'Betal nå',
  },
};

// A renewal's own receipt or invoice names the subscription and the period it pays for.
const RENEWAL_EN: Paragraph = {
  if: 'subscriptionRenewal',
  text:
    'Renewal of subscription {{subscriptionRenewal.number}}, period {{date subscriptionRenewal.periodStart}} – ' +
    '{{date subscriptionRenewal.periodLastDay}}.',
};
const RENEWAL_NB: Paragraph = {
  if: 'subscriptionRenewal',
  text:
    'Fornyelse av abonnement {{subscriptionRenewal.number}}, periode {{date subscriptionRenewal.periodStart}} – ' +
    '{{date subscriptionRenewal.periodLastDay}}.',
};

const COPY: Record<EmailLanguage, Record<EmailKind, KindCopy>> = {
  en: {
    order_received: {
      subject: 'Order {{orderNumber}} received – {{tenantName}}',
      heading: 'Thank you for your order',
      paragraphs: [
        'We have received order {{orderNumber}}.',
        {
          if: 'preliminaryUntil',
          text:
            'Your places are held until {{datetime preliminaryUntil}}. Please complete the payment ' +
            'before then to confirm the order.',
        },
      ],
      payLink: true,
      summary: true,
    },
    receipt: {
      subject: 'Receipt for order {{orderNumber}} – {{tenantName}}',
      heading: 'Your order is confirmed',
      paragraphs: [
        'Thank you! Order {{orderNumber}} is confirmed. Here is a summary of what you have bought.',
        RENEWAL_EN,
        { if: 'documentNumber', text: '{{l.documentNumber}} {{documentNumber}}' },
      ],
      payLink: false,
      summary: true,
    },
    invoice: {
      subject: 'Invoice{{#if documentNumber}} {{documentNumber}}{{/if}} for order {{orderNumber}} – {{tenantName}}',
      heading: 'Invoice{{#if documentNumber}} {{documentNumber}}{{/if}}',
      paragraphs: [
        'Order {{orderNumber}} is confirmed and has been invoiced.',
        RENEWAL_EN,
        'Amount due: {{money totals.inclVat}}{{#if dueDate}}, to be paid by {{date dueDate}}{{/if}}.',
      ],
      payLink: true,
      summary: true,
    },
    payment_failed: {
      subject: 'Payment failed for order {{orderNumber}} – {{tenantName}}',
      heading: 'The payment did not go through',
      paragraphs: [
        'We could not complete the payment for order {{orderNumber}}.',
        {
          if: 'preliminaryUntil',
          text: 'Your places are still held until {{datetime preliminaryUntil}}, so you can try again.',
        },
      ],
      payLink: true,
      summary: true,
    },
    expiring_soon: {
      subject: 'Order {{orderNumber}} expires soon – {{tenantName}}',
      heading: 'Your order is waiting for payment',
      paragraphs: [
        'Order {{orderNumber}} has not been paid yet{{#if preliminaryUntil}} and will expire at ' +
          '{{datetime preliminaryUntil}}{{/if}}.',
        'Complete the payment to keep your places.',
      ],
      payLink: true,
      summary: true,
    },
    expired: {
      subject: 'Order {{orderNumber}} has expired – {{tenantName}}',
      heading: 'Your order has expired',
      paragraphs: [
        'We did not receive the payment for order {{orderNumber}} in time, so the order has ' +
          'expired and the reserved places have been released.',
        'If a payment for this order arrives later, it will be refunded automatically. You are ' +
          'welcome to place a new order.',
      ],
      payLink: false,
      summary: true,
    },
    cancelled: {
      subject: 'Order {{orderNumber}} has been cancelled – {{tenantName}}',
      heading: 'Your order has been cancelled',
      paragraphs: [
        'Order {{orderNumber}} has been cancelled.',
        { if: 'refundAmount', text: 'We will refund {{money refundAmount}} to you.' },
      ],
      payLink: false,
      summary: true,
    },
    refund: {
      subject: 'Refund for order {{orderNumber}} – {{tenantName}}',
      heading: 'You have been refunded',
      paragraphs: [
        '{{#if refundAmount}}We have refunded {{money refundAmount}}{{else}}We have issued a ' +
          'refund{{/if}} for order {{orderNumber}}.',
        'It may take a few business days before the money shows up on your account.',
      ],
      payLink: false,
      summary: false,
    },
    gift_voucher: {
      subject: 'Your gift voucher{{#if giftVouchers.[1]}}s{{/if}} from {{tenantName}} (order {{orderNumber}})',
      heading: 'Your gift voucher{{#if giftVouchers.[1]}}s{{/if}}',
      paragraphs: [
        'Thank you for your purchase. Use the code{{#if giftVouchers.[1]}}s{{/if}} below when you book:',
        '{{#each giftVouchers}}{{code}} — {{money value}}{{#if validUntil}}, valid until {{date ' +
          'validUntil}}{{/if}}{{#unless @last}}; {{/unless}}{{/each}}',
      ],
      payLink: false,
      summary: false,
    },
    invoice_reminder: {
      subject:
        'Reminder: invoice{{#if documentNumber}} {{documentNumber}}{{/if}} for order {{orderNumber}} – {{tenantName}}',
      heading: 'Payment reminder',
      paragraphs: [
        'We have not yet received the payment of {{money totals.inclVat}} for {{#if ' +
          'documentNumber}}invoice {{documentNumber}}{{else}}the invoice{{/if}} for order ' +
          '{{orderNumber}}{{#if dueDate}}, which was due on {{date dueDate}}{{/if}}.',
        'Please pay as soon as possible. If you have already paid, please disregard this message.',
      ],
      payLink: true,
      summary: true,
    },
  },
  nb: {
    order_received: {
      subject: 'Vi har mottatt bestilling {{orderNumber}} – {{tenantName}}',
      heading: 'Takk for bestillingen',
      paragraphs: [
        'Vi har mottatt bestilling {{orderNumber}}.',
        {
          if: 'preliminaryUntil',
          text:
            'Plassene dine er reservert til {{datetime preliminaryUntil}}. Fullfør betalingen innen da ' +
            'for å bekrefte bestillingen.',
        },
      ],
      payLink: true,
      summary: true,
    },
    receipt: {
      subject: 'Kvittering for bestilling {{orderNumber}} – {{tenantName}}',
      heading: 'Bestillingen din er bekreftet',
      paragraphs: [
        'Takk! Bestilling {{orderNumber}} er bekreftet. Her er en oppsummering av det du har kjøpt.',
        RENEWAL_NB,
        { if: 'documentNumber', text: '{{l.documentNumber}} {{documentNumber}}' },
      ],
      payLink: false,
      summary: true,
    },
    invoice: {
      subject:
        'Faktura{{#if documentNumber}} {{documentNumber}}{{/if}} for bestilling {{orderNumber}} – {{tenantName}}',
      heading: 'Faktura{{#if documentNumber}} {{documentNumber}}{{/if}}',
      paragraphs: [
        'Bestilling {{orderNumber}} er bekreftet og fakturert.',
        RENEWAL_NB,
        'Å betale: {{money totals.inclVat}}{{#if dueDate}}, med forfall {{date dueDate}}{{/if}}.',
      ],
      payLink: true,
      summary: true,
    },
    payment_failed: {
      subject: 'Betalingen for bestilling {{orderNumber}} feilet – {{tenantName}}',
      heading: 'Betalingen ble ikke gjennomført',
      paragraphs: [
        'Vi kunne ikke fullføre betalingen for bestilling {{orderNumber}}.',
        {
          if: 'preliminaryUntil',
          text: 'Plassene dine er fortsatt reservert til {{datetime preliminaryUntil}}, så du kan prøve igjen.',
        },
      ],
      payLink: true,
      summary: true,
    },
    expiring_soon: {
      subject: 'Bestilling {{orderNumber}} utløper snart – {{tenantName}}',
      heading: 'Bestillingen din venter på betaling',
      paragraphs: [
        'Bestilling {{orderNumber}} er ikke betalt ennå{{#if preliminaryUntil}} og utløper ' +
          '{{datetime preliminaryUntil}}{{/if}}.',
        'Fullfør betalingen for å beholde plassene dine.',
      ],
      payLink: true,
      summary: true,
    },
    expired: {
      subject: 'Bestilling {{orderNumber}} er utløpt – {{tenantName}}',
      heading: 'Bestillingen din er utløpt',
      paragraphs: [
        'Vi mottok ikke betalingen for bestilling {{orderNumber}} i tide, så bestillingen er ' +
          'utløpt og de reserverte plassene er frigitt.',
        'Hvis det likevel kommer inn en betaling for denne bestillingen, blir den refundert ' +
          'automatisk. Du er velkommen til å bestille på nytt.',
      ],
      payLink: false,
      summary: true,
    },
    cancelled: {
      subject: 'Bestilling {{orderNumber}} er kansellert – {{tenantName}}',
      heading: 'Bestillingen din er kansellert',
      paragraphs: [
        'Bestilling {{orderNumber}} er kansellert.',
        { if: 'refundAmount', text: 'Vi refunderer {{money refundAmount}} til deg.' },
      ],
      payLink: false,
      summary: true,
    },
    refund: {
      subject: 'Refusjon for bestilling {{orderNumber}} – {{tenantName}}',
      heading: 'Du har fått pengene tilbake',
      paragraphs: [
        '{{#if refundAmount}}Vi har refundert {{money refundAmount}}{{else}}Vi har gjennomført en ' +
          'refusjon{{/if}} for bestilling {{orderNumber}}.',
        'Det kan ta noen virkedager før beløpet vises på kontoen din.',
      ],
      payLink: false,
      summary: false,
    },
    gift_voucher: {
      subject: 'Ditt gavekort fra {{tenantName}} (bestilling {{orderNumber}})',
      heading: 'Gavekort',
      paragraphs: [
        'Takk for kjøpet. Bruk koden{{#if giftVouchers.[1]}}e{{/if}} under når du bestiller:',
        '{{#each giftVouchers}}{{code}} — {{money value}}{{#if validUntil}}, gyldig til {{date ' +
          'validUntil}}{{/if}}{{#unless @last}}; {{/unless}}{{/each}}',
      ],
      payLink: false,
      summary: false,
    },
    invoice_reminder: {
      subject:
        'Påminnelse: faktura{{#if documentNumber}} {{documentNumber}}{{/if}} for bestilling ' +
        '{{orderNumber}} – {{tenantName}}',
      heading: 'Betalingspåminnelse',
      paragraphs: [
        'Vi har ennå ikke mottatt betalingen på {{money totals.inclVat}} for {{#if ' +
          'documentNumber}}faktura {{documentNumber}}{{else}}fakturaen{{/if}} for bestilling ' +
          '{{orderNumber}}{{#if dueDate}}, som forfalt {{date dueDate}}{{/if}}.',
        'Vennligst betal så snart som mulig. Hvis du allerede har betalt, kan du se bort fra denne meldingen.',
      ],
      payLink: true,
      summary: true,
    },
  },
};

// ---------------------------------------------------------------------------------------------
// Layouts

const P = 'margin:0 0 12px;line-height:1.5';
const CELL = 'padding:6px 4px;border-bottom:1px solid #e5e5e5';
const SUM_CELL = 'padding:4px';

const HTML_SUMMARY =
  `
<table role="presentation" cellpadding="0" cellspacing="0" ` +
  `style="width:100%;border-collapse:collapse;margin:16px 0;font-size:14px">
<thead><tr><th align="left" style="${CELL}">{{l.description}}</th>` +
  `<th align="right" style="${CELL}">{{l.quantity}}</th><th align="right" style="${CELL}">{{l.amount}}</th></tr></thead>
<tbody>
{{#each lines}}<tr><td style="${CELL}">{{description}}</td><td align="right" style="${CELL}">{{quantity}}</td>` +
  `<td align="right" style="${CELL};white-space:nowrap">{{money inclVat}}</td></tr>
{{/each}}</tbody>
<tfoot>
<tr><td colspan="2" style="${SUM_CELL}">{{l.exclVat}}</td>` +
  `<td align="right" style="${SUM_CELL};white-space:nowrap">{{money totals.exclVat}}</td></tr>
{{#each vatSummary}}<tr><td colspan="2" style="${SUM_CELL}">{{@root.l.vat}} {{percent rateBp}} ` +
  `({{@root.l.of}} {{money base}})</td>` +
  `<td align="right" style="${SUM_CELL};white-space:nowrap">{{money amount}}</td></tr>
{{/each}}<tr><td colspan="2" style="${SUM_CELL}"><strong>{{l.total}}</strong></td>` +
  `<td align="right" style="${SUM_CELL};white-space:nowrap"><strong>{{money totals.inclVat}}</strong></td></tr>
</tfoot>
</table>`;

const HTML_PAY_LINK =
  `
{{#if paymentUrl}}<p style="margin:20px 0"><a href="{{paymentUrl}}" ` +
  `style="display:inline-block;background:#1a56db;color:#ffffff;text-decoration:none;` +
  `padding:10px 18px;border-radius:4px">{{l.payNow}}</a></p>{{/if}}`;

function htmlSource(copy: KindCopy): string {
  const paragraphs = copy.paragraphs
    .map((p) =>
      typeof p === 'string' ? `<p style="${P}">${p}</p>` : `{{#if ${p.if}}}<p style="${P}">${p.text}</p>{{/if}}`,
    )
    .join('\n');
  return (
    `<!doctype html>
<html lang="{{_lang}}">
<head><meta charset="utf-8">` +
    `<meta name="viewport" content="width=device-width, initial-scale=1"><title>{{_subject}}</title></head>
<body style="margin:0;padding:24px;background:#f4f4f5;font-family:Arial,Helvetica,sans-serif;color:#1f2937">
<div style="max-width:600px;margin:0 auto;background:#ffffff;padding:24px;border-radius:6px">
<p style="margin:0 0 8px;color:#6b7280;font-size:13px">{{tenantName}}</p>
<h1 style="font-size:20px;margin:0 0 16px">${copy.heading}</h1>
<p style="${P}">{{l.hi}}{{#if customerName}} {{customerName}}{{/if}},</p>
${paragraphs}${copy.payLink ? HTML_PAY_LINK : ''}${copy.summary ? HTML_SUMMARY : ''}
<p style="${P};margin-top:20px">{{l.regards}}<br>{{tenantName}}</p>
<p style="margin:16px 0 0;color:#6b7280;font-size:12px">{{l.order}} {{orderNumber}}</p>
</div>
</body>
</html>
`
  );
}

const TEXT_SUMMARY = `
{{#each lines}}
- {{quantity}} × {{description}}: {{money inclVat}}
{{/each}}

{{l.exclVat}}: {{money totals.exclVat}}
{{#each vatSummary}}
{{@root.l.vat}} {{percent rateBp}} ({{@root.l.of}} {{money base}}): {{money amount}}
{{/each}}
{{l.total}}: {{money totals.inclVat}}
`;

function textSource(copy: KindCopy): string {
  const paragraphs = copy.paragraphs
    .map((p) => (typeof p === 'string' ? p : `{{#if ${p.if}}}${p.text}{{/if}}`))
    .join('\n\n');
  return `{{l.hi}}{{#if customerName}} {{customerName}}{{/if}},

${paragraphs}
${copy.payLink ? '\n{{#if paymentUrl}}{{l.payNow}}: {{paymentUrl}}{{/if}}\n' : ''}${copy.summary ? TEXT_SUMMARY : ''}
{{l.regards}}
{{tenantName}}
{{l.order}} {{orderNumber}}
`;
}

// ---------------------------------------------------------------------------------------------
// Helpers (on a private Handlebars instance)

const hbs = Handlebars.create();

interface RootContext {
  currency: string;
  _lang: EmailLanguage;
  _timeZone: string;
}

function rootOf(options: Handlebars.HelperOptions): RootContext {
  return (options.data as { root: RootContext }).root;
}

hbs.registerHelper('money', (amount: unknown, options: Handlebars.HelperOptions) => {
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount)) return '';
  return formatMinor(amount, rootOf(options).currency);
});

hbs.registerHelper('percent', (rateBp: unknown, options: Handlebars.HelperOptions) => {
  if (typeof rateBp !== 'number' || !Number.isFinite(rateBp)) return '';
  const value = String(Math.round(rateBp) / 100);
  return rootOf(options)._lang === 'nb' ? `${value.replace('.', ',')} %` : `${value}%`;
});

const dateFormats = new Map<string, Intl.DateTimeFormat>();

const CALENDAR_DATE = /^\d{4}-\d{2}-\d{2}$/;

function formatDate(iso: unknown, options: Handlebars.HelperOptions, withTime: boolean): string {
  if (typeof iso !== 'string' && !(iso instanceof Date)) return '';
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return '';
  const root = rootOf(options);
  // A calendar date (YYYY-MM-DD) parses as UTC midnight: shown in UTC it stays the same day in any zone.
  const timeZone = typeof iso === 'string' && CALENDAR_DATE.test(iso) ? 'UTC' : root._timeZone;
  const key = `${root._lang}|${timeZone}|${withTime}`;
  let format = dateFormats.get(key);
  if (!format) {
    format = new Intl.DateTimeFormat(root._lang === 'nb' ? 'nb-NO' : 'en-GB', {
      year: 'numeric',
      month: 'long',
      day: 'numeric',
      ...(withTime ? { hour: '2-digit', minute: '2-digit', timeZoneName: 'short' } : {}),
      timeZone,
    });
    dateFormats.set(key, format);
  }
  return format.format(date);
}

hbs.registerHelper('datetime', (iso: unknown, options: Handlebars.HelperOptions) => formatDate(iso, options, true));
hbs.registerHelper('date', (iso: unknown, options: Handlebars.HelperOptions) => formatDate(iso, options, false));

// ---------------------------------------------------------------------------------------------
// Compile once, render many

interface CompiledTemplates {
  subject: Handlebars.TemplateDelegate;
  html: Handlebars.TemplateDelegate;
  text: Handlebars.TemplateDelegate;
}

const compiled = new Map<string, CompiledTemplates>();

function templatesFor(kind: EmailKind, language: EmailLanguage): CompiledTemplates {
  const key = `${language}:${kind}`;
  let templates = compiled.get(key);
  if (!templates) {
    const copy = COPY[language][kind];
    templates = {
      subject: hbs.compile(copy.subject, { noEscape: true }),
      html: hbs.compile(htmlSource(copy)),
      text: hbs.compile(textSource(copy), { noEscape: true }),
    };
    compiled.set(key, templates);
  }
  return templates;
}

/** Only absolute http(s) links are put in an e-mail. */
function safeUrl(url: string | null): string | null {
  if (!url) return null;
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' ? parsed.toString() : null;
  } catch {
    return null;
  }
}

function tidyText(text: string): string {
  return `${text
    .replace(/\r\n/g, '\n')
    .replace(/[ \t]+\n/g, '\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim()}\n`;
}

/** Renders one order e-mail. `language` is a client language tag ('nb-NO', 'en', …). */
export function renderOrderEmail(
  kind: EmailKind,
  language: string | null | undefined,
  view: OrderEmailView,
): RenderedEmail {
  if (!isEmailKind(kind)) throw new Error(`Unknown e-mail kind: ${String(kind)}`);
  const lang = resolveEmailLanguage(language);
  const templates = templatesFor(kind, lang);
  const context = {
    ...view,
    paymentUrl: safeUrl(view.paymentUrl),
    l: LABELS[lang],
    _lang: lang,
    _timeZone: view.timeZone ?? DEFAULT_EMAIL_TIME_ZONE,
  };
  // A header is one line: no newlines from data (e.g. a tenant name) in the subject.
  const subject = templates.subject(context).replace(/\s+/g, ' ').trim();
  const html = templates.html({ ...context, _subject: subject });
  const text = tidyText(templates.text(context));
  return { subject, html, text };
}
