import { describe, expect, it } from 'vitest';
import type { SubscriptionEmailKind } from '../../activities/notifications/queue-subscription-email';
import {
  dayBefore,
  renderSubscriptionEmail,
  type SubscriptionEmailView,
} from '../../activities/notifications/subscription-email-templates';

const KINDS: SubscriptionEmailKind[] = ['welcome', 'renewal_notice', 'payment_failed', 'suspended', 'cancelled'];
const PAY_URL = 'https://pay.example.test/session/abc?x=1&y=2';

function view(overrides: Partial<SubscriptionEmailView> = {}): SubscriptionEmailView {
  return {
    tenantName: 'Dagsavisen',
    customerName: 'Kari Nordmann',
    subscriptionNumber: 12,
    productName: 'Daily News',
    periodName: 'Monthly',
    currency: 'nok',
    paymentMethod: 'card',
    renewalPayment: 'card_charged',
    firstPeriod: { start: '2026-01-01', end: '2026-02-01' },
    renewalDate: '2026-02-01',
    renewalPeriodName: 'Monthly',
    renewalPrice: 14_900,
    amountDue: 14_900,
    payUrl: PAY_URL,
    retryDate: '2026-02-04',
    cancellation: { lastDay: '2026-01-31', ended: false, reason: 'Moving abroad' },
    ...overrides,
  };
}

