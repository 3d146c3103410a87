import fc from 'fast-check';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { createDb, type Db } from '../../db/database';
import { periodEndAfter } from '../../db/queries/period-length';
import { addDays, daysBetween, periodEnd, unusedPeriodCredit } from '../../domain/subscription-calendar';

type Unit = Parameters<typeof periodEnd>[1];

describe('periodEnd', () => {
  it.each([
    ['2026-01-01', 'day', 1, '2026-01-02'],
    ['2026-01-31', 'day', 1, '2026-02-01'],
    ['2026-12-31', 'day', 1, '2027-01-01'],
    ['2024-02-28', 'day', 1, '2024-02-29'],
    ['2026-03-01', 'day', 30, '2026-03-31'],
    ['2026-01-01', 'day', 365, '2027-01-01'],
    ['2024-01-01', 'day', 365, '2024-12-31'],
    ['2026-01-15', 'month', 1, '2026-02-15'],
    ['2026-01-31', 'month', 1, '2026-02-28'],
    ['2024-01-31', 'month', 1, '2024-02-29'],
    ['2026-03-31', 'month', 1, '2026-04-30'],
    ['2026-12-31', 'month', 1, '2027-01-31'],
    ['2026-11-30', 'month', 3, '2027-02-28'],
    ['2026-01-31', 'month', 13, '2027-02-28'],
    ['2026-01-01', 'quarter', 1, '2026-04-01'],
    ['2026-08-31', 'quarter', 1, '2026-11-30'],
    ['2026-11-30', 'quarter', 1, '2027-02-28'],
    ['2027-11-30', 'quarter', 1, '2028-02-29'],
    ['2026-05-31', 'quarter', 2, '2026-11-30'],
    ['2026-03-15', 'year', 1, '2027-03-15'],
    ['2024-02-29', 'year', 1, '2025-02-28'],
    ['2024-02-29', 'year', 4, '2028-02-29'],
    ['2096-02-29', 'year', 4, '2100-02-28'],
    ['2026-12-31', 'year', 2, '2028-12-31'],
  ] as const)('%s + %s × %i → %s', (start, unit, count, end) => {
    expect(periodEnd(start, unit as Unit, count)).toBe(end);
  });

  it('does not carry the clamp into the next period: 31 Jan, then 28 Feb + 1 month = 28 Mar', () => {
    // Each renewal starts where the last period ended, so the day of month may drift down once.
    const feb = periodEnd('2026-01-31', 'month', 1);
    expect(periodEnd(feb, 'month', 1)).toBe('2026-03-28');
    expect(periodEnd('2026-01-31', 'month', 2)).toBe('2026-03-31');
  });

  it('a quarter is three months and a year twelve', () => {
    fc.assert(
      fc.property(isoDate(), fc.integer({ min: 1, max: 50 }), (start, count) => {
        expect(periodEnd(start, 'quarter', count)).toBe(periodEnd(start, 'month', 3 * count));
        expect(periodEnd(start, 'year', count)).toBe(periodEnd(start, 'month', 12 * count));
      }),
    );
  });

  it('a period is never empty and a day period is exactly its days long', () => {
    fc.assert(
      fc.property(isoDate(), unitArb(), fc.integer({ min: 1, max: 1000 }), (start, unit, count) => {
        const end = periodEnd(start, unit, count);
        expect(end > start).toBe(true);
        if (unit === 'day') expect(daysBetween(start, end)).toBe(count);
      }),
    );
  });
});

