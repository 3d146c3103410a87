import { describe, expect, it } from 'vitest';
import { formatMinor } from '../../domain/money';
import {
  type CampaignDiscount,
  type PricingInput,
  type PricingLineInput,
  type PricingResult,
  PricingError,
  priceOrder,
  vatFromExclusive,
  vatFromInclusive,
  type VoucherDiscount,
} from '../../domain/pricing';

let autoKey = 0;
function line(overrides: Partial<PricingLineInput> & Pick<PricingLineInput, 'unitPrice'>): PricingLineInput {
  autoKey += 1;
  return {
    key: `line-${autoKey}`,
    productId: `prod-${autoKey}`,
    description: `Line ${autoKey}`,
    quantity: 1,
    vatRateBp: 2500,
    ...overrides,
  };
}

function order(lines: PricingLineInput[], extra: Partial<PricingInput> = {}): PricingInput {
  return { currency: 'nok', pricesIncludeVat: false, lines, ...extra };
}

/** [beforeDiscounts, discount, exclVat, vat, inclVat] per line. */
function rows(r: PricingResult): number[][] {
  return r.lines.map((l) => [l.beforeDiscounts, l.discount, l.exclVat, l.vat, l.inclVat]);
}

function expectPricingError(fn: () => unknown, code: string): void {
  let caught: unknown;
  try {
    fn();
  } catch (e) {
    caught = e;
  }
  expect(caught).toBeInstanceOf(PricingError);
  expect((caught as PricingError).code).toBe(code);
}

