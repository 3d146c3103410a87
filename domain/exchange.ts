// Exact currency conversion of integer minor units (pure; safe in workflow sandboxes).
//
// A rate is a decimal string meaning "1 unit of the base (from) currency = rate
// units of the quote (to) currency", e.g. nok → eur "0.085". It is parsed into a
// bigint fraction so no floating point is involved anywhere.

import { currencyExponent, isSupportedCurrencyCode, roundHalfAwayFromZero } from './money';

export type ExchangeErrorCode = 'invalid_rate' | 'invalid_amount' | 'unsupported_currency' | 'amount_overflow';

export class ExchangeError extends Error {
  readonly code: ExchangeErrorCode;
  constructor(code: ExchangeErrorCode, message: string) {
    super(message);
    this.name = 'ExchangeError';
    this.code = code;
  }
}

/** Maximum number of decimal places accepted in a rate string. */
export const MAX_RATE_DECIMALS = 10;

const RATE_PATTERN = /^(\d+)(?:\.(\d{1,10}))?$/;

/**
 * Parses a positive decimal rate string ("0.0853", "14.27", "1") into an exact
 * fraction numerator / denominator (denominator = 10^decimals). Rejects signs,
 * exponents, whitespace, empty parts ("1.", ".5"), more than 10 decimals and zero.
 */
export function parseRate(rate: string): { numerator: bigint; denominator: bigint } {
  const match = typeof rate === 'string' ? RATE_PATTERN.exec(rate) : null;
  if (!match) throw new ExchangeError('invalid_rate', `malformed exchange rate: ${JSON.stringify(rate)}`);
  const whole = match[1] ?? '0';
  const fraction = match[2] ?? '';
  const numerator = BigInt(whole + fraction);
  if (numerator <= 0n) throw new ExchangeError('invalid_rate', `exchange rate must be positive: ${rate}`);
  return { numerator, denominator: 10n ** BigInt(fraction.length) };
}

/**
 * Converts `amountMinor` minor units of `from` into minor units of `to`:
 * amount / 10^exp(from) × rate × 10^exp(to), rounded half away from zero, exact.
 * from === to returns the amount unchanged (the rate is ignored).
 * Throws an ExchangeError on a malformed/non-positive rate, a non-integer amount,
 * an invalid currency code, or a result outside the safe integer range.
 */
export function convertMinor(amountMinor: number, from: string, to: string, rate: string): number {
  if (!Number.isSafeInteger(amountMinor)) {
    throw new ExchangeError('invalid_amount', `amount must be a safe integer, got ${amountMinor}`);
  }
  for (const code of [from, to]) {
    if (!isSupportedCurrencyCode(code)) {
      throw new ExchangeError('unsupported_currency', `unsupported currency code: ${JSON.stringify(code)}`);
    }
  }
  if (from === to) return amountMinor;

  const { numerator, denominator } = parseRate(rate);
  const scaleTo = 10n ** BigInt(currencyExponent(to));
  const scaleFrom = 10n ** BigInt(currencyExponent(from));
  const result = roundHalfAwayFromZero(BigInt(amountMinor) * numerator * scaleTo, denominator * scaleFrom);
  if (result > BigInt(Number.MAX_SAFE_INTEGER) || result < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ExchangeError('amount_overflow', `converted amount is out of range: ${result}`);
  }
  return Number(result);
}