describe('periodEnd against PostgreSQL (db/queries/period-length.ts)', () => {
  let db: Db;
  beforeAll(() => {
    db = createDb(inject('adminDatabaseUrl'), { maxConnections: 1 });
  });
  afterAll(async () => {
    await db?.destroy();
  });

  /** The SQL the renewals use, over one row `p` of (length_unit, length_count). */
  async function sqlPeriodEnds(cases: { start: string; unit: Unit; count: number }[]): Promise<string[]> {
    const { rows } = await sql<{ i: number; period_end: string }>`
      SELECT v.i, ${periodEndAfter(sql`v.start`)} AS period_end
      FROM unnest(${cases.map((c) => c.start)}::date[], ${cases.map((c) => c.unit)}::text[],
                  ${cases.map((c) => c.count)}::int[]) WITH ORDINALITY AS v(start, length_unit, length_count, i)
      CROSS JOIN LATERAL (SELECT v.length_unit, v.length_count) AS p
      ORDER BY v.i`.execute(db);
    return rows.map((r) => r.period_end);
  }

  it('agrees with the hand-picked month ends and leap days', async () => {
    const cases = [
      { start: '2026-01-31', unit: 'month' as const, count: 1 },
      { start: '2024-02-29', unit: 'year' as const, count: 1 },
      { start: '2026-08-31', unit: 'quarter' as const, count: 1 },
      { start: '2100-01-31', unit: 'month' as const, count: 1 },
    ];
    expect(await sqlPeriodEnds(cases)).toEqual(['2026-02-28', '2025-02-28', '2026-11-30', '2100-02-28']);
    expect(cases.map((c) => periodEnd(c.start, c.unit, c.count))).toEqual(await sqlPeriodEnds(cases));
  });

  it('agrees with `date + make_interval(…)` for 500 generated starts and lengths', async () => {
    const arb = fc.array(fc.record({ start: isoDate(), unit: unitArb(), count: countArb() }), {
      minLength: 500,
      maxLength: 500,
    });
    await fc.assert(
      fc.asyncProperty(arb, async (cases) => {
        const expected = await sqlPeriodEnds(cases);
        const actual = cases.map((c) => periodEnd(c.start, c.unit, c.count));
        for (let i = 0; i < cases.length; i += 1)
          expect({ ...cases[i], end: actual[i] }).toEqual({ ...cases[i], end: expected[i] });
      }),
      { numRuns: 4 },
    );
  });
});