describe('renderSubscriptionEmail', () => {
  for (const language of ['en', 'nb'] as const) {
    for (const kind of KINDS) {
      it(`renders ${kind} in ${language}`, () => {
        const email = renderSubscriptionEmail(kind, language, view());
        expect(email.subject).toContain('12');
        expect(email.subject).toContain('Dagsavisen');
        expect(email.subject).not.toMatch(/\n/);
        expect(email.html).toContain(`<html lang="${language}">`);
        expect(email.html).toContain('Kari Nordmann');
        expect(email.text).toContain('Kari Nordmann');
        expect(email.text).toContain('Daily News');
        expect(email.html).not.toMatch(/undefined|null|NaN/);
        expect(email.text).not.toMatch(/undefined|null|NaN|\{\{/);
      });
    }
  }

  it('speaks Norwegian for nb-NO and English for anything else', () => {
    expect(renderSubscriptionEmail('welcome', 'nb-NO', view()).subject).toMatch(/^Velkommen/);
    expect(renderSubscriptionEmail('welcome', 'no', view()).subject).toMatch(/^Velkommen/);
    expect(renderSubscriptionEmail('welcome', 'sv-SE', view()).subject).toMatch(/^Welcome/);
    expect(renderSubscriptionEmail('welcome', null, view()).subject).toMatch(/^Welcome/);
  });

  it('welcome shows the first period to its last day and the payment method', () => {
    const en = renderSubscriptionEmail('welcome', 'en', view());
    expect(en.text).toContain('First period: 1 January 2026 – 31 January 2026.');
    expect(en.text).toContain('Payment method: card. Renewals are charged to the card you saved.');
    const nb = renderSubscriptionEmail(
      'welcome',
      'nb',
      view({ paymentMethod: 'invoice', renewalPayment: 'invoice_sent' }),
    );
    expect(nb.text).toContain('Første periode: 1. januar 2026 – 31. januar 2026.');
    expect(nb.text).toContain('Betalingsmåte: faktura. Hver fornyelse faktureres.');
  });

  it('renewal_notice names the day, the price and what will happen', () => {
    const card = renderSubscriptionEmail('renewal_notice', 'en', view());
    expect(card.subject).toBe('Subscription 12 renews on 1 February 2026 – Dagsavisen');
    expect(card.text).toContain('Price for the period: 149.00 NOK.');
    expect(card.text).toContain('We will charge the card you saved on 1 February 2026.');
    const invoice = renderSubscriptionEmail('renewal_notice', 'nb', view({ renewalPayment: 'invoice_sent' }));
    expect(invoice.text).toContain('Pris for perioden: 149.00 NOK.');
    expect(invoice.text).toContain('Vi sender deg en faktura 1. februar 2026.');
    const free = renderSubscriptionEmail('renewal_notice', 'en', view({ renewalPayment: 'free' }));
    expect(free.text).toContain('The new period is free of charge.');
    expect(free.text).not.toContain('Price for the period');
  });

  it('payment_failed and suspended carry the pay link where given, and only then', () => {
    for (const kind of ['payment_failed', 'suspended'] as const) {
      for (const language of ['en', 'nb']) {
        const withLink = renderSubscriptionEmail(kind, language, view());
        expect(withLink.html).toContain('href="https://pay.example.test/session/abc?x&#x3D;1&amp;y&#x3D;2"');
        expect(withLink.text).toContain(PAY_URL);
        const without = renderSubscriptionEmail(kind, language, view({ payUrl: null }));
        expect(without.html).not.toContain('href=');
        expect(without.text).not.toContain('https://');
        const unsafe = renderSubscriptionEmail(kind, language, view({ payUrl: 'javascript:alert(1)' }));
        expect(unsafe.html).not.toContain('javascript:');
        expect(unsafe.text).not.toContain('javascript:');
      }
    }
  });

  it('payment_failed says when the charge is retried, when known', () => {
    expect(renderSubscriptionEmail('payment_failed', 'en', view()).text).toContain(
      'We will try to charge your card again on 4 February 2026.',
    );
    expect(renderSubscriptionEmail('payment_failed', 'nb', view()).text).toContain(
      'Vi prøver å belaste kortet ditt igjen 4. februar 2026.',
    );
    expect(renderSubscriptionEmail('payment_failed', 'en', view({ retryDate: null })).text).not.toContain('again');
  });

  it('suspended without a link tells the customer whom to contact', () => {
    expect(renderSubscriptionEmail('suspended', 'en', view({ payUrl: null })).text).toContain(
      'Contact Dagsavisen if you want to start the subscription again.',
    );
  });

  it('cancelled says when it ends and why', () => {
    const later = renderSubscriptionEmail('cancelled', 'en', view());
    expect(later.text).toContain('It runs until and including 31 January 2026 and will not be renewed.');
    expect(later.text).toContain('Reason: Moving abroad');
    const ended = renderSubscriptionEmail(
      'cancelled',
      'nb',
      view({ cancellation: { lastDay: '2026-01-15', ended: true, reason: null } }),
    );
    expect(ended.text).toContain('er avsluttet og opphørte 15. januar 2026.');
    expect(ended.text).not.toContain('Årsak');
  });

  it('escapes hostile input in the HTML part and keeps it as it is in subject and text', () => {
    const hostile = view({
      tenantName: 'Evil <script>alert(1)</script> & "Co"',
      customerName: '<img src=x onerror=alert(1)>',
      productName: 'News <b>bold</b>',
      periodName: "O'Brien's <i>",
      cancellation: { lastDay: '2026-01-31', ended: false, reason: '<a href="https://evil.test">click</a>' },
    });
    for (const language of ['en', 'nb']) {
      for (const kind of KINDS) {
        const email = renderSubscriptionEmail(kind, language, hostile);
        expect(email.html).not.toContain('<script>');
        expect(email.html).not.toContain('<img');
        expect(email.html).not.toContain('<b>');
        expect(email.html).not.toContain('evil.test">');
        expect(email.html).toContain('Evil &lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;Co&quot;');
        expect(email.text).toContain('Evil <script>alert(1)</script> & "Co"');
        expect(email.subject).toContain('Evil <script>alert(1)</script> & "Co"');
      }
    }
    expect(renderSubscriptionEmail('cancelled', 'en', hostile).html).toContain(
      'Reason: &lt;a href&#x3D;&quot;https://evil.test&quot;&gt;click&lt;/a&gt;',
    );
  });

  it('keeps a subject on one line when the tenant name has newlines', () => {
    const email = renderSubscriptionEmail('welcome', 'en', view({ tenantName: 'Dags\r\navisen\nBcc: x@evil.test' }));
    expect(email.subject).not.toMatch(/[\r\n]/);
  });
});

describe('dayBefore', () => {
  it('steps back one calendar day across months and leap years', () => {
    expect(dayBefore('2026-02-01')).toBe('2026-01-31');
    expect(dayBefore('2028-03-01')).toBe('2028-02-29');
    expect(dayBefore('2027-01-01')).toBe('2026-12-31');
  });
});
