import { describe, expect, it } from 'vitest';
import type { OrderRequest } from '../../domain/order-request';
import type { BusinessError } from '../../domain/business-error';
import { isValidEmail } from '../../domain/email-address';
import type {
  CatalogCampaign,
  CatalogOccurrence,
  CatalogProduct,
  CatalogSnapshot,
  CatalogVoucher,
  OrderDraft,
} from '../../domain/order-draft';
import { MAX_PARTICIPANTS_PER_ORDER, ORDER_ERROR_CODES, validateOrder } from '../../domain/order-validation';

// ── Hand-built catalogue ─────────────────────────────────────────────────────────────────

const id = (n: number): string => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const COURSE = id(1);
const EXAM = id(2);
const BOOK = id(3);
const TICKET = id(4);
const PARKING = id(5);
const RETIRED = id(6);
const MISSING = id(99);

const OCC = id(101);
const OCC_PRICED = id(102);
const OCC_CANCELLED = id(103);
const OCC_PAST = id(104);
const OCC_ONE_SEAT = id(105);
const OCC_ORPHAN = id(106);
const OCC_UNKNOWN = id(199);

const NOW = '2025-06-01T10:00:00.000Z';

function product(p: Partial<CatalogProduct> & Pick<CatalogProduct, 'id' | 'name'>): CatalogProduct {
  return { type: 'item', price: 0, vatRateBp: 2500, dailyCapacity: null, active: true, ...p };
}

function occurrence(o: Partial<CatalogOccurrence> & Pick<CatalogOccurrence, 'id'>): CatalogOccurrence {
  return {
    productId: COURSE,
    name: 'TypeScript course, June',
    startsAt: '2025-06-20T08:00:00.000Z',
    capacity: 10,
    seatsTaken: 2,
    price: null,
    status: 'scheduled',
    ...o,
  };
}

function campaign(c: Partial<CatalogCampaign> = {}): CatalogCampaign {
  return {
    code: 'SPRING25',
    kind: 'percent',
    percent: 10,
    amount: null,
    currency: null,
    validFrom: '2025-05-01T00:00:00.000Z',
    validUntil: '2025-06-30T23:59:59.000Z',
    maxUses: 100,
    uses: 3,
    minOrderAmount: null,
    productIds: null,
    ...c,
  };
}

function voucher(v: Partial<CatalogVoucher> = {}): CatalogVoucher {
  return {
    code: 'GIFT-500',
    kind: 'value',
    currency: 'nok',
    remainingValue: 50000,
    percent: null,
    validUntil: '2026-01-01T00:00:00.000Z',
    redeemedAt: null,
    ...v,
  };
}

function snapshot(extra: Partial<CatalogSnapshot> = {}): CatalogSnapshot {
  const products = [
    product({ id: COURSE, name: 'TypeScript course', type: 'course', price: 125000 }),
    product({ id: EXAM, name: 'Exam', price: 20000 }),
    product({ id: BOOK, name: 'Course book', price: 50000, vatRateBp: 0 }),
    product({ id: TICKET, name: 'Concert ticket', type: 'ticket', price: 30000 }),
    product({ id: PARKING, name: 'Parking day pass', price: 10000, dailyCapacity: 50 }),
    product({ id: RETIRED, name: 'Old workbook', price: 9000, active: false }),
  ];
  const occurrences = [
    occurrence({ id: OCC }),
    occurrence({ id: OCC_PRICED, name: 'TypeScript course, July', price: 150000 }),
    occurrence({ id: OCC_CANCELLED, name: 'Cancelled run', status: 'cancelled' }),
    occurrence({ id: OCC_PAST, name: 'May run', startsAt: '2025-05-20T08:00:00.000Z' }),
    occurrence({ id: OCC_ONE_SEAT, name: 'Almost full run', capacity: 10, seatsTaken: 9 }),
    occurrence({ id: OCC_ORPHAN, name: 'Broken run', productId: MISSING }),
  ];
  return {
    tenant: {
      id: id(900),
      slug: 'acme',
      name: 'Acme Academy',
      baseCurrency: 'nok',
      pricesIncludeVat: false,
      preliminaryMinutes: 30,
      locale: 'nb-NO',
    },
    products: Object.fromEntries(products.map((p) => [p.id, p])),
    occurrences: Object.fromEntries(occurrences.map((o) => [o.id, o])),
    exchangeRates: { eur: '0.085' },
    campaign: null,
    voucher: null,
    now: NOW,
    ...extra,
  };
}

type Participant = NonNullable<OrderRequest['lines'][number]['participants']>[number];

function person(n: number, extra: Partial<Participant> = {}): Participant {
  return { firstname: `First${n}`, lastname: `Last${n}`, email: `p${n}@example.com`, ...extra };
}

function request(extra: Partial<OrderRequest> = {}): OrderRequest {
  return {
    payment_method: 'invoice',
    booker: { name: 'Jane Booker', email: 'Jane@Example.com' },
    lines: [{ occurrence_id: OCC, participants: [person(1)] }],
    ...extra,
  };
}

const allow = { canOverridePrice: true };
const deny = { canOverridePrice: false };

// Every code seen by a test, to check ORDER_ERROR_CODES is fully exercised at the end.
const seenCodes = new Set<string>();

function errorsOf(req: OrderRequest, snap: CatalogSnapshot = snapshot(), ctx = deny): BusinessError[] {
  const outcome = validateOrder(req, snap, ctx);
  if (outcome.ok) throw new Error(`expected errors, got a draft: ${JSON.stringify(outcome.draft.pricing.totals)}`);
  for (const e of outcome.errors) {
    seenCodes.add(e.code);
    expect(e.code in ORDER_ERROR_CODES, `unlisted code ${e.code}`).toBe(true);
    expect(e.message.length).toBeGreaterThan(0);
  }
  return outcome.errors;
}

function draftOf(req: OrderRequest, snap: CatalogSnapshot = snapshot(), ctx = deny): OrderDraft {
  const outcome = validateOrder(req, snap, ctx);
  if (!outcome.ok) throw new Error(`expected a draft, got ${JSON.stringify(outcome.errors)}`);
  return outcome.draft;
}

