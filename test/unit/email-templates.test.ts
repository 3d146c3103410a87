import { describe, expect, it } from 'vitest';
import {
  EMAIL_KINDS,
  type EmailKind,
  type OrderEmailView,
  renderOrderEmail,
  resolveEmailLanguage,
} from '../../activities/notifications/email-templates';
import { formatMinor } from '../../domain/money';

function view(overrides: Partial<OrderEmailView> = {}): OrderEmailView {
  return {
    tenantName: 'Fjellskolen',
    orderNumber: 1042,
    orderId: '5f0c2a7e-8a43-4f49-9d8e-0b9d2d1c7a11',
    customerName: 'Kari Nordmann',
    currency: 'nok',
    lines: [
      { description: 'Klatrekurs nybegynner', quantity: 2, inclVat: 250_000 },
      { description: 'Leie av sko', quantity: 1, inclVat: 12_500 },
    ],
    totals: { exclVat: 210_000, vat: 52_500, inclVat: 262_500 },
    vatSummary: [{ rateBp: 2500, base: 210_000, amount: 52_500 }],
    preliminaryUntil: '2026-03-01T12:30:00.000Z',
    paymentUrl: 'https://pay.example.test/session/abc?x=1&y=2',
    documentNumber: 'F-2026-17',
    dueDate: '2026-03-15T00:00:00.000Z',
    refundAmount: 12_500,
    ...overrides,
  };
}

const SUMMARY_KINDS: EmailKind[] = EMAIL_KINDS.filter((k) => k !== 'refund' && k !== 'gift_voucher');

describe('resolveEmailLanguage', () => {
  it('maps Norwegian tags to nb and everything else to en', () => {
    for (const tag of ['nb', 'nb-NO', 'NB_no', 'no', 'no-NO', 'nn', 'nn-NO', 'nb-NO,nb;q=0.9,en;q=0.8']) {
      expect(resolveEmailLanguage(tag)).toBe('nb');
    }
    for (const tag of ['en', 'en-GB', 'sv-SE', 'de', '', null, undefined, 'nob', 'en,nb']) {
      expect(resolveEmailLanguage(tag)).toBe('en');
    }
  });
});

