import { describe, expect, it } from 'vitest';
import { convertMinor, ExchangeError, parseRate } from '../../domain/exchange';
import {
  allocateProportionally,
  currencyExponent,
  formatMinor,
  isSupportedCurrencyCode,
  roundHalfAwayFromZero,
} from '../../domain/money';

describe('currencyExponent', () => {
  it('knows zero-, two- and three-decimal currencies', () => {
    for (const c of [
      'jpy',
      'krw',
      'isk',
      'clp',
      'vnd',
      'xof',
      'xaf',
      'ugx',
      'pyg',
      'rwf',
      'kmf',
      'gnf',
      'djf',
      'bif',
      'vuv',
      'xpf',
    ]) {
      expect(currencyExponent(c)).toBe(0);
    }
    for (const c of ['bhd', 'jod', 'kwd', 'omr', 'tnd', 'iqd', 'lyd']) {
      expect(currencyExponent(c)).toBe(3);
    }
    for (const c of ['nok', 'eur', 'sek', 'dkk', 'usd', 'gbp']) {
      expect(currencyExponent(c)).toBe(2);
    }
  });
});

describe('isSupportedCurrencyCode', () => {
  it('accepts exactly three lowercase letters', () => {
    expect(isSupportedCurrencyCode('nok')).toBe(true);
    expect(isSupportedCurrencyCode('NOK')).toBe(false);
    expect(isSupportedCurrencyCode('no')).toBe(false);
    expect(isSupportedCurrencyCode('nokk')).toBe(false);
    expect(isSupportedCurrencyCode('n0k')).toBe(false);
    expect(isSupportedCurrencyCode(' nok')).toBe(false);
    expect(isSupportedCurrencyCode('')).toBe(false);
  });
});

describe('roundHalfAwayFromZero', () => {
  it('rounds exact halves away from zero in both directions', () => {
    expect(roundHalfAwayFromZero(5n, 2n)).toBe(3n); // 2.5
    expect(roundHalfAwayFromZero(-5n, 2n)).toBe(-3n); // -2.5
    expect(roundHalfAwayFromZero(5n, -2n)).toBe(-3n);
    expect(roundHalfAwayFromZero(-5n, -2n)).toBe(3n);
    expect(roundHalfAwayFromZero(1n, 2n)).toBe(1n); // 0.5
    expect(roundHalfAwayFromZero(-1n, 2n)).toBe(-1n); // -0.5
    expect(roundHalfAwayFromZero(3n, 2n)).toBe(2n); // 1.5 (banker's rounding would give 2 too)
    expect(roundHalfAwayFromZero(25n, 10n)).toBe(3n); // 2.5 (banker's rounding would give 2)
    expect(roundHalfAwayFromZero(-25n, 10n)).toBe(-3n);
  });

  it('rounds non-halves to the nearest integer', () => {
    expect(roundHalfAwayFromZero(0n, 7n)).toBe(0n);
    expect(roundHalfAwayFromZero(1n, 3n)).toBe(0n); // 0.333
    expect(roundHalfAwayFromZero(2n, 3n)).toBe(1n); // 0.667
    expect(roundHalfAwayFromZero(-2n, 3n)).toBe(-1n);
    expect(roundHalfAwayFromZero(-1n, 3n)).toBe(0n);
    expect(roundHalfAwayFromZero(4999n, 10000n)).toBe(0n);
    expect(roundHalfAwayFromZero(5000n, 10000n)).toBe(1n);
    expect(roundHalfAwayFromZero(14n, 2n)).toBe(7n);
  });

  it('is exact beyond the float range', () => {
    const big = 2n ** 80n + 1n; // odd, so big / 2 ends in .5
    expect(roundHalfAwayFromZero(big, 2n)).toBe(2n ** 79n + 1n);
  });

  it('throws on a zero denominator', () => {
    expect(() => roundHalfAwayFromZero(1n, 0n)).toThrow(RangeError);
  });
});