describe('unusedPeriodCredit', () => {
  // A 30-day period: 1 to 30 April, the next starting on 1 May.
  const april = { start: '2026-04-01', end: '2026-05-01' };

  it('gives back everything before the period begins', () => {
    expect(unusedPeriodCredit(30_000, april, '2026-03-31')).toBe(30_000);
    expect(unusedPeriodCredit(30_000, april, '2020-01-01')).toBe(30_000);
  });

  it('counts the day of the cancellation as used', () => {
    expect(unusedPeriodCredit(30_000, april, '2026-04-01')).toBe(29_000);
    expect(unusedPeriodCredit(30_000, april, '2026-04-15')).toBe(15_000);
    expect(unusedPeriodCredit(30_000, april, '2026-04-29')).toBe(1_000);
  });

  it('gives back nothing on the last day or after the end', () => {
    expect(unusedPeriodCredit(30_000, april, '2026-04-30')).toBe(0);
    expect(unusedPeriodCredit(30_000, april, '2026-05-01')).toBe(0);
    expect(unusedPeriodCredit(30_000, april, '2027-01-01')).toBe(0);
  });

  it('rounds half up to the minor unit at an exact half, and down below it', () => {
    // Two-day period, one day unused: 1 / 2 of the price.
    const twoDays = { start: '2026-04-01', end: '2026-04-03' };
    expect(unusedPeriodCredit(1, twoDays, '2026-04-01')).toBe(1); // 0.5 → 1
    expect(unusedPeriodCredit(3, twoDays, '2026-04-01')).toBe(2); // 1.5 → 2
    expect(unusedPeriodCredit(5, twoDays, '2026-04-01')).toBe(3); // 2.5 → 3
    // 30 days, 29 unused: 100 × 29 / 30 = 96.67 → 97; 10 × 29 / 30 = 9.67 → 10; 1 × 1 / 30 → 0.
    expect(unusedPeriodCredit(100, april, '2026-04-01')).toBe(97);
    expect(unusedPeriodCredit(10, april, '2026-04-01')).toBe(10);
    expect(unusedPeriodCredit(1, april, '2026-04-29')).toBe(0);
    // 4 days, 1 unused: 6 × 1 / 4 = 1.5 → 2; 2 × 1 / 4 = 0.5 → 1; 1 × 1 / 4 = 0.25 → 0.
    const fourDays = { start: '2026-04-01', end: '2026-04-05' };
    expect(unusedPeriodCredit(6, fourDays, '2026-04-03')).toBe(2);
    expect(unusedPeriodCredit(2, fourDays, '2026-04-03')).toBe(1);
    expect(unusedPeriodCredit(1, fourDays, '2026-04-03')).toBe(0);
  });

  it('is exact for large amounts (no float on the way)', () => {
    // 2^53 − 1 minor units × 29 / 30 overflows a double's exact range in the product.
    const paid = Number.MAX_SAFE_INTEGER;
    const expected = (2n * BigInt(paid) * 29n + 30n) / 60n;
    expect(unusedPeriodCredit(paid, april, '2026-04-01')).toBe(Number(expected));
    expect(unusedPeriodCredit(paid, april, '2026-03-01')).toBe(paid);
    // 999 999 999 999 × 1 / 2 = 499 999 999 999.5 → 500 000 000 000.
    expect(unusedPeriodCredit(999_999_999_999, { start: '2026-04-01', end: '2026-04-03' }, '2026-04-01')).toBe(
      500_000_000_000,
    );
  });

  it('gives back nothing for nothing paid', () => {
    expect(unusedPeriodCredit(0, april, '2026-03-01')).toBe(0);
  });

  it('over a year period across a leap day counts real days', () => {
    const year = { start: '2024-01-01', end: '2025-01-01' }; // 366 days
    expect(unusedPeriodCredit(36_600, year, '2024-02-29')).toBe(36_600 - 100 * 60);
  });

  const scenario = fc
    .record({
      start: isoDate(),
      unit: unitArb(),
      count: fc.integer({ min: 1, max: 24 }),
      paid: fc.oneof(fc.integer({ min: 0, max: 1_000_000 }), fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER })),
      offsets: fc.tuple(fc.integer({ min: -60, max: 800 }), fc.integer({ min: -60, max: 800 })),
    })
    .map(({ start, unit, count, paid, offsets }) => ({
      paid,
      period: { start, end: periodEnd(start, unit, count) },
      asOf: offsets.map((o) => addDays(start, o)).sort() as [string, string],
    }));

  it('property: 0 ≤ credit ≤ paid and never grows as the cancellation day moves later', () => {
    fc.assert(
      fc.property(scenario, ({ paid, period, asOf: [earlier, later] }) => {
        const a = unusedPeriodCredit(paid, period, earlier);
        const b = unusedPeriodCredit(paid, period, later);
        for (const credit of [a, b]) {
          expect(Number.isSafeInteger(credit)).toBe(true);
          expect(credit).toBeGreaterThanOrEqual(0);
          expect(credit).toBeLessThanOrEqual(paid);
        }
        expect(b).toBeLessThanOrEqual(a);
      }),
      { numRuns: 2000 },
    );
  });

  it('property: before the start it is what was paid; from the last day on it is 0', () => {
    fc.assert(
      fc.property(scenario, fc.integer({ min: 1, max: 400 }), ({ paid, period }, back) => {
        expect(unusedPeriodCredit(paid, period, addDays(period.start, -back))).toBe(paid);
        expect(unusedPeriodCredit(paid, period, addDays(period.end, -1))).toBe(0);
        expect(unusedPeriodCredit(paid, period, addDays(period.end, back))).toBe(0);
      }),
      { numRuns: 1000 },
    );
  });

  it('property: equals paid × unused days / days, rounded half up, from BigInt arithmetic', () => {
    fc.assert(
      fc.property(scenario, ({ paid, period, asOf: [day] }) => {
        const total = BigInt(daysBetween(period.start, period.end));
        const used = day < period.start ? 0n : BigInt(Math.min(daysBetween(period.start, day) + 1, Number(total)));
        const unused = total - used;
        // floor(x + 1/2) for the exact rational paid × unused / total.
        const expected = (BigInt(paid) * unused * 2n + total) / (2n * total);
        expect(unusedPeriodCredit(paid, period, day)).toBe(Number(expected));
      }),
      { numRuns: 2000 },
    );
  });
});

/** YYYY-MM-DD between 1901 and 2399, one in three on a month's last days (28–31), where clamping bites. */
function isoDate(): fc.Arbitrary<string> {
  const anyDay = fc
    .date({ min: new Date('1901-01-01T00:00:00Z'), max: new Date('2399-12-31T00:00:00Z'), noInvalidDate: true })
    .map((d) => d.toISOString().slice(0, 10));
  const monthEnd = fc
    .record({ year: fc.integer({ min: 1901, max: 2399 }), month: fc.integer({ min: 0, max: 11 }), back: fc.nat(3) })
    .map(({ year, month, back }) => new Date(Date.UTC(year, month + 1, -back)).toISOString().slice(0, 10));
  return fc.oneof({ arbitrary: anyDay, weight: 2 }, { arbitrary: monthEnd, weight: 1 });
}

function unitArb(): fc.Arbitrary<Unit> {
  return fc.constantFrom<Unit>('day', 'month', 'quarter', 'year');
}

/** Lengths the catalogue allows (1–1000), mostly small ones. */
function countArb(): fc.Arbitrary<number> {
  return fc.oneof({ arbitrary: fc.integer({ min: 1, max: 13 }), weight: 3 }, fc.integer({ min: 1, max: 1000 }));
}