describe('renderOrderEmail', () => {
  for (const kind of EMAIL_KINDS) {
    it(`renders ${kind} in en and nb`, () => {
      const v = view();
      const en = renderOrderEmail(kind, 'en', v);
      const nb = renderOrderEmail(kind, 'nb-NO', v);
      for (const email of [en, nb]) {
        expect(email.subject).toContain('1042');
        expect(email.subject).toContain('Fjellskolen');
        expect(email.subject).not.toMatch(/[\r\n]/);
        expect(email.html).toMatch(/^<!doctype html>/);
        expect(email.html).toContain('Kari Nordmann');
        expect(email.text).toContain('Kari Nordmann');
        expect(email.text).not.toMatch(/\{\{|\}\}/);
        expect(email.html).not.toMatch(/\{\{|\}\}/);
        expect(email.text).not.toMatch(/\n{3,}/);
      }
      expect(nb.subject).not.toBe(en.subject);
      expect(nb.text).not.toBe(en.text);
      expect(en.html).toContain('<html lang="en">');
      expect(nb.html).toContain('<html lang="nb">');

      if (SUMMARY_KINDS.includes(kind)) {
        const total = formatMinor(262_500, 'nok');
        expect(total).toBe('2625.00 NOK');
        for (const email of [en, nb]) {
          expect(email.text).toContain(total);
          expect(email.html).toContain(total);
          expect(email.text).toContain('Klatrekurs nybegynner');
          expect(email.text).toContain(formatMinor(52_500, 'nok'));
        }
      } else if (kind === 'refund') {
        expect(en.text).toContain(formatMinor(12_500, 'nok'));
        expect(nb.text).toContain(formatMinor(12_500, 'nok'));
      }
    });
  }

  it('lists every gift voucher code with its value and expiry', () => {
    const v = view({
      giftVouchers: [
        { code: 'GIFT-AAAA2222', value: 50_000, validUntil: '2027-11-25T12:00:00.000Z' },
        { code: 'GIFT-BBBB3333', value: 25_000, validUntil: null },
      ],
    });
    const en = renderOrderEmail('gift_voucher', 'en', v);
    const nb = renderOrderEmail('gift_voucher', 'nb', v);
    expect(en.subject).toContain('gift vouchers');
    expect(en.text).toContain('GIFT-AAAA2222 — 500.00 NOK, valid until 25 November 2027');
    expect(en.text).toContain('GIFT-BBBB3333 — 250.00 NOK');
    expect(nb.text).toContain('GIFT-AAAA2222 — 500.00 NOK, gyldig til');
    expect(en.html).toContain('GIFT-BBBB3333');
  });

  it('falls back to English for other languages and an empty client language', () => {
    const v = view();
    expect(renderOrderEmail('receipt', 'de-DE', v)).toEqual(renderOrderEmail('receipt', 'en', v));
    expect(renderOrderEmail('receipt', undefined, v)).toEqual(renderOrderEmail('receipt', 'en', v));
    expect(renderOrderEmail('receipt', 'no', v)).toEqual(renderOrderEmail('receipt', 'nb', v));
  });

  it('uses the expected wording per language', () => {
    const v = view();
    expect(renderOrderEmail('receipt', 'en', v).subject).toBe('Receipt for order 1042 – Fjellskolen');
    expect(renderOrderEmail('receipt', 'nb', v).subject).toBe('Kvittering for bestilling 1042 – Fjellskolen');
    expect(renderOrderEmail('invoice', 'en', v).subject).toBe('Invoice F-2026-17 for order 1042 – Fjellskolen');
    expect(renderOrderEmail('invoice', 'nb', v).subject).toBe('Faktura F-2026-17 for bestilling 1042 – Fjellskolen');
    expect(renderOrderEmail('invoice', 'en', view({ documentNumber: null })).subject).toBe(
      'Invoice for order 1042 – Fjellskolen',
    );
    expect(renderOrderEmail('invoice', 'nb', v).text).toContain('med forfall 15. mars 2026');
    expect(renderOrderEmail('invoice', 'en', v).text).toContain('to be paid by 15 March 2026');
    // 12:30 UTC is 13:30 in Oslo in winter.
    expect(renderOrderEmail('expiring_soon', 'nb', v).text).toContain('1. mars 2026 kl. 13:30');
    expect(renderOrderEmail('expiring_soon', 'en', v).text).toContain('1 March 2026 at 13:30');
    expect(renderOrderEmail('refund', 'en', v).text).toContain('We have refunded 125.00 NOK for order 1042.');
    expect(renderOrderEmail('refund', 'nb', v).text).toContain('Vi har refundert 125.00 NOK for bestilling 1042.');
    expect(renderOrderEmail('refund', 'en', view({ refundAmount: null })).text).toContain(
      'We have issued a refund for order 1042.',
    );
  });

  it('shows VAT rates in the language style', () => {
    const v = view({
      vatSummary: [
        { rateBp: 2500, base: 200_000, amount: 50_000 },
        { rateBp: 1250, base: 10_000, amount: 1_250 },
      ],
    });
    const en = renderOrderEmail('receipt', 'en', v).text;
    const nb = renderOrderEmail('receipt', 'nb', v).text;
    expect(en).toContain('VAT 25% (of 2000.00 NOK): 500.00 NOK');
    expect(en).toContain('VAT 12.5% (of 100.00 NOK): 12.50 NOK');
    expect(nb).toContain('MVA 25 % (av 2000.00 NOK): 500.00 NOK');
    expect(nb).toContain('MVA 12,5 % (av 100.00 NOK): 12.50 NOK');
  });

  it('formats money with the currency exponent', () => {
    const jpy = renderOrderEmail(
      'receipt',
      'en',
      view({ currency: 'jpy', totals: { exclVat: 1000, vat: 100, inclVat: 1100 }, vatSummary: [] }),
    );
    expect(jpy.text).toContain('Total: 1100 JPY');
    const kwd = renderOrderEmail(
      'receipt',
      'en',
      view({ currency: 'kwd', totals: { exclVat: 1000, vat: 250, inclVat: 1250 }, vatSummary: [] }),
    );
    expect(kwd.text).toContain('Total: 1.250 KWD');
  });

  it('HTML-escapes data in the HTML part, but not in subject and text', () => {
    const v = view({
      customerName: '<script>alert("x")</script>',
      tenantName: 'Berg & Dal',
      lines: [{ description: 'Kurs <b>fet</b>', quantity: 1, inclVat: 262_500 }],
    });
    const email = renderOrderEmail('receipt', 'en', v);
    expect(email.html).not.toContain('<script>');
    expect(email.html).toContain('&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;');
    expect(email.html).toContain('Kurs &lt;b&gt;fet&lt;/b&gt;');
    expect(email.html).toContain('Berg &amp; Dal');
    expect(email.text).toContain('Hi <script>alert("x")</script>,');
    expect(email.subject).toBe('Receipt for order 1042 – Berg & Dal');
  });

  it('shows the payment link only for kinds that ask for payment, and only http(s) links', () => {
    const v = view();
    const received = renderOrderEmail('order_received', 'en', v);
    expect(received.text).toContain('Pay now: https://pay.example.test/session/abc?x=1&y=2');
    expect(received.html).toContain('href="https://pay.example.test/session/abc?x&#x3D;1&amp;y&#x3D;2"');
    expect(renderOrderEmail('receipt', 'en', v).text).not.toContain('pay.example.test');
    const evil = renderOrderEmail('order_received', 'en', view({ paymentUrl: 'javascript:alert(1)' }));
    expect(evil.html).not.toContain('javascript:');
    expect(evil.text).not.toContain('Pay now');
  });

  it('leaves optional sentences out when their data is missing', () => {
    const v = view({ preliminaryUntil: null, customerName: '', documentNumber: null, dueDate: null });
    const received = renderOrderEmail('order_received', 'en', v);
    expect(received.text).not.toContain('held until');
    expect(received.text.startsWith('Hi,\n')).toBe(true);
    expect(received.html).not.toContain('<p style="margin:0 0 12px;line-height:1.5"></p>');
    expect(renderOrderEmail('invoice', 'en', v).text).toContain('Amount due: 2625.00 NOK.');
  });

  it('rejects an unknown kind', () => {
    expect(() => renderOrderEmail('nope' as EmailKind, 'en', view())).toThrow(/Unknown e-mail kind/);
  });
});