describe('allocateProportionally', () => {
  it('splits 100.00 over 300/200/100 to the cent by largest remainder', () => {
    // exact shares 5000, 3333.33, 1666.67 → floors 5000+3333+1666 = 9999, the last cent goes to .67
    expect(allocateProportionally(10000, [30000, 20000, 10000])).toEqual([5000, 3333, 1667]);
  });

  it('breaks remainder ties by the lower index', () => {
    expect(allocateProportionally(100, [1, 1, 1])).toEqual([34, 33, 33]);
    expect(allocateProportionally(2, [5, 5, 5])).toEqual([1, 1, 0]);
    expect(allocateProportionally(7, [1, 1])).toEqual([4, 3]);
  });

  it('gives nothing to zero weights', () => {
    expect(allocateProportionally(10, [0, 3, 0, 1])).toEqual([0, 8, 0, 2]); // 7.5 / 2.5, tie → lower index
    expect(allocateProportionally(5, [0, 1])).toEqual([0, 5]);
  });

  it('splits evenly when all weights are 0, remainder to the lowest indexes', () => {
    expect(allocateProportionally(10, [0, 0, 0])).toEqual([4, 3, 3]);
    expect(allocateProportionally(2, [0, 0, 0])).toEqual([1, 1, 0]);
    expect(allocateProportionally(0, [0, 0])).toEqual([0, 0]);
  });

  it('handles empty and zero totals', () => {
    expect(allocateProportionally(0, [])).toEqual([]);
    expect(allocateProportionally(0, [5, 7])).toEqual([0, 0]);
    expect(() => allocateProportionally(1, [])).toThrow(RangeError);
  });

  it('rejects negative or fractional input', () => {
    expect(() => allocateProportionally(-1, [1])).toThrow(RangeError);
    expect(() => allocateProportionally(1.5, [1])).toThrow(RangeError);
    expect(() => allocateProportionally(1, [-1, 2])).toThrow(RangeError);
    expect(() => allocateProportionally(1, [0.5])).toThrow(RangeError);
  });

  it('does not overflow on large products', () => {
    const big = Number.MAX_SAFE_INTEGER; // total × weight would overflow a double
    expect(allocateProportionally(big, [1, 1])).toEqual([(big + 1) / 2, (big - 1) / 2]);
  });

  it('always sums to the total and never exceeds a weight when total <= sum (property)', () => {
    // mulberry32, seeded: deterministic pseudo-random integers in [0, n)
    let seed = 12345;
    const next = (n: number): number => {
      seed = (seed + 0x6d2b79f5) | 0;
      let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
      t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
      return Math.floor((((t ^ (t >>> 14)) >>> 0) / 4294967296) * n);
    };
    for (let i = 0; i < 2000; i++) {
      const weights = Array.from({ length: 1 + next(6) }, () => (next(4) === 0 ? 0 : next(100000)));
      const sum = weights.reduce((a, b) => a + b, 0);
      const total = next(sum + 1);
      const parts = allocateProportionally(total, weights);
      expect(parts.reduce((a, b) => a + b, 0)).toBe(total);
      parts.forEach((p, j) => {
        expect(Number.isSafeInteger(p)).toBe(true);
        expect(p).toBeGreaterThanOrEqual(0);
        expect(p).toBeLessThanOrEqual(weights[j] ?? 0);
      });
    }
  });
});

describe('formatMinor', () => {
  it('renders minor units with the currency exponent and an uppercase code', () => {
    expect(formatMinor(137500, 'nok')).toBe('1375.00 NOK');
    expect(formatMinor(5, 'eur')).toBe('0.05 EUR');
    expect(formatMinor(0, 'nok')).toBe('0.00 NOK');
    expect(formatMinor(-50, 'eur')).toBe('-0.50 EUR');
    expect(formatMinor(1375, 'jpy')).toBe('1375 JPY');
    expect(formatMinor(1250, 'kwd')).toBe('1.250 KWD');
    expect(formatMinor(7, 'kwd')).toBe('0.007 KWD');
  });

  it('rejects non-integer amounts', () => {
    expect(() => formatMinor(1.5, 'nok')).toThrow(RangeError);
  });
});

describe('parseRate', () => {
  it('parses decimal strings into exact fractions', () => {
    expect(parseRate('0.0853')).toEqual({ numerator: 853n, denominator: 10000n });
    expect(parseRate('14.27')).toEqual({ numerator: 1427n, denominator: 100n });
    expect(parseRate('1')).toEqual({ numerator: 1n, denominator: 1n });
    expect(parseRate('0.0000000001')).toEqual({ numerator: 1n, denominator: 10n ** 10n });
  });

  it('rejects malformed and non-positive rates', () => {
    for (const bad of [
      '',
      'abc',
      '1e3',
      '-0.5',
      '+1',
      '0',
      '0.00',
      '1.',
      '.5',
      ' 1',
      '1 ',
      '1,5',
      'NaN',
      'Infinity',
      '0.00000000001',
      '1.2.3',
    ]) {
      expect(() => parseRate(bad), bad).toThrow(ExchangeError);
    }
  });
});