describe('priceOrder — worked examples (prices excl VAT)', () => {
  it('seed example: course 1250.00 excl at 10 % VAT → 125.00 VAT, 1375.00 incl', () => {
    const r = priceOrder(
      order([
        {
          key: 'c1',
          productId: 'course-ts',
          description: 'TypeScript course',
          quantity: 1,
          unitPrice: 125000,
          vatRateBp: 1000,
          participantIndex: 0,
          occurrenceId: 'occ-2025-03',
        },
      ]),
    );
    expect(r).toStrictEqual({
      currency: 'nok',
      lines: [
        {
          key: 'c1',
          productId: 'course-ts',
          description: 'TypeScript course',
          quantity: 1,
          unitPrice: 125000,
          vatRateBp: 1000,
          participantIndex: 0,
          occurrenceId: 'occ-2025-03',
          beforeDiscounts: 125000,
          discount: 0,
          exclVat: 125000,
          vat: 12500,
          inclVat: 137500,
        },
      ],
      totals: { beforeDiscounts: 125000, discounts: 0, exclVat: 125000, vat: 12500, inclVat: 137500 },
      vatSummary: [{ rateBp: 1000, base: 125000, amount: 12500 }],
      voucherApplied: 0,
      discountBreakdown: { lines: 0, campaigns: [], voucher: 0 },
    });
    expect(formatMinor(r.totals.inclVat, r.currency)).toBe('1375.00 NOK');
  });

  it('does not echo optional fields that were not given', () => {
    const r = priceOrder(order([line({ unitPrice: 100 })]));
    const l = r.lines[0];
    expect(l).toBeDefined();
    expect(Object.keys(l ?? {})).not.toContain('participantIndex');
    expect(Object.keys(l ?? {})).not.toContain('occurrenceId');
  });

  it('25 % VAT on quantity 2 × 399.00', () => {
    const r = priceOrder(order([line({ unitPrice: 39900, quantity: 2 })]));
    expect(rows(r)).toEqual([[79800, 0, 79800, 19950, 99750]]);
  });

  it('rounds VAT half away from zero per line', () => {
    const r = priceOrder(
      order([
        line({ unitPrice: 10 }), // 2.5 → 3
        line({ unitPrice: 2 }), // 0.5 → 1
        line({ unitPrice: 1 }), // 0.25 → 0
        line({ unitPrice: 6 }), // 1.5 → 2
        line({ unitPrice: 3, quantity: 3 }), // 9 × 0.25 = 2.25 → 2
      ]),
    );
    expect(r.lines.map((l) => l.vat)).toEqual([3, 1, 0, 2, 2]);
    expect(r.lines.map((l) => l.inclVat)).toEqual([13, 3, 1, 8, 11]);
    expect(r.totals).toEqual({ beforeDiscounts: 28, discounts: 0, exclVat: 28, vat: 8, inclVat: 36 });
  });

  it('course + exam add-on at 50 % discount', () => {
    const r = priceOrder(
      order([
        line({ unitPrice: 125000, vatRateBp: 1000 }),
        line({ unitPrice: 89900, vatRateBp: 2500, discountPercent: 50 }),
      ]),
    );
    // exam: 899.00 − 449.50 = 449.50; VAT 25 % = 112.375 → 112.38
    expect(rows(r)).toEqual([
      [125000, 0, 125000, 12500, 137500],
      [89900, 44950, 44950, 11238, 56188],
    ]);
    expect(r.totals).toEqual({
      beforeDiscounts: 214900,
      discounts: 44950,
      exclVat: 169950,
      vat: 23738,
      inclVat: 193688,
    });
    expect(r.vatSummary).toEqual([
      { rateBp: 2500, base: 44950, amount: 11238 },
      { rateBp: 1000, base: 125000, amount: 12500 },
    ]);
  });

  it('rounds line percent discounts half away from zero, with up to 2 decimals', () => {
    const r = priceOrder(
      order([
        line({ unitPrice: 89901, discountPercent: 50 }), // 44950.5 → 44951
        line({ unitPrice: 300, discountPercent: 33.33 }), // 99.99 → 100
        line({ unitPrice: 5000, discountPercent: 0.01 }), // 0.5 → 1
        line({ unitPrice: 1, discountPercent: 50 }), // 0.5 → 1: fully discounted
        line({ unitPrice: 777, discountPercent: 100 }),
        line({ unitPrice: 1000, discountPercent: 0.29 }), // 2.9 → 3 (0.29 × 100 is not exact in floating point)
      ]),
    );
    expect(r.lines.map((l) => l.discount)).toEqual([44951, 100, 1, 1, 777, 3]);
    expect(r.lines.map((l) => l.exclVat)).toEqual([44950, 200, 4999, 0, 0, 997]);
  });

  it('3-line order with a fixed 100.00 campaign split to the cent', () => {
    const r = priceOrder(
      order(
        [
          line({ key: 'course', unitPrice: 15000, quantity: 2 }),
          line({ key: 'book', unitPrice: 20000 }),
          line({ key: 'exam', unitPrice: 2500, quantity: 4 }),
        ],
        { campaign: { code: 'SPRING', kind: 'amount', amount: 10000 } },
      ),
    );
    // 300/200/100 → 50.00 / 33.33 / 16.67 (largest remainder takes the last cent)
    expect(rows(r)).toEqual([
      [30000, 5000, 25000, 6250, 31250],
      [20000, 3333, 16667, 4167, 20834],
      [10000, 1667, 8333, 2083, 10416],
    ]);
    expect(r.totals).toEqual({ beforeDiscounts: 60000, discounts: 10000, exclVat: 50000, vat: 12500, inclVat: 62500 });
    expect(r.vatSummary).toEqual([{ rateBp: 2500, base: 50000, amount: 12500 }]);
  });

  it('caps a campaign amount at the eligible lines and skips ineligible lines', () => {
    const r = priceOrder(
      order(
        [
          line({ unitPrice: 30000 }),
          line({ unitPrice: 20000, campaignEligible: false }),
          line({ unitPrice: 10000, discountPercent: 100 }), // eligible but nothing left
        ],
        { campaign: { code: 'BIG', kind: 'amount', amount: 100000 } },
      ),
    );
    expect(rows(r)).toEqual([
      [30000, 30000, 0, 0, 0],
      [20000, 0, 20000, 5000, 25000],
      [10000, 10000, 0, 0, 0],
    ]);
    expect(r.totals.discounts).toBe(40000);
  });

  it('campaign amount is split by the amounts left after line discounts', () => {
    const r = priceOrder(
      order(
        [
          line({ unitPrice: 20000, discountPercent: 50 }), // 10000 left
          line({ unitPrice: 30000 }), // 30000 left
        ],
        { campaign: { code: 'X', kind: 'amount', amount: 1001 } },
      ),
    );
    // 1001 × 1/4 = 250.25 → 250; 1001 × 3/4 = 750.75 → 751
    expect(r.lines.map((l) => l.discount)).toEqual([10250, 751]);
  });

  it('campaign percent applies per eligible line after the line discount', () => {
    const r = priceOrder(
      order(
        [
          line({ unitPrice: 10000 }),
          line({ unitPrice: 5000, campaignEligible: false }),
          line({ unitPrice: 9999, discountPercent: 10 }),
        ],
        { campaign: { code: 'TWENTY', kind: 'percent', percent: 20 } },
      ),
    );
    // line 3: 999.9 → 1000 off, 8999 left; 20 % of 8999 = 1799.8 → 1800; 7199 left; VAT 1799.75 → 1800
    expect(rows(r)).toEqual([
      [10000, 2000, 8000, 2000, 10000],
      [5000, 0, 5000, 1250, 6250],
      [9999, 2800, 7199, 1800, 8999],
    ]);
  });

  it('percent voucher applies after line discount and campaign, on all lines', () => {
    const single = priceOrder(
      order([line({ unitPrice: 19900, quantity: 3, discountPercent: 12.5 })], {
        voucher: { code: 'V10', kind: 'percent', percent: 10 },
      }),
    );
    // 597.00; 12.5 % = 74.625 → 74.63 → 522.37; 10 % = 52.237 → 52.24 → 470.13; VAT 117.5325 → 117.53
    expect(rows(single)).toEqual([[59700, 12687, 47013, 11753, 58766]]);

    const stacked = priceOrder(
      order([line({ unitPrice: 10000 }), line({ unitPrice: 5000, campaignEligible: false })], {
        campaign: { code: 'C10', kind: 'percent', percent: 10 },
        voucher: { code: 'V10', kind: 'percent', percent: 10 },
      }),
    );
    // compounding: 10000 → 9000 → 8100 (not 8000); the ineligible line still gets the voucher
    expect(rows(stacked)).toEqual([
      [10000, 1900, 8100, 2025, 10125],
      [5000, 500, 4500, 1125, 5625],
    ]);
    expect(stacked.voucherApplied).toBe(0);
  });

  it('value voucher larger than the total brings the order to 0', () => {
    const r = priceOrder(
      order([line({ unitPrice: 125000, vatRateBp: 1000 })], {
        voucher: { code: 'GIFT', kind: 'value', remaining: 500000 },
      }),
    );
    expect(rows(r)).toEqual([[125000, 125000, 0, 0, 0]]);
    expect(r.totals).toEqual({ beforeDiscounts: 125000, discounts: 125000, exclVat: 0, vat: 0, inclVat: 0 });
    expect(r.vatSummary).toEqual([{ rateBp: 1000, base: 0, amount: 0 }]);
    expect(r.voucherApplied).toBe(137500);
  });

  it('partial value voucher is split by line inclVat and VAT is recomputed from incl', () => {
    const r = priceOrder(
      order([line({ unitPrice: 100000, vatRateBp: 2500 }), line({ unitPrice: 50000, vatRateBp: 0 })], {
        voucher: { code: 'GIFT', kind: 'value', remaining: 10000 },
      }),
    );
    // incl 125000 / 50000 → shares 7142.86 / 2857.14 → 7143 / 2857
    // line 1: incl 117857, VAT 117857/5 = 23571.4 → 23571, excl 94286 (discount 100000 − 94286)
    expect(rows(r)).toEqual([
      [100000, 5714, 94286, 23571, 117857],
      [50000, 2857, 47143, 0, 47143],
    ]);
    expect(r.totals).toEqual({
      beforeDiscounts: 150000,
      discounts: 8571,
      exclVat: 141429,
      vat: 23571,
      inclVat: 165000,
    });
    expect(r.voucherApplied).toBe(10000);
  });

  it('value voucher with 0 remaining changes nothing', () => {
    const lines = [line({ unitPrice: 12345, discountPercent: 5 }), line({ unitPrice: 999, vatRateBp: 1500 })];
    const withVoucher = priceOrder(order(lines, { voucher: { code: 'EMPTY', kind: 'value', remaining: 0 } }));
    const without = priceOrder(order(lines));
    expect(withVoucher).toEqual(without);
    expect(withVoucher.voucherApplied).toBe(0);
  });
});