describe('a subscription renewal', () => {
  const renewal = { number: 7, periodStart: '2026-03-01', periodLastDay: '2026-03-31' };
  const FIRST_PARAGRAPH = {
    receipt: { en: 'Order 1042 is confirmed. Here is a summary', nb: 'Bestilling 1042 er bekreftet. Her er' },
    invoice: { en: 'Order 1042 is confirmed and has been invoiced.', nb: 'Bestilling 1042 er bekreftet og fakturert.' },
  } as const;
  const RENEWAL_LINE = {
    en: 'Renewal of subscription 7, period 1 March 2026 – 31 March 2026.',
    nb: 'Fornyelse av abonnement 7, periode 1. mars 2026 – 31. mars 2026.',
  } as const;

  for (const kind of ['receipt', 'invoice'] as const) {
    for (const language of ['en', 'nb'] as const) {
      it(`names the subscription and its period in the ${kind} (${language}), after the first paragraph`, () => {
        const email = renderOrderEmail(kind, language, view({ subscriptionRenewal: renewal }));
        const at = email.text.indexOf(RENEWAL_LINE[language]);
        expect(at).toBeGreaterThan(email.text.indexOf(FIRST_PARAGRAPH[kind][language]));
        expect(email.text.indexOf(FIRST_PARAGRAPH[kind][language])).toBeGreaterThan(-1);
        expect(email.html).toContain(`<p style="margin:0 0 12px;line-height:1.5">${RENEWAL_LINE[language]}</p>`);
        // The subject does not change for a renewal.
        expect(email.subject).toBe(renderOrderEmail(kind, language, view()).subject);
      });

      it(`leaves the renewal sentence out of an ordinary ${kind} (${language})`, () => {
        for (const subscriptionRenewal of [undefined, null]) {
          const email = renderOrderEmail(kind, language, view({ subscriptionRenewal }));
          expect(email.text).not.toMatch(/Renewal of subscription|Fornyelse av abonnement/);
          expect(email.html).not.toMatch(/Renewal of subscription|Fornyelse av abonnement/);
        }
      });
    }
  }

  it('shows the period as calendar days in any time zone', () => {
    for (const timeZone of ['America/Los_Angeles', 'Pacific/Kiritimati']) {
      const text = renderOrderEmail('receipt', 'en', view({ subscriptionRenewal: renewal, timeZone })).text;
      expect(text).toContain(RENEWAL_LINE.en);
    }
  });
});