describe('convertMinor', () => {
  it('converts nok → eur at 0.0853', () => {
    expect(convertMinor(100000, 'nok', 'eur', '0.0853')).toBe(8530); // 1000.00 NOK → 85.30 EUR
    expect(convertMinor(12345, 'nok', 'eur', '0.0853')).toBe(1053); // 123.45 × 0.0853 = 10.530285
    expect(convertMinor(137500, 'nok', 'eur', '0.0853')).toBe(11729); // 1375 × 0.0853 = 117.2875
  });

  it('converts nok → jpy (2 → 0 decimals)', () => {
    expect(convertMinor(100000, 'nok', 'jpy', '14.27')).toBe(14270); // 1000.00 NOK → 14270 JPY
    expect(convertMinor(12345, 'nok', 'jpy', '14.27')).toBe(1762); // 123.45 × 14.27 = 1761.6315
    expect(convertMinor(1, 'nok', 'jpy', '14.27')).toBe(0); // 0.1427 JPY
    expect(convertMinor(4, 'nok', 'jpy', '14.27')).toBe(1); // 0.5708 JPY
  });

  it('converts jpy → nok (0 → 2 decimals)', () => {
    expect(convertMinor(1000, 'jpy', 'nok', '0.0701')).toBe(7010); // 1000 JPY → 70.10 NOK
    expect(convertMinor(1, 'jpy', 'nok', '0.0701')).toBe(7); // 7.01 øre
    expect(convertMinor(1375, 'jpy', 'nok', '0.0701')).toBe(9639); // 96.3875 NOK → 9638.75 øre
  });

  it('converts into three-decimal currencies', () => {
    expect(convertMinor(1000, 'nok', 'kwd', '0.0287')).toBe(287); // 10.00 NOK → 0.287 KWD
  });

  it('rounds exact halves away from zero', () => {
    expect(convertMinor(5, 'nok', 'eur', '0.1')).toBe(1); // 0.5 cent
    expect(convertMinor(-5, 'nok', 'eur', '0.1')).toBe(-1);
    expect(convertMinor(15, 'nok', 'eur', '0.1')).toBe(2); // 1.5 cent
    expect(convertMinor(25, 'nok', 'eur', '0.1')).toBe(3); // 2.5 cent (banker's would be 2)
    expect(convertMinor(4, 'nok', 'eur', '0.1')).toBe(0); // 0.4 cent
    expect(convertMinor(50, 'nok', 'jpy', '1')).toBe(1); // 0.50 NOK → 0.5 JPY
    expect(convertMinor(49, 'nok', 'jpy', '1')).toBe(0);
  });

  it('returns the amount unchanged for the same currency, ignoring the rate', () => {
    expect(convertMinor(123, 'nok', 'nok', 'garbage')).toBe(123);
    expect(convertMinor(0, 'eur', 'eur', '0')).toBe(0);
  });

  it('is exact for large amounts (no float drift)', () => {
    // 90 071 992 547 409.91 NOK × 0.0000000001 = 9007.199254740991 EUR → 900719.925… cents
    expect(convertMinor(Number.MAX_SAFE_INTEGER, 'nok', 'eur', '0.0000000001')).toBe(900720);
    expect(convertMinor(123456789012, 'nok', 'eur', '0.0853')).toBe(10530864103); // 10530864102.7236
  });

  it('throws on bad rates, amounts and currencies', () => {
    expect(() => convertMinor(100, 'nok', 'eur', '0')).toThrow(ExchangeError);
    expect(() => convertMinor(100, 'nok', 'eur', '-0.0853')).toThrow(ExchangeError);
    expect(() => convertMinor(100, 'nok', 'eur', 'abc')).toThrow(ExchangeError);
    expect(() => convertMinor(1.5, 'nok', 'eur', '0.0853')).toThrow(ExchangeError);
    expect(() => convertMinor(100, 'NOK', 'eur', '0.0853')).toThrow(ExchangeError);
    expect(() => convertMinor(Number.MAX_SAFE_INTEGER, 'nok', 'jpy', '1000')).toThrow(ExchangeError);
    try {
      convertMinor(100, 'nok', 'eur', '0');
    } catch (e) {
      expect((e as ExchangeError).code).toBe('invalid_rate');
    }
  });
});
