// Money primitives: integer minor units, exact rounding and allocation.
//
// Hand-written on purpose instead of a money library: we only need a handful of
// integer operations, and this module must stay dependency-free and deterministic
// because it also runs inside Temporal workflow sandboxes (no I/O, no clock, no
// randomness, no node: imports).

/** Lowercase ISO 4217 code, e.g. "nok", "eur", "jpy". */
export type CurrencyCode = string;

const ZERO_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set([
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
]);

const THREE_DECIMAL_CURRENCIES: ReadonlySet<string> = new Set(['bhd', 'jod', 'kwd', 'omr', 'tnd', 'iqd', 'lyd']);

/** Number of decimal places of the currency's minor unit (0, 2 or 3). */
export function currencyExponent(code: string): number {
  const c = code.toLowerCase();
  if (ZERO_DECIMAL_CURRENCIES.has(c)) return 0;
  if (THREE_DECIMAL_CURRENCIES.has(c)) return 3;
  return 2;
}

/** True for a syntactically valid lowercase three-letter currency code. */
export function isSupportedCurrencyCode(code: string): boolean {
  return /^[a-z]{3}$/.test(code);
}

/**
 * numerator / denominator as an integer, rounded half away from zero
 * (2.5 → 3, -2.5 → -3, 2.4 → 2). Throws a RangeError on a zero denominator.
 */
export function roundHalfAwayFromZero(numerator: bigint, denominator: bigint): bigint {
  if (denominator === 0n) throw new RangeError('roundHalfAwayFromZero: division by zero');
  const negative = numerator < 0n !== denominator < 0n;
  const n = numerator < 0n ? -numerator : numerator;
  const d = denominator < 0n ? -denominator : denominator;
  let q = n / d;
  const r = n % d;
  if (r * 2n >= d) q += 1n;
  return negative ? -q : q;
}

/**
 * Largest-remainder allocation of a non-negative integer `total` across
 * non-negative integer `weights`; the parts always sum exactly to `total`.
 * - Each part first gets floor(total × w / Σw); the leftover units go one each to
 *   the parts with the largest remainders, ties broken by the lower index.
 * - Parts with weight 0 get 0 (unless every weight is 0).
 * - If every weight is 0, `total` is split evenly, remainder to the lowest indexes.
 * - When total ≤ Σw no part exceeds its weight (so callers that cap the total
 *   to Σw never over-allocate a part).
 * Throws a RangeError on invalid input, or when total > 0 and there are no weights.
 */
export function allocateProportionally(total: number, weights: readonly number[]): number[] {
  if (!Number.isSafeInteger(total) || total < 0) {
    throw new RangeError(`allocateProportionally: total must be a non-negative safe integer, got ${total}`);
  }
  for (const w of weights) {
    if (!Number.isSafeInteger(w) || w < 0) {
      throw new RangeError(`allocateProportionally: weights must be non-negative safe integers, got ${w}`);
    }
  }
  const n = weights.length;
  if (n === 0) {
    if (total === 0) return [];
    throw new RangeError('allocateProportionally: cannot allocate a positive total across no weights');
  }

  const t = BigInt(total);
  const sum = weights.reduce((acc, w) => acc + BigInt(w), 0n);

  if (sum === 0n) {
    const count = BigInt(n);
    const base = t / count;
    const extra = Number(t % count);
    return weights.map((_, i) => Number(base + (i < extra ? 1n : 0n)));
  }

  const parts: bigint[] = [];
  const remainders: { index: number; remainder: bigint }[] = [];
  let allocated = 0n;
  weights.forEach((w, index) => {
    const product = t * BigInt(w);
    const part = product / sum;
    parts.push(part);
    allocated += part;
    remainders.push({ index, remainder: product % sum });
  });

  // leftover < number of non-zero remainders, so zero-weight parts never receive a unit.
  let leftover = Number(t - allocated);
  remainders.sort((a, b) => (a.remainder === b.remainder ? a.index - b.index : a.remainder > b.remainder ? -1 : 1));
  for (const { index } of remainders) {
    if (leftover === 0) break;
    parts[index] = (parts[index] ?? 0n) + 1n;
    leftover -= 1;
  }
  return parts.map((p) => Number(p));
}

/**
 * Plain, locale-independent rendering: "1375.00 NOK", "1375 JPY", "-0.50 EUR",
 * "1.250 KWD" (amount / 10^exponent with exactly `exponent` decimals, uppercase code).
 */
export function formatMinor(amount: number, currency: CurrencyCode): string {
  if (!Number.isSafeInteger(amount)) {
    throw new RangeError(`formatMinor: amount must be a safe integer, got ${amount}`);
  }
  const exp = currencyExponent(currency);
  const code = currency.toUpperCase();
  const sign = amount < 0 ? '-' : '';
  const digits = String(Math.abs(amount));
  if (exp === 0) return `${sign}${digits} ${code}`;
  const padded = digits.padStart(exp + 1, '0');
  const whole = padded.slice(0, padded.length - exp);
  const fraction = padded.slice(padded.length - exp);
  return `${sign}${whole}.${fraction} ${code}`;
}