/** [code, field, index] triples, the shape most assertions compare. */
function triples(errors: BusinessError[]): [string, string | undefined, number | undefined][] {
  return errors.map((e) => [e.code, e.field, e.index]);
}

/** [key, productId, participantPosition, quantity, unitPrice, discountPercent] per line. */
function lineRows(d: OrderDraft): unknown[][] {
  return d.lines.map((l) => [l.key, l.productId, l.participantPosition, l.quantity, l.unitPrice, l.discountPercent]);
}

// ── Valid orders ─────────────────────────────────────────────────────────────────────────

describe('validateOrder — valid course orders', () => {
  it('2 participants + exam add-on at 50 %: lines, participants, holds and exact totals (25 % VAT)', () => {
    const d = draftOf(
      request({
        lines: [
          {
            occurrence_id: OCC,
            participants: [
              person(1, {
                products: [{ id: EXAM, discount_percent: 50 }],
                phone: ' 98765432 ',
                date_of_birth: '1979-12-01',
              }),
              person(2, {
                products: [{ id: EXAM, discount_percent: 50 }],
                home_address: { line_1: '125 Holburn Lane', zipcode: '0262', city: 'Oslo', country_code: 'NO' },
              }),
            ],
          },
        ],
      }),
    );
    expect(d.currency).toBe('nok');
    expect(d.exchangeRate).toBeNull();
    expect(d.paymentMethod).toBe('invoice');
    expect(lineRows(d)).toEqual([
      ['l0', COURSE, 0, 1, 125000, null],
      ['l1', EXAM, 0, 1, 20000, 50],
      ['l2', COURSE, 1, 1, 125000, null],
      ['l3', EXAM, 1, 1, 20000, 50],
    ]);
    expect(d.lines.map((l) => l.position)).toEqual([0, 1, 2, 3]);
    expect(d.lines.map((l) => l.occurrenceId)).toEqual([OCC, null, OCC, null]);
    expect(d.lines[0]?.description).toBe('TypeScript course, June');
    expect(d.lines[1]?.description).toBe('Exam');

    // course 1250.00 excl + 25 % = 1562.50; exam 200.00 − 50 % = 100.00 + 25 % = 125.00; ×2.
    expect(d.pricing.totals).toEqual({
      beforeDiscounts: 290000,
      discounts: 20000,
      exclVat: 270000,
      vat: 67500,
      inclVat: 337500,
    });
    expect(d.pricing.lines.map((l) => [l.key, l.exclVat, l.vat, l.inclVat, l.participantIndex])).toEqual([
      ['l0', 125000, 31250, 156250, 0],
      ['l1', 10000, 2500, 12500, 0],
      ['l2', 125000, 31250, 156250, 1],
      ['l3', 10000, 2500, 12500, 1],
    ]);
    expect(d.pricing.vatSummary).toEqual([{ rateBp: 2500, base: 270000, amount: 67500 }]);

    expect(d.participants).toEqual([
      {
        position: 0,
        firstname: 'First1',
        lastname: 'Last1',
        email: 'p1@example.com',
        phone: '98765432',
        dateOfBirth: '1979-12-01',
        details: {},
      },
      {
        position: 1,
        firstname: 'First2',
        lastname: 'Last2',
        email: 'p2@example.com',
        phone: null,
        dateOfBirth: null,
        details: { home_address: { line_1: '125 Holburn Lane', zipcode: '0262', city: 'Oslo', country_code: 'NO' } },
      },
    ]);
    expect(d.holds).toEqual([{ occurrenceId: OCC, productId: null, inventoryDate: null, quantity: 2 }]);
    expect(d.bookerEmail).toBe('jane@example.com');
    expect(d.campaignCode).toBeNull();
    expect(d.voucherCode).toBeNull();
  });

  it('occurrence price wins over the product price; quantity without participants is one line', () => {
    const d = draftOf(request({ lines: [{ occurrence_id: OCC_PRICED, quantity: 3, discount_percent: 10 }] }));
    expect(lineRows(d)).toEqual([['l0', COURSE, null, 3, 150000, 10]]);
    expect(d.holds).toEqual([{ occurrenceId: OCC_PRICED, productId: null, inventoryDate: null, quantity: 3 }]);
    // 4500.00 − 10 % = 4050.00, VAT 1012.50
    expect(d.pricing.totals).toEqual({
      beforeDiscounts: 450000,
      discounts: 45000,
      exclVat: 405000,
      vat: 101250,
      inclVat: 506250,
    });
  });

  it('participant positions run across lines; seats on the same occurrence are summed into one hold', () => {
    const d = draftOf(
      request({
        lines: [
          { occurrence_id: OCC, participants: [person(1), person(2)] },
          { product_id: BOOK, quantity: 2 },
          { occurrence_id: OCC, participants: [person(3, { products: [{ id: BOOK }] })] },
        ],
      }),
    );
    expect(lineRows(d)).toEqual([
      ['l0', COURSE, 0, 1, 125000, null],
      ['l1', COURSE, 1, 1, 125000, null],
      ['l2', BOOK, null, 2, 50000, null],
      ['l3', COURSE, 2, 1, 125000, null],
      ['l4', BOOK, 2, 1, 50000, null],
    ]);
    expect(d.participants.map((p) => [p.position, p.firstname])).toEqual([
      [0, 'First1'],
      [1, 'First2'],
      [2, 'First3'],
    ]);
    expect(d.holds).toEqual([{ occurrenceId: OCC, productId: null, inventoryDate: null, quantity: 3 }]);
    // 3 × 1562.50 + books 3 × 500.00 at 0 % VAT
    expect(d.pricing.totals.inclVat).toBe(3 * 156250 + 150000);
    expect(d.pricing.vatSummary).toEqual([
      { rateBp: 2500, base: 375000, amount: 93750 },
      { rateBp: 0, base: 150000, amount: 0 },
    ]);
  });

  it('bookerEmail falls back to invoice.email, then the first participant email (trimmed, lowercase)', () => {
    expect(draftOf(request({ booker: undefined, invoice: { email: ' Billing@Acme.NO ' } })).bookerEmail).toBe(
      'billing@acme.no',
    );
    const card = draftOf(
      request({
        payment_method: 'card',
        booker: { name: 'No email' },
        lines: [{ occurrence_id: OCC, participants: [person(1, { email: ' John@Example.com ' })] }],
      }),
    );
    expect(card.bookerEmail).toBe('john@example.com');
    expect(card.participants[0]?.email).toBe('John@Example.com');
  });

  it('card order with complete/cancel URLs is fine', () => {
    const d = draftOf(
      request({
        payment_method: 'card',
        payment_complete_url: 'https://shop.example.com/done',
        payment_cancel_url: 'https://shop.example.com/cancel',
      }),
    );
    expect(d.paymentMethod).toBe('card');
  });
});