describe('priceOrder — mixed VAT rates', () => {
  it('25 / 15 / 0 % with a summary sorted by rate descending', () => {
    const r = priceOrder(
      order([
        line({ unitPrice: 5000, vatRateBp: 0 }),
        line({ unitPrice: 10000, vatRateBp: 2500 }),
        line({ unitPrice: 8000, vatRateBp: 1500 }),
        line({ unitPrice: 3333, vatRateBp: 2500 }), // 833.25 → 833
      ]),
    );
    expect(r.lines.map((l) => l.vat)).toEqual([0, 2500, 1200, 833]);
    expect(r.vatSummary).toEqual([
      { rateBp: 2500, base: 13333, amount: 3333 },
      { rateBp: 1500, base: 8000, amount: 1200 },
      { rateBp: 0, base: 5000, amount: 0 },
    ]);
    expect(r.totals).toEqual({ beforeDiscounts: 26333, discounts: 0, exclVat: 26333, vat: 4533, inclVat: 30866 });
  });
});

describe('priceOrder — prices incl VAT', () => {
  it('extracts VAT from incl amounts', () => {
    const r = priceOrder(
      order(
        [
          line({ unitPrice: 12500, vatRateBp: 2500 }), // 2500 VAT
          line({ unitPrice: 4990, quantity: 2, vatRateBp: 1500 }), // 9980 × 15/115 = 1301.74 → 1302
          line({ unitPrice: 999, vatRateBp: 1500 }), // 130.30 → 130
        ],
        { pricesIncludeVat: true },
      ),
    );
    expect(rows(r)).toEqual([
      [12500, 0, 10000, 2500, 12500],
      [9980, 0, 8678, 1302, 9980],
      [999, 0, 869, 130, 999],
    ]);
    expect(r.totals).toEqual({ beforeDiscounts: 23479, discounts: 0, exclVat: 19547, vat: 3932, inclVat: 23479 });
    expect(r.vatSummary).toEqual([
      { rateBp: 2500, base: 10000, amount: 2500 },
      { rateBp: 1500, base: 9547, amount: 1432 },
    ]);
  });

  it('campaign amount in incl basis', () => {
    const r = priceOrder(
      order([line({ unitPrice: 12500, vatRateBp: 2500 }), line({ unitPrice: 4990, quantity: 2, vatRateBp: 1500 })], {
        pricesIncludeVat: true,
        campaign: { code: 'FIFTY', kind: 'amount', amount: 5000 },
      }),
    );
    // 5000 over 12500/9980: 2780.25 / 2219.75 → 2780 / 2220
    expect(rows(r)).toEqual([
      [12500, 2780, 7776, 1944, 9720],
      [9980, 2220, 6748, 1012, 7760],
    ]);
    expect(r.totals).toEqual({ beforeDiscounts: 22480, discounts: 5000, exclVat: 14524, vat: 2956, inclVat: 17480 });
  });

  it('value voucher in incl basis: the discount grows by exactly the share', () => {
    const r = priceOrder(
      order([line({ unitPrice: 49900, vatRateBp: 2500 }), line({ unitPrice: 19900, vatRateBp: 1500 })], {
        pricesIncludeVat: true,
        voucher: { code: 'GIFT', kind: 'value', remaining: 20000 },
      }),
    );
    // shares 14297.99 / 5702.006 → 14298 / 5702
    expect(rows(r)).toEqual([
      [49900, 14298, 28482, 7120, 35602],
      [19900, 5702, 12346, 1852, 14198],
    ]);
    expect(r.totals).toEqual({ beforeDiscounts: 69800, discounts: 20000, exclVat: 40828, vat: 8972, inclVat: 49800 });
    expect(r.voucherApplied).toBe(20000);
  });

  it('rounds half away from zero at a 100 % rate (1 øre incl → 1 VAT, 0 excl)', () => {
    const r = priceOrder(order([line({ unitPrice: 1, vatRateBp: 10000 })], { pricesIncludeVat: true }));
    expect(rows(r)).toEqual([[1, 0, 0, 1, 1]]);
  });
});

describe('VAT helpers', () => {
  it('compute VAT from excl and incl amounts', () => {
    expect(vatFromExclusive(125000, 1000)).toBe(12500);
    expect(vatFromExclusive(10, 2500)).toBe(3);
    expect(vatFromExclusive(1, 0)).toBe(0);
    expect(vatFromInclusive(137500, 1000)).toBe(12500);
    expect(vatFromInclusive(999, 1500)).toBe(130);
    expect(vatFromInclusive(5, 2500)).toBe(1);
    expect(vatFromInclusive(0, 2500)).toBe(0);
  });
});

describe('priceOrder — edge cases and validation', () => {
  it('an empty order prices to zero', () => {
    const r = priceOrder(order([], { voucher: { code: 'G', kind: 'value', remaining: 1000 } }));
    expect(r).toEqual({
      currency: 'nok',
      lines: [],
      totals: { beforeDiscounts: 0, discounts: 0, exclVat: 0, vat: 0, inclVat: 0 },
      vatSummary: [],
      voucherApplied: 0,
      discountBreakdown: { lines: 0, campaigns: [], voucher: 0 },
    });
  });

  it('zero-price lines are allowed', () => {
    const r = priceOrder(
      order([line({ unitPrice: 0 }), line({ unitPrice: 0, vatRateBp: 0 })], {
        campaign: { code: 'C', kind: 'amount', amount: 500 },
      }),
    );
    expect(rows(r)).toEqual([
      [0, 0, 0, 0, 0],
      [0, 0, 0, 0, 0],
    ]);
  });

  it('does not mutate its input and is deterministic', () => {
    const input = order(
      [line({ unitPrice: 33333, quantity: 3, discountPercent: 7.5 }), line({ unitPrice: 101, vatRateBp: 1500 })],
      {
        campaign: { code: 'C', kind: 'amount', amount: 777 },
        voucher: { code: 'G', kind: 'value', remaining: 5000 },
      },
    );
    const snapshot = structuredClone(input);
    const a = priceOrder(input);
    const b = priceOrder(structuredClone(input));
    expect(input).toStrictEqual(snapshot);
    expect(a).toStrictEqual(b);
  });

  it('throws PricingError with a code for invalid input', () => {
    const ok = (o: Partial<PricingLineInput> = {}) => line({ unitPrice: 1000, ...o });
    expectPricingError(() => priceOrder(order([ok({ quantity: 0 })])), 'invalid_quantity');
    expectPricingError(() => priceOrder(order([ok({ quantity: -1 })])), 'invalid_quantity');
    expectPricingError(() => priceOrder(order([ok({ quantity: 1.5 })])), 'invalid_quantity');
    expectPricingError(() => priceOrder(order([ok({ unitPrice: -1 })])), 'invalid_price');
    expectPricingError(() => priceOrder(order([ok({ unitPrice: 10.5 })])), 'invalid_price');
    expectPricingError(() => priceOrder(order([ok({ unitPrice: Number.NaN })])), 'invalid_price');
    expectPricingError(() => priceOrder(order([ok({ discountPercent: -1 })])), 'invalid_percent');
    expectPricingError(() => priceOrder(order([ok({ discountPercent: 100.01 })])), 'invalid_percent');
    expectPricingError(() => priceOrder(order([ok({ discountPercent: 12.345 })])), 'invalid_percent');
    expectPricingError(() => priceOrder(order([ok({ discountPercent: Number.NaN })])), 'invalid_percent');
    expectPricingError(() => priceOrder(order([ok({ vatRateBp: -1 })])), 'invalid_vat_rate');
    expectPricingError(() => priceOrder(order([ok({ vatRateBp: 10001 })])), 'invalid_vat_rate');
    expectPricingError(() => priceOrder(order([ok({ vatRateBp: 12.5 })])), 'invalid_vat_rate');
    expectPricingError(() => priceOrder(order([ok({ key: '' })])), 'invalid_line_key');
    expectPricingError(() => priceOrder(order([ok({ key: 'a' }), ok({ key: 'a' })])), 'duplicate_line_key');
    expectPricingError(() => priceOrder(order([ok()], { currency: 'NOK' })), 'invalid_currency');
    expectPricingError(
      () => priceOrder(order([ok()], { campaign: { code: 'C', kind: 'percent', percent: 101 } })),
      'invalid_percent',
    );
    expectPricingError(
      () => priceOrder(order([ok()], { campaign: { code: 'C', kind: 'amount', amount: -1 } })),
      'invalid_amount',
    );
    expectPricingError(
      () => priceOrder(order([ok()], { campaign: { code: 'C', kind: 'amount', amount: 1.5 } })),
      'invalid_amount',
    );
    expectPricingError(
      () => priceOrder(order([ok()], { voucher: { code: 'V', kind: 'percent', percent: -5 } })),
      'invalid_percent',
    );
    expectPricingError(
      () => priceOrder(order([ok()], { voucher: { code: 'V', kind: 'value', remaining: 0.5 } })),
      'invalid_amount',
    );
    expectPricingError(
      () => priceOrder(order([ok({ unitPrice: Number.MAX_SAFE_INTEGER, quantity: 2 })])),
      'amount_overflow',
    );
  });

  it('reports where the problem is', () => {
    try {
      priceOrder(order([line({ unitPrice: 1 }), line({ unitPrice: 1, quantity: 0 })]));
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(PricingError);
      expect((e as PricingError).path).toBe('lines[1].quantity');
    }
  });
});