describe('validateOrder — auto_append_course_product', () => {
  const config = { auto_append_course_product: false };

  it('false: the listed course product is the main line (its price override and discount apply)', () => {
    const d = draftOf(
      request({
        config,
        lines: [
          {
            occurrence_id: OCC,
            participants: [
              person(1, { products: [{ id: EXAM }, { id: COURSE, discount_percent: 20 }] }),
              person(2, { products: [{ id: COURSE, price: 100000 }] }),
            ],
          },
        ],
      }),
      snapshot(),
      allow,
    );
    expect(lineRows(d)).toEqual([
      ['l0', COURSE, 0, 1, 125000, 20],
      ['l1', EXAM, 0, 1, 20000, null],
      ['l2', COURSE, 1, 1, 100000, null],
    ]);
    expect(d.pricing.totals.exclVat).toBe(100000 + 20000 + 100000);
  });

  it('false: a participant without the course product, and one with it twice', () => {
    const errors = errorsOf(
      request({
        config,
        lines: [
          {
            occurrence_id: OCC,
            participants: [
              person(1, { products: [{ id: COURSE }] }),
              person(2, { products: [{ id: EXAM }] }),
              person(3),
              person(4, { products: [{ id: COURSE }, { id: EXAM }, { id: COURSE }] }),
            ],
          },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['participant_does_not_have_a_course_product', 'lines.0.participants.1.products', 1],
      ['participant_does_not_have_a_course_product', 'lines.0.participants.2.products', 2],
      ['participant_have_multiple_course_products', 'lines.0.participants.3.products.2.id', 3],
    ]);
    expect(errors[0]?.message).toBe('Participant 2 is missing the course product TypeScript course');
  });

  it('true (default): the course product is appended; listing it once is accepted, twice is not', () => {
    const d = draftOf(
      request({ lines: [{ occurrence_id: OCC, participants: [person(1, { products: [{ id: COURSE }] })] }] }),
    );
    expect(lineRows(d)).toEqual([['l0', COURSE, 0, 1, 125000, null]]);
    const errors = errorsOf(
      request({
        lines: [{ occurrence_id: OCC, participants: [person(1, { products: [{ id: COURSE }, { id: COURSE }] })] }],
      }),
    );
    expect(triples(errors)).toEqual([
      ['participant_have_multiple_course_products', 'lines.0.participants.0.products.1.id', 0],
    ]);
  });

  it('the course product is one seat: quantity 2 on it is invalid', () => {
    const errors = errorsOf(
      request({
        lines: [{ occurrence_id: OCC, participants: [person(1, { products: [{ id: COURSE, quantity: 2 }] })] }],
      }),
    );
    expect(triples(errors)).toEqual([['quantity_invalid', 'lines.0.participants.0.products.0.quantity', 0]]);
  });
});

// ── Currency, campaign, voucher ──────────────────────────────────────────────────────────

describe('validateOrder — currency conversion', () => {
  it('converts catalogue unit prices before pricing; overrides are taken in the order currency', () => {
    const d = draftOf(
      request({
        currency: 'eur',
        lines: [
          {
            occurrence_id: OCC,
            participants: [person(1, { products: [{ id: EXAM, quantity: 3 }] }), person(2, { price: 9900 })],
          },
        ],
      }),
      snapshot(),
      allow,
    );
    expect(d.currency).toBe('eur');
    expect(d.exchangeRate).toBe('0.085');
    // 1250.00 NOK × 0.085 = 106.25 EUR; 200.00 NOK × 0.085 = 17.00 EUR (per unit, then × 3).
    expect(lineRows(d)).toEqual([
      ['l0', COURSE, 0, 1, 10625, null],
      ['l1', EXAM, 0, 3, 1700, null],
      ['l2', COURSE, 1, 1, 9900, null],
    ]);
    expect(d.pricing.currency).toBe('eur');
    expect(d.pricing.totals).toEqual({
      beforeDiscounts: 25625,
      discounts: 0,
      exclVat: 25625,
      vat: 6406,
      inclVat: 32031,
    });
  });

  it('rounds each converted unit price half away from zero (0.085 × 0.05 NOK)', () => {
    const snap = snapshot();
    snap.products[BOOK] = product({ id: BOOK, name: 'Sticker', price: 1030, vatRateBp: 0 }); // 10.30 NOK → 0.87550 EUR
    const d = draftOf(request({ currency: 'eur', lines: [{ product_id: BOOK, quantity: 2 }] }), snap);
    expect(lineRows(d)).toEqual([['l0', BOOK, null, 2, 88, null]]);
    expect(d.pricing.totals.inclVat).toBe(176);
  });

  it('the base currency given explicitly needs no rate', () => {
    const d = draftOf(request({ currency: 'nok' }), snapshot({ exchangeRates: {} }));
    expect(d.exchangeRate).toBeNull();
  });

  it('exchange_rate_does_not_exist for a currency without a (usable) rate', () => {
    expect(triples(errorsOf(request({ currency: 'usd' })))).toEqual([
      ['exchange_rate_does_not_exist', 'currency', undefined],
    ]);
    expect(triples(errorsOf(request({ currency: 'eur' }), snapshot({ exchangeRates: { eur: '0' } })))).toEqual([
      ['exchange_rate_does_not_exist', 'currency', undefined],
    ]);
  });
});

describe('validateOrder — campaigns', () => {
  const withExam = (code: string): OrderRequest =>
    request({
      campaign_code: code,
      lines: [{ occurrence_id: OCC, participants: [person(1, { products: [{ id: EXAM }] })] }],
    });

  it('percent campaign scoped to products discounts only those lines; code matched case-insensitively', () => {
    const d = draftOf(withExam('spring25'), snapshot({ campaign: campaign({ productIds: [EXAM] }) }));
    expect(d.campaignCode).toBe('SPRING25');
    expect(d.pricing.lines.map((l) => [l.productId, l.discount, l.exclVat])).toEqual([
      [COURSE, 0, 125000],
      [EXAM, 2000, 18000],
    ]);
    expect(d.pricing.totals).toEqual({
      beforeDiscounts: 145000,
      discounts: 2000,
      exclVat: 143000,
      vat: 35750,
      inclVat: 178750,
    });
  });

  it('unscoped percent campaign applies to every line, after the line discount', () => {
    const d = draftOf(
      request({ campaign_code: 'SPRING25', lines: [{ occurrence_id: OCC, quantity: 1, discount_percent: 20 }] }),
      snapshot({ campaign: campaign() }),
    );
    // 1250.00 − 20 % = 1000.00 − 10 % = 900.00
    expect(d.pricing.totals.exclVat).toBe(90000);
    expect(d.pricing.totals.discounts).toBe(35000);
  });

  it('amount campaign in the order currency', () => {
    const d = draftOf(
      withExam('SPRING25'),
      snapshot({ campaign: campaign({ kind: 'amount', percent: null, amount: 14500, currency: 'nok' }) }),
    );
    expect(d.pricing.totals.discounts).toBe(14500);
    expect(d.pricing.totals.exclVat).toBe(130500);
  });

  it('unknown, not yet valid, expired, used up, other currency, out of scope', () => {
    const cases: [CatalogCampaign | null, string][] = [
      [null, 'campaign_code_invalid'],
      [campaign({ code: 'OTHER' }), 'campaign_code_invalid'],
      [campaign({ validFrom: '2025-06-02T00:00:00.000Z' }), 'campaign_code_not_yet_valid'],
      [campaign({ validUntil: '2025-05-31T23:59:59.000Z' }), 'campaign_code_expired'],
      [campaign({ maxUses: 3, uses: 3 }), 'campaign_code_used_up'],
      [campaign({ kind: 'amount', percent: null, amount: 1000, currency: 'eur' }), 'campaign_code_invalid'],
      [campaign({ productIds: [BOOK] }), 'campaign_code_invalid'],
    ];
    for (const [c, code] of cases) {
      expect(triples(errorsOf(withExam('SPRING25'), snapshot({ campaign: c }))), code).toEqual([
        [code, 'campaign_code', undefined],
      ]);
    }
  });

  it('minimum order amount is compared with the total incl. VAT before the campaign', () => {
    // course + exam = 1450.00 excl = 1812.50 incl.
    const atMinimum = draftOf(withExam('SPRING25'), snapshot({ campaign: campaign({ minOrderAmount: 181250 }) }));
    expect(atMinimum.pricing.totals.exclVat).toBe(130500); // discounted below the minimum afterwards: still fine
    expect(
      triples(errorsOf(withExam('SPRING25'), snapshot({ campaign: campaign({ minOrderAmount: 181251 }) }))),
    ).toEqual([['campaign_minimum_not_met', 'campaign_code', undefined]]);
  });
});

describe('validateOrder — vouchers', () => {
  it('value voucher is taken from the incl-VAT total', () => {
    const d = draftOf(request({ voucher_code: 'gift-500' }), snapshot({ voucher: voucher() }));
    expect(d.voucherCode).toBe('GIFT-500');
    expect(d.pricing.voucherApplied).toBe(50000);
    // 1562.50 incl − 500.00 = 1062.50 incl, VAT 212.50, excl 850.00
    expect(d.pricing.totals).toEqual({
      beforeDiscounts: 125000,
      discounts: 40000,
      exclVat: 85000,
      vat: 21250,
      inclVat: 106250,
    });
  });

  it('a voucher covering everything makes a free order valid', () => {
    const d = draftOf(
      request({ payment_method: 'free', voucher_code: 'GIFT-500' }),
      snapshot({ voucher: voucher({ remainingValue: 1000000 }) }),
    );
    expect(d.pricing.voucherApplied).toBe(156250);
    expect(d.pricing.totals.inclVat).toBe(0);
  });

  it('percent voucher', () => {
    const d = draftOf(
      request({ voucher_code: 'HALF' }),
      snapshot({
        voucher: voucher({ code: 'HALF', kind: 'percent', percent: 50, currency: null, remainingValue: null }),
      }),
    );
    expect(d.pricing.totals.exclVat).toBe(62500);
  });

  it('unknown, expired, redeemed, empty, other currency', () => {
    const cases: [CatalogVoucher | null, string][] = [
      [null, 'voucher_code_invalid'],
      [voucher({ validUntil: '2025-05-01T00:00:00.000Z' }), 'voucher_code_expired'],
      [voucher({ redeemedAt: '2025-05-02T00:00:00.000Z' }), 'voucher_code_already_used'],
      [voucher({ remainingValue: 0 }), 'voucher_code_already_used'],
      [voucher({ currency: 'eur' }), 'voucher_code_invalid'],
    ];
    for (const [v, code] of cases) {
      expect(triples(errorsOf(request({ voucher_code: 'GIFT-500' }), snapshot({ voucher: v }))), code).toEqual([
        [code, 'voucher_code', undefined],
      ]);
    }
  });
});

// ── Products, dates, capacity ────────────────────────────────────────────────────────────

describe('validateOrder — product lines and per-date holds', () => {
  it('one hold per (product, date), summed; participants on a product line are named holders', () => {
    const d = draftOf(
      request({
        lines: [
          { product_id: PARKING, date: '2025-06-10', quantity: 2 },
          { product_id: PARKING, date: '2025-06-11' },
          { product_id: PARKING, date: '2025-06-10', participants: [person(1), person(2), person(3)] },
          { product_id: BOOK, quantity: 4 },
        ],
      }),
    );
    expect(d.holds).toEqual([
      { occurrenceId: null, productId: PARKING, inventoryDate: '2025-06-10', quantity: 5 },
      { occurrenceId: null, productId: PARKING, inventoryDate: '2025-06-11', quantity: 1 },
    ]);
    expect(d.lines.map((l) => [l.key, l.productId, l.inventoryDate, l.participantPosition, l.quantity])).toEqual([
      ['l0', PARKING, '2025-06-10', null, 2],
      ['l1', PARKING, '2025-06-11', null, 1],
      ['l2', PARKING, '2025-06-10', 0, 1],
      ['l3', PARKING, '2025-06-10', 1, 1],
      ['l4', PARKING, '2025-06-10', 2, 1],
      ['l5', BOOK, null, null, 4],
    ]);
    expect(d.participants).toHaveLength(3);
  });

  it("today's date is still bookable", () => {
    expect(draftOf(request({ lines: [{ product_id: PARKING, date: '2025-06-01' }] })).holds[0]?.inventoryDate).toBe(
      '2025-06-01',
    );
  });

  it('product, date and quantity errors', () => {
    const errors = errorsOf(
      request({
        lines: [
          { product_id: MISSING },
          { product_id: RETIRED },
          { product_id: TICKET },
          { product_id: PARKING },
          { product_id: PARKING, date: '2025-05-31' },
          { product_id: PARKING, date: '2025-02-30' },
          { product_id: BOOK, quantity: 101 },
          { product_id: BOOK, quantity: 2, participants: [person(1)] },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['product_identifier_invalid', 'lines.0.product_id', 0],
      ['product_identifier_invalid', 'lines.1.product_id', 1],
      ['occurrence_required', 'lines.2.product_id', 2],
      ['date_required', 'lines.3.date', 3],
      ['date_in_past', 'lines.4.date', 4],
      ['date_invalid', 'lines.5.date', 5],
      ['quantity_invalid', 'lines.6.quantity', 6],
      ['quantity_invalid', 'lines.7.quantity', 7],
    ]);
  });

  it('date_not_allowed: a date that no per-date inventory would hold is refused, not dropped', () => {
    const errors = errorsOf(
      request({
        lines: [
          { product_id: BOOK, date: '2025-06-10', quantity: 4 },
          { occurrence_id: OCC, date: '2025-06-20', participants: [person(1)] },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['date_not_allowed', 'lines.0.date', 0],
      ['date_not_allowed', 'lines.1.date', 1],
    ]);
  });
});

describe('validateOrder — occurrence lines', () => {
  it('line target, occurrence state and quantity errors', () => {
    const errors = errorsOf(
      request({
        lines: [
          {},
          { occurrence_id: OCC, product_id: BOOK },
          { occurrence_id: OCC_UNKNOWN },
          { occurrence_id: OCC_CANCELLED },
          { occurrence_id: OCC_PAST },
          { occurrence_id: OCC_ORPHAN },
          { occurrence_id: OCC, quantity: 0 },
          { occurrence_id: OCC, quantity: 3, participants: [person(1), person(2)] },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['line_target_missing', 'lines.0', 0],
      ['line_target_ambiguous', 'lines.1', 1],
      ['course_date_identifier_invalid', 'lines.2.occurrence_id', 2],
      ['occurrence_cancelled', 'lines.3.occurrence_id', 3],
      ['occurrence_in_past', 'lines.4.occurrence_id', 4],
      ['default_course_product_missing', 'lines.5.occurrence_id', 5],
      ['quantity_invalid', 'lines.6.quantity', 6],
      ['quantity_invalid', 'lines.7.quantity', 7],
    ]);
  });

  it('participants_empty: an empty list is refused instead of booking one anonymous seat', () => {
    const lines = [
      { occurrence_id: OCC, participants: [] },
      { product_id: BOOK, participants: [] },
    ];
    const errors = errorsOf(request({ lines }));
    expect(triples(errors)).toEqual([
      ['participants_empty', 'lines.0.participants', 0],
      ['participants_empty', 'lines.1.participants', 1],
    ]);
  });

  it("product_inactive: a deactivated product's occurrences are not for sale", () => {
    const snap = snapshot();
    snap.products[COURSE] = { ...snap.products[COURSE]!, active: false };
    expect(triples(errorsOf(request(), snap))).toEqual([['product_inactive', 'lines.0.occurrence_id', 0]]);
  });

  it('an occurrence starting exactly now is in the past', () => {
    const snap = snapshot();
    snap.occurrences[OCC] = occurrence({ id: OCC, startsAt: NOW });
    expect(triples(errorsOf(request(), snap))).toEqual([['occurrence_in_past', 'lines.0.occurrence_id', 0]]);
  });

  it('too_many_participants: more than the limit in all is refused before anything else is checked', () => {
    const people = (n: number) => Array.from({ length: n }, (_, i) => ({ firstname: 'P', lastname: String(i) }));
    const lines = [
      { occurrence_id: OCC, participants: people(MAX_PARTICIPANTS_PER_ORDER) },
      { occurrence_id: OCC, participants: people(1) },
    ];
    expect(triples(errorsOf(request({ lines })))).toEqual([['too_many_participants', 'lines', undefined]]);
  });

  it('order_lines_empty', () => {
    expect(triples(errorsOf(request({ lines: [] })))).toEqual([['order_lines_empty', 'lines', undefined]]);
  });

  it('occurrence_full: seats left are compared with the seats of all lines naming the occurrence', () => {
    expect(draftOf(request({ lines: [{ occurrence_id: OCC_ONE_SEAT, participants: [person(1)] }] })).holds).toEqual([
      { occurrenceId: OCC_ONE_SEAT, productId: null, inventoryDate: null, quantity: 1 },
    ]);
    const errors = errorsOf(
      request({
        lines: [
          { product_id: BOOK },
          { occurrence_id: OCC_ONE_SEAT, participants: [person(1)] },
          { occurrence_id: OCC_ONE_SEAT, quantity: 1 },
        ],
      }),
    );
    expect(triples(errors)).toEqual([['occurrence_full', 'lines.1.occurrence_id', 1]]);
    expect(errors[0]?.message).toBe('Almost full run has 1 seat(s) left; this order needs 2');
    // 8 seats left on OCC
    expect(triples(errorsOf(request({ lines: [{ occurrence_id: OCC, quantity: 9 }] })))).toEqual([
      ['occurrence_full', 'lines.0.occurrence_id', 0],
    ]);
  });
});

describe('validateOrder — participants', () => {
  it('name and email checks', () => {
    const errors = errorsOf(
      request({
        lines: [
          {
            occurrence_id: OCC,
            participants: [
              person(1, { firstname: '  ' }),
              person(2, { lastname: undefined }),
              person(3, { email: undefined }),
              person(4, { email: '   ' }),
              person(5, { email: 'not an email' }),
              person(6, { email: 'p6@example' }),
            ],
          },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['participant_name_invalid_empty', 'lines.0.participants.0.firstname', 0],
      ['participant_name_invalid_empty', 'lines.0.participants.1.lastname', 1],
      ['participant_email_invalid_empty', 'lines.0.participants.2.email', 2],
      ['participant_email_invalid_empty', 'lines.0.participants.3.email', 3],
      ['participant_email_invalid', 'lines.0.participants.4.email', 4],
      ['participant_email_invalid', 'lines.0.participants.5.email', 5],
    ]);
    expect(errors[2]?.message).toBe('Participant 3 must have an email address');
  });

  it('participant add-ons: unknown, inactive, dated or per-date products are invalid', () => {
    const errors = errorsOf(
      request({
        lines: [
          {
            occurrence_id: OCC,
            participants: [
              person(1, {
                products: [{ id: EXAM }, { id: MISSING }, { id: RETIRED }, { id: TICKET }, { id: PARKING }],
              }),
            ],
          },
        ],
      }),
    );
    expect(triples(errors)).toEqual([
      ['participant_products_invalid', 'lines.0.participants.0.products.1.id', 0],
      ['participant_products_invalid', 'lines.0.participants.0.products.2.id', 0],
      ['participant_products_invalid', 'lines.0.participants.0.products.3.id', 0],
      ['participant_products_invalid', 'lines.0.participants.0.products.4.id', 0],
    ]);
    expect(errors[0]?.message).toBe(`One of the products for participant 1 has an invalid id: ${MISSING}`);
  });

  it('participants on a product line get the same checks', () => {
    expect(
      triples(errorsOf(request({ lines: [{ product_id: BOOK, participants: [person(1, { email: 'x' })] }] }))),
    ).toEqual([['participant_email_invalid', 'lines.0.participants.0.email', 0]]);
  });
});

describe('validateOrder — price overrides', () => {
  const overriding = (): OrderRequest =>
    request({
      lines: [
        {
          occurrence_id: OCC,
          price: 110000,
          participants: [person(1, { price: 100000, products: [{ id: EXAM, price: 0 }] }), person(2)],
        },
        { product_id: BOOK, price: 40000 },
      ],
    });

  it('allowed with permission: participant price > line price > catalogue price', () => {
    const d = draftOf(overriding(), snapshot(), allow);
    expect(lineRows(d)).toEqual([
      ['l0', COURSE, 0, 1, 100000, null],
      ['l1', EXAM, 0, 1, 0, null],
      ['l2', COURSE, 1, 1, 110000, null],
      ['l3', BOOK, null, 1, 40000, null],
    ]);
    expect(d.pricing.totals.exclVat).toBe(250000);
  });

  it('price_override_not_allowed without permission, pointing at each override', () => {
    expect(triples(errorsOf(overriding(), snapshot(), deny))).toEqual([
      ['price_override_not_allowed', 'lines.0.price', 0],
      ['price_override_not_allowed', 'lines.0.participants.0.price', 0],
      ['price_override_not_allowed', 'lines.0.participants.0.products.0.price', 0],
      ['price_override_not_allowed', 'lines.1.price', 1],
    ]);
  });
});

// ── Payment, booker, invoice ─────────────────────────────────────────────────────────────

describe('validateOrder — payment method, booker and invoice', () => {
  it('card-only fields on invoice and free orders', () => {
    expect(
      triples(
        errorsOf(request({ payment_complete_url: 'https://x.example/ok', payment_cancel_url: 'https://x.example/no' })),
      ),
    ).toEqual([
      ['card_fields_not_allowed', 'payment_complete_url', undefined],
      ['card_fields_not_allowed', 'payment_cancel_url', undefined],
    ]);
    const free = errorsOf(
      request({
        payment_method: 'free',
        payment_cancel_url: 'https://x.example/no',
        lines: [{ occurrence_id: OCC, participants: [person(1, { price: 0 })] }],
      }),
      snapshot(),
      allow,
    );
    expect(triples(free)).toEqual([['card_fields_not_allowed', 'payment_cancel_url', undefined]]);
  });

  it('invoice orders need a recipient', () => {
    expect(triples(errorsOf(request({ booker: { name: 'Jane' } })))).toEqual([
      ['invoice_recipient_missing', 'invoice.email', undefined],
    ]);
    expect(draftOf(request({ booker: undefined, invoice: { email: 'billing@acme.no' } })).bookerEmail).toBe(
      'billing@acme.no',
    );
  });

  it('booker and invoice emails must be valid when given', () => {
    expect(
      triples(errorsOf(request({ booker: { email: 'jane@' }, invoice: { email: 'billing at acme.no' } }))),
    ).toEqual([
      ['booker_email_invalid', 'booker.email', undefined],
      ['invoice_email_invalid', 'invoice.email', undefined],
    ]);
  });

  it('card orders need an email for the receipt', () => {
    expect(
      triples(
        errorsOf(request({ payment_method: 'card', booker: undefined, lines: [{ occurrence_id: OCC, quantity: 1 }] })),
      ),
    ).toEqual([['booker_email_invalid_empty', 'booker.email', undefined]]);
  });

  it("'free' is only allowed for a zero total", () => {
    expect(triples(errorsOf(request({ payment_method: 'free' })))).toEqual([
      ['payment_method_free_not_allowed', 'payment_method', undefined],
    ]);
    const d = draftOf(
      request({
        payment_method: 'free',
        lines: [{ occurrence_id: OCC, participants: [person(1, { discount_percent: 100 })] }],
      }),
    );
    expect(d.pricing.totals.inclVat).toBe(0);
    expect(d.paymentMethod).toBe('free');
  });

  it("'prepaid' needs a prepayment equal to the total, in the order's currency; nothing else takes one", () => {
    const total = draftOf(request()).pricing.totals.inclVat;
    const prepayment = { amount: total, currency: 'nok', method: 'card', transaction_code: 'psp-1' };
    const paid = draftOf(request({ payment_method: 'prepaid', prepayment }));
    expect(paid.paymentMethod).toBe('prepaid');
    expect(errorsOf(request({ payment_method: 'prepaid', prepayment: { ...prepayment, amount: total + 1 } }))).toEqual([
      expect.objectContaining({ code: 'prepayment_amount_mismatch', field: 'prepayment.amount', expected: total }),
    ]);
    expect(
      triples(errorsOf(request({ payment_method: 'prepaid', prepayment: { ...prepayment, currency: 'eur' } }))),
    ).toEqual([['prepayment_currency_mismatch', 'prepayment.currency', undefined]]);
    expect(triples(errorsOf(request({ payment_method: 'prepaid' })))).toEqual([
      ['prepayment_missing', 'prepayment', undefined],
    ]);
    expect(triples(errorsOf(request({ payment_method: 'invoice', prepayment })))).toEqual([
      ['prepayment_not_allowed', 'prepayment', undefined],
    ]);
  });

  it('pricing errors become pricing_invalid on the request line', () => {
    expect(
      triples(
        errorsOf(
          request({ lines: [{ product_id: BOOK }, { occurrence_id: OCC, quantity: 1, discount_percent: 12.345 }] }),
        ),
      ),
    ).toEqual([['pricing_invalid', 'lines.1', 1]]);
  });
});

// ── Many errors at once ──────────────────────────────────────────────────────────────────

describe('validateOrder — collects every error', () => {
  it('4 errors in one request (participants across lines, a line, the booker), with fields and indexes', () => {
    const errors = errorsOf(
      request({
        booker: { email: 'jane.example.com' },
        lines: [
          { occurrence_id: OCC, participants: [person(1), person(2, { email: '' })] },
          { product_id: MISSING, participants: [person(3, { firstname: '' })] },
        ],
      }),
    );
    expect(errors).toEqual([
      {
        code: 'participant_email_invalid_empty',
        message: 'Participant 2 must have an email address',
        field: 'lines.0.participants.1.email',
        index: 1,
      },
      {
        code: 'participant_name_invalid_empty',
        message: 'Participant 3 must have a first name and a last name',
        field: 'lines.1.participants.0.firstname',
        index: 2,
      },
      {
        code: 'product_identifier_invalid',
        message: `Line 2: product ${MISSING} does not exist or is not for sale`,
        field: 'lines.1.product_id',
        index: 1,
      },
      { code: 'booker_email_invalid', message: "The booker's email address is invalid", field: 'booker.email' },
    ]);
  });

  it('line, payment, campaign and voucher errors together', () => {
    const errors = errorsOf(
      request({
        currency: 'sek',
        payment_method: 'invoice',
        booker: undefined,
        payment_complete_url: 'https://x.example/ok',
        campaign_code: 'NOPE',
        voucher_code: 'NOPE',
        lines: [{ occurrence_id: OCC_CANCELLED }],
      }),
    );
    expect(errors.map((e) => e.code)).toEqual([
      'exchange_rate_does_not_exist',
      'occurrence_cancelled',
      'card_fields_not_allowed',
      'invoice_recipient_missing',
      'campaign_code_invalid',
      'voucher_code_invalid',
    ]);
  });
});

describe('isValidEmail', () => {
  it('accepts ordinary addresses', () => {
    for (const e of [
      'a@b.no',
      'john.doe+tag@example.co.uk',
      "o'brien@example.ie",
      'x@sub-domain.example.com',
      'ø@bølle.no',
    ]) {
      expect(isValidEmail(e), e).toBe(true);
    }
  });
  it('rejects malformed ones', () => {
    const tooLong = `${'a'.repeat(64)}@${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(63)}.com`;
    for (const e of [
      '',
      'plain',
      '@example.com',
      'a@',
      'a@b',
      'a@b.c',
      'a b@example.com',
      'a@@example.com',
      'a@b@c.com',
      '.a@example.com',
      'a.@example.com',
      'a..b@example.com',
      'a@-example.com',
      'a@example..com',
      'a@example.123',
      ' a@example.com',
      tooLong,
    ]) {
      expect(isValidEmail(e), e).toBe(false);
    }
  });
});

describe('validateOrder — several campaign codes (campaign_codes)', () => {
  const stacking = (campaigns: CatalogCampaign[]) =>
    snapshot({
      tenant: { ...snapshot().tenant, campaignStacking: true },
      campaign: campaigns[0] ?? null,
      campaigns,
    });
  const spring = campaign({ id: id(501) });
  const member = campaign({
    id: id(502),
    code: 'MEMBER',
    kind: 'amount',
    percent: null,
    amount: 10000,
    currency: 'nok',
    productIds: [EXAM],
  });
  const withExam = (codes: string[]): OrderRequest =>
    request({
      campaign_codes: codes,
      lines: [{ occurrence_id: OCC, participants: [person(1, { products: [{ id: EXAM }] })] }],
    });

  it('applies the codes in the order given, each on what the ones before it left', () => {
    // course 1250.00 + exam 200.00 excl. SPRING25 10 % on both, then MEMBER 100.00 on the exam only.
    const d = draftOf(withExam(['spring25', 'member']), stacking([spring, member]));
    expect(d.campaignCode).toBe('SPRING25');
    expect(d.campaigns).toEqual([
      { code: 'SPRING25', campaignId: id(501) },
      { code: 'MEMBER', campaignId: id(502) },
    ]);
    expect(d.pricing.lines.map((l) => [l.productId, l.discount])).toEqual([
      [COURSE, 12500],
      [EXAM, 2000 + 10000],
    ]);
    expect(d.pricing.discountBreakdown).toEqual({
      lines: 0,
      campaigns: [
        { code: 'SPRING25', amount: 14500 },
        { code: 'MEMBER', amount: 10000 },
      ],
      voucher: 0,
    });
    // The other way round the amount comes first and the percent takes 10 % of what is left.
    const reversed = draftOf(withExam(['MEMBER', 'SPRING25']), stacking([spring, member]));
    expect(reversed.pricing.discountBreakdown?.campaigns).toEqual([
      { code: 'MEMBER', amount: 10000 },
      { code: 'SPRING25', amount: 13500 },
    ]);
    expect(reversed.pricing.totals.discounts).toBe(23500);
  });

  it('one code in the list needs no stacking; an empty list is no code', () => {
    expect(draftOf(withExam(['SPRING25']), snapshot({ campaign: spring, campaigns: [spring] })).campaignCode).toBe(
      'SPRING25',
    );
    const none = draftOf(withExam([]));
    expect([none.campaignCode, none.campaigns]).toEqual([null, []]);
  });

  it('refuses more than one code where the tenant does not stack, a code twice, a blank code and both fields', () => {
    const off = snapshot({ campaign: spring, campaigns: [spring, member] });
    expect(triples(errorsOf(withExam(['SPRING25', 'MEMBER']), off))).toEqual([
      ['campaign_stacking_not_allowed', 'campaign_codes', undefined],
    ]);
    expect(triples(errorsOf(withExam(['SPRING25', 'spring25']), stacking([spring])))).toEqual([
      ['campaign_code_duplicate', 'campaign_codes.1', undefined],
    ]);
    expect(triples(errorsOf(withExam(['SPRING25', '  ']), stacking([spring])))).toEqual([
      ['campaign_code_invalid', 'campaign_codes.1', undefined],
    ]);
    expect(triples(errorsOf({ ...withExam(['SPRING25']), campaign_code: 'SPRING25' }, stacking([spring])))).toEqual([
      ['campaign_codes_conflict', 'campaign_codes', undefined],
    ]);
  });

  it('judges each code as a single code is judged, naming its own field', () => {
    const expired = campaign({ id: id(503), code: 'OLD', validUntil: '2025-05-31T23:59:59.000Z' });
    const usedUp = campaign({ id: id(504), code: 'GONE', maxUses: 1, uses: 1 });
    const minimum = campaign({ id: id(505), code: 'BIG', minOrderAmount: 999999 });
    expect(
      triples(errorsOf(withExam(['SPRING25', 'NOPE', 'OLD', 'GONE']), stacking([spring, expired, usedUp]))),
    ).toEqual([
      ['campaign_code_invalid', 'campaign_codes.1', undefined],
      ['campaign_code_expired', 'campaign_codes.2', undefined],
      ['campaign_code_used_up', 'campaign_codes.3', undefined],
    ]);
    expect(triples(errorsOf(withExam(['SPRING25', 'BIG']), stacking([spring, minimum])))).toEqual([
      ['campaign_minimum_not_met', 'campaign_codes.1', undefined],
    ]);
  });
});

describe('subscription lines', () => {
  const PAPER = id(7);
  const snap = (): CatalogSnapshot => {
    const s = snapshot();
    s.products[PAPER] = {
      id: PAPER,
      name: 'Daily News',
      type: 'subscription',
      price: 0,
      vatRateBp: 600,
      dailyCapacity: null,
      active: true,
    };
    s.subscriptionPeriods = {
      [PAPER]: [
        {
          id: id(70),
          code: 'monthly',
          name: 'Monthly',
          lengthUnit: 'month',
          lengthCount: 1,
          price: 29_900,
          paymentMethods: ['card', 'invoice'],
          physical: true,
        },
        {
          id: id(71),
          code: 'quarterly',
          name: 'Quarterly',
          lengthUnit: 'quarter',
          lengthCount: 1,
          price: 79_900,
          paymentMethods: ['invoice'],
          physical: false,
        },
      ],
    };
    return s;
  };
  const delivery = { address: { line_1: 'Storgata 1', zipcode: '0155', city: 'Oslo' } };

  it("are priced at the period's price and carry the period and start date", () => {
    const d = draftOf(
      request({ delivery, lines: [{ product_id: PAPER, period: 'Monthly', start_date: '2025-06-02' }] }),
      snap(),
    );
    expect(d.lines).toEqual([
      expect.objectContaining({
        description: 'Daily News — Monthly',
        unitPrice: 29_900,
        subscription: { periodId: id(70), startDate: '2025-06-02' },
      }),
    ]);
  });

  it('refuse what the period does not allow', () => {
    const errors = errorsOf(
      request({
        payment_method: 'card',
        lines: [
          { product_id: PAPER },
          { product_id: PAPER, period: 'weekly' },
          { product_id: PAPER, period: 'monthly', start_date: '2000-01-01', quantity: 3 },
          { product_id: PAPER, period: 'quarterly' },
          { product_id: BOOK, period: 'monthly' },
        ],
      }),
      snap(),
    );
    expect(errors.map((e) => `${e.code} ${e.field}`)).toEqual(
      expect.arrayContaining([
        'subscription_period_required lines.0.period',
        'subscription_period_invalid lines.1.period',
        'subscription_quantity_invalid lines.2.quantity',
        'subscription_start_date_invalid lines.2.start_date',
        'delivery_address_required delivery.address',
        'payment_method_not_allowed_for_period payment_method',
        'subscription_fields_not_allowed lines.4.period',
      ]),
    );
  });
});

describe('ORDER_ERROR_CODES', () => {
  it('every listed code is emitted by some test above (run last)', () => {
    expect([...Object.keys(ORDER_ERROR_CODES)].filter((c) => !seenCodes.has(c))).toEqual([]);
    for (const description of Object.values(ORDER_ERROR_CODES)) expect(description).not.toMatch(/\n/);
  });
});