describe('priceOrder — invariants (seeded property test)', () => {
  // mulberry32: small deterministic PRNG so failures are reproducible.
  function rng(seed: number): (n: number) => number {
    let s = seed | 0;
    return (n: number) => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
  }

  const VAT_RATES = [0, 600, 1000, 1200, 1500, 2500, 10000];

  function randomInput(next: (n: number) => number): PricingInput {
    const lines: PricingLineInput[] = Array.from({ length: 1 + next(6) }, (_, i) => {
      const l: PricingLineInput = {
        key: `k${i}`,
        productId: `p${next(5)}`,
        description: 'x',
        quantity: 1 + next(5),
        unitPrice: next(3) === 0 ? next(12) : next(250000),
        vatRateBp: VAT_RATES[next(VAT_RATES.length)] ?? 2500,
      };
      if (next(2) === 0) l.discountPercent = next(4) === 0 ? next(10001) / 100 : next(101);
      if (next(4) === 0) l.campaignEligible = false;
      return l;
    });
    let campaign: CampaignDiscount | undefined;
    const c = next(3);
    if (c === 1) campaign = { code: 'C', kind: 'percent', percent: next(10001) / 100 };
    if (c === 2) campaign = { code: 'C', kind: 'amount', amount: next(2) === 0 ? next(1000) : next(600000) };
    let voucher: VoucherDiscount | undefined;
    const v = next(3);
    if (v === 1) voucher = { code: 'V', kind: 'percent', percent: next(101) };
    if (v === 2) voucher = { code: 'V', kind: 'value', remaining: next(2) === 0 ? next(1000) : next(2000000) };
    const input: PricingInput = { currency: 'nok', pricesIncludeVat: next(2) === 0, lines };
    if (campaign) input.campaign = campaign;
    if (voucher) input.voucher = voucher;
    return input;
  }

  it('holds for 3000 seeded random orders', () => {
    const next = rng(20250101);
    let withValueVoucher = 0;
    let zeroTotals = 0;
    for (let n = 0; n < 3000; n++) {
      const input = randomInput(next);
      const r = priceOrder(input);
      const ctx = `case ${n}: ${JSON.stringify(input)}`;

      // same input → same output
      expect(priceOrder(structuredClone(input)), ctx).toStrictEqual(r);

      const sum = (f: (l: PricingResult['lines'][number]) => number) => r.lines.reduce((a, l) => a + f(l), 0);
      expect(
        r.lines.map((l) => l.key),
        ctx,
      ).toEqual(input.lines.map((l) => l.key));

      for (const l of r.lines) {
        for (const v of [l.beforeDiscounts, l.discount, l.exclVat, l.vat, l.inclVat]) {
          expect(Number.isSafeInteger(v) && v >= 0, ctx).toBe(true);
        }
        expect(l.exclVat + l.vat, ctx).toBe(l.inclVat);
        expect(l.beforeDiscounts - l.discount, ctx).toBe(input.pricesIncludeVat ? l.inclVat : l.exclVat);
        expect(l.beforeDiscounts, ctx).toBe(l.unitPrice * l.quantity);
        if (input.voucher?.kind !== 'value') {
          // VAT follows rule 5 exactly when no gift card was applied
          expect(l.vat, ctx).toBe(
            input.pricesIncludeVat
              ? vatFromInclusive(l.inclVat, l.vatRateBp)
              : vatFromExclusive(l.exclVat, l.vatRateBp),
          );
        } else {
          expect(l.vat, ctx).toBe(vatFromInclusive(l.inclVat, l.vatRateBp));
        }
      }

      const t = r.totals;
      expect(t, ctx).toEqual({
        beforeDiscounts: sum((l) => l.beforeDiscounts),
        discounts: sum((l) => l.discount),
        exclVat: sum((l) => l.exclVat),
        vat: sum((l) => l.vat),
        inclVat: sum((l) => l.inclVat),
      });
      expect(t.beforeDiscounts - t.discounts, ctx).toBe(input.pricesIncludeVat ? t.inclVat : t.exclVat);
      expect(t.exclVat + t.vat, ctx).toBe(t.inclVat);
      for (const v of Object.values(t)) expect(v >= 0, ctx).toBe(true);

      const rates = r.vatSummary.map((row) => row.rateBp);
      expect(rates, ctx).toEqual([...new Set(input.lines.map((l) => l.vatRateBp))].sort((a, b) => b - a));
      expect(
        r.vatSummary.reduce((a, row) => a + row.base, 0),
        ctx,
      ).toBe(t.exclVat);
      expect(
        r.vatSummary.reduce((a, row) => a + row.amount, 0),
        ctx,
      ).toBe(t.vat);
      for (const row of r.vatSummary) {
        expect(row.base >= 0 && row.amount >= 0, ctx).toBe(true);
        const at = r.lines.filter((l) => l.vatRateBp === row.rateBp);
        expect(row.base, ctx).toBe(at.reduce((a, l) => a + l.exclVat, 0));
        expect(row.amount, ctx).toBe(at.reduce((a, l) => a + l.vat, 0));
      }

      if (input.voucher?.kind === 'value') {
        withValueVoucher++;
        const { voucher: _ignored, ...rest } = input;
        const before = priceOrder(rest);
        expect(r.voucherApplied, ctx).toBe(Math.min(input.voucher.remaining, before.totals.inclVat));
        expect(t.inclVat, ctx).toBe(before.totals.inclVat - r.voucherApplied);
      } else {
        expect(r.voucherApplied, ctx).toBe(0);
      }
      if (t.inclVat === 0) zeroTotals++;
    }
    // the generator really exercises gift cards and fully-discounted orders
    expect(withValueVoucher).toBeGreaterThan(500);
    expect(zeroTotals).toBeGreaterThan(20);
  });
});

describe('priceOrder — several campaigns (stacking)', () => {
  it('percent campaigns compound, amount campaigns subtract, in the order given', () => {
    const lines = [line({ unitPrice: 10000 }), line({ unitPrice: 30000 })];
    const ten: CampaignDiscount = { code: 'TEN', kind: 'percent', percent: 10 };
    const twenty: CampaignDiscount = { code: 'TWENTY', kind: 'percent', percent: 20 };
    const fifty: CampaignDiscount = { code: 'FIFTY', kind: 'amount', amount: 5000 };

    // 400.00 − 10 % = 360.00 − 20 % = 288.00: 28 %, not 30 %.
    const percents = priceOrder(order(lines, { campaigns: [ten, twenty] }));
    expect(percents.totals.exclVat).toBe(28800);
    expect(percents.discountBreakdown).toEqual({
      lines: 0,
      campaigns: [
        { code: 'TEN', amount: 4000 },
        { code: 'TWENTY', amount: 7200 },
      ],
      voucher: 0,
    });

    // The amount first: 400.00 − 50.00 = 350.00 − 10 % = 315.00; the percent first: 360.00 − 50.00 = 310.00.
    const amountFirst = priceOrder(order(lines, { campaigns: [fifty, ten] }));
    const percentFirst = priceOrder(order(lines, { campaigns: [ten, fifty] }));
    expect(amountFirst.discountBreakdown?.campaigns).toEqual([
      { code: 'FIFTY', amount: 5000 },
      { code: 'TEN', amount: 3500 },
    ]);
    expect(percentFirst.discountBreakdown?.campaigns).toEqual([
      { code: 'TEN', amount: 4000 },
      { code: 'FIFTY', amount: 5000 },
    ]);
    expect([amountFirst.totals.exclVat, percentFirst.totals.exclVat]).toEqual([31500, 31000]);
  });

  it('an amount campaign after others takes what is left and never goes below zero', () => {
    const r = priceOrder(
      order([line({ unitPrice: 10000, discountPercent: 50 })], {
        campaigns: [
          { code: 'HALF', kind: 'percent', percent: 50 },
          { code: 'BIG', kind: 'amount', amount: 100000 },
          { code: 'MORE', kind: 'amount', amount: 100 },
        ],
      }),
    );
    expect(rows(r)).toEqual([[10000, 10000, 0, 0, 0]]);
    expect(r.discountBreakdown).toEqual({
      lines: 5000,
      campaigns: [
        { code: 'HALF', amount: 2500 },
        { code: 'BIG', amount: 2500 },
        { code: 'MORE', amount: 0 },
      ],
      voucher: 0,
    });
  });

  it("each campaign's productIds limit it to its own lines", () => {
    const course = line({ unitPrice: 100000, productId: 'course' });
    const exam = line({ unitPrice: 20000, productId: 'exam', vatRateBp: 0 });
    const r = priceOrder(
      order([course, exam], {
        campaigns: [
          { code: 'EXAM50', kind: 'percent', percent: 50, productIds: ['exam'] },
          { code: 'COURSE100', kind: 'amount', amount: 10000, productIds: ['course'] },
        ],
      }),
    );
    expect(r.lines.map((l) => l.discount)).toEqual([10000, 10000]);
    expect(r.discountBreakdown?.campaigns).toEqual([
      { code: 'EXAM50', amount: 10000 },
      { code: 'COURSE100', amount: 10000 },
    ]);
  });

  it('the voucher part: a percent voucher after the campaigns, a gift card in price basis', () => {
    const lines = [line({ unitPrice: 10000, discountPercent: 10 })];
    const percent = priceOrder(
      order(lines, {
        campaigns: [{ code: 'C', kind: 'percent', percent: 10 }],
        voucher: { code: 'V', kind: 'percent', percent: 50 },
      }),
    );
    // 100.00 − 10.00 (line) − 9.00 (campaign) = 81.00 − 50 % = 40.50
    expect(percent.discountBreakdown).toEqual({ lines: 1000, campaigns: [{ code: 'C', amount: 900 }], voucher: 4050 });
    const gift = priceOrder(
      order(lines, {
        campaigns: [{ code: 'C', kind: 'amount', amount: 1000 }],
        voucher: { code: 'G', kind: 'value', remaining: 5000 },
      }),
    );
    // 80.00 excl = 100.00 incl at 25 %; the gift card takes 50.00 incl = 40.00 excl.
    expect(gift.discountBreakdown).toEqual({ lines: 1000, campaigns: [{ code: 'C', amount: 1000 }], voucher: 4000 });
    expect(gift.totals.discounts).toBe(6000);
  });

  it('campaign and campaigns together are refused; a bad campaign names its place in the list', () => {
    const c: CampaignDiscount = { code: 'C', kind: 'percent', percent: 10 };
    expectPricingError(
      () => priceOrder(order([line({ unitPrice: 1 })], { campaign: c, campaigns: [c] })),
      'invalid_discount',
    );
    try {
      priceOrder(order([line({ unitPrice: 1 })], { campaigns: [c, { code: 'X', kind: 'amount', amount: -5 }] }));
      expect.unreachable();
    } catch (e) {
      expect((e as PricingError).code).toBe('invalid_amount');
      expect((e as PricingError).path).toBe('campaigns[1].amount');
    }
  });

  it('invariants for 2000 seeded random orders with up to 5 campaigns', () => {
    // mulberry32, as above: a failure names its case and replays.
    let s = 20261202;
    const next = (n: number): number => {
      s = (s + 0x6d2b79f5) | 0;
      let t = Math.imul(s ^ (s >>> 15), 1 | s);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    const rates = [0, 1200, 1500, 2500];
    let stackedToZero = 0;
    for (let n = 0; n < 2000; n++) {
      const lines: PricingLineInput[] = Array.from({ length: 1 + next(5) }, (_, i) => {
        const l: PricingLineInput = {
          key: `k${i}`,
          productId: `p${next(4)}`,
          description: 'x',
          quantity: 1 + next(3),
          unitPrice: next(4) === 0 ? next(20) : next(200000),
          vatRateBp: rates[next(rates.length)] ?? 2500,
        };
        if (next(3) === 0) l.discountPercent = next(10001) / 100;
        if (next(6) === 0) l.campaignEligible = false;
        return l;
      });
      const campaigns: CampaignDiscount[] = Array.from({ length: next(6) }, (_, i) => {
        const c: CampaignDiscount =
          next(2) === 0
            ? { code: `C${i}`, kind: 'percent', percent: next(10001) / 100 }
            : { code: `C${i}`, kind: 'amount', amount: next(2) === 0 ? next(2000) : next(300000) };
        if (next(3) === 0) c.productIds = [`p${next(4)}`, `p${next(4)}`];
        return c;
      });
      const input: PricingInput = { currency: 'nok', pricesIncludeVat: next(2) === 0, lines, campaigns };
      const v = next(3);
      if (v === 1) input.voucher = { code: 'V', kind: 'percent', percent: next(101) };
      if (v === 2) input.voucher = { code: 'V', kind: 'value', remaining: next(500000) };
      const r = priceOrder(input);
      const ctx = `case ${n}: ${JSON.stringify(input)}`;
      const b = r.discountBreakdown;
      if (!b) throw new Error(`no breakdown: ${ctx}`);

      // The parts add up to the total discount exactly, none is negative, the codes keep their order.
      const parts = [b.lines, ...b.campaigns.map((c) => c.amount), b.voucher];
      expect(
        parts.reduce((a, x) => a + x, 0),
        ctx,
      ).toBe(r.totals.discounts);
      for (const x of parts) expect(Number.isSafeInteger(x) && x >= 0, ctx).toBe(true);
      expect(
        b.campaigns.map((c) => c.code),
        ctx,
      ).toEqual(campaigns.map((c) => c.code));
      for (const value of Object.values(r.totals)) expect(value >= 0, ctx).toBe(true);
      for (const l of r.lines) {
        for (const x of [l.discount, l.exclVat, l.vat, l.inclVat]) expect(x >= 0, ctx).toBe(true);
        expect(l.discount <= l.beforeDiscounts, ctx).toBe(true);
        expect(l.exclVat + l.vat, ctx).toBe(l.inclVat);
      }
      expect(r.totals.beforeDiscounts - r.totals.discounts, ctx).toBe(
        input.pricesIncludeVat ? r.totals.inclVat : r.totals.exclVat,
      );

      // Each campaign's part is what adding it to the ones before it takes (without the voucher).
      const { voucher: _voucher, ...withoutVoucher } = input;
      let before = priceOrder({ ...withoutVoucher, campaigns: [] }).totals.discounts;
      expect(before, ctx).toBe(b.lines);
      campaigns.forEach((_, i) => {
        const after = priceOrder({ ...withoutVoucher, campaigns: campaigns.slice(0, i + 1) }).totals.discounts;
        expect(after - before, ctx).toBe(b.campaigns[i]?.amount);
        before = after;
      });
      // One campaign as `campaign` or as a list of one is the same order.
      if (campaigns.length === 1) {
        const { campaigns: _list, ...single } = input;
        expect(priceOrder({ ...single, campaign: campaigns[0] }), ctx).toStrictEqual(r);
      }
      if (campaigns.length > 1 && r.totals.inclVat === 0) stackedToZero++;
    }
    expect(stackedToZero).toBeGreaterThan(10);
  });
});
