import type { CatalogSubscriptionPeriod } from './order-draft';

// Period arithmetic and the money of a subscription ended early (docs/subscriptions.md). Dates are
// YYYY-MM-DD; a period covers [start, end): it ends on the day the next one starts.

const DAY_MS = 86_400_000;

/**
 * The first day after a period that starts on `start`, as PostgreSQL's `date + interval` counts
 * it: months clamp to the month's last day (31 January + 1 month = 28 or 29 February).
 */
export function periodEnd(start: string, unit: CatalogSubscriptionPeriod['lengthUnit'], count: number): string {
  const date = new Date(`${start}T00:00:00Z`);
  if (unit === 'day') return new Date(date.getTime() + count * DAY_MS).toISOString().slice(0, 10);
  const months = unit === 'month' ? count : unit === 'quarter' ? 3 * count : 12 * count;
  const year = date.getUTCFullYear();
  const month = date.getUTCMonth() + months;
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return new Date(Date.UTC(year, month, Math.min(date.getUTCDate(), lastDay))).toISOString().slice(0, 10);
}

export function daysBetween(from: string, to: string): number {
  return Math.round((Date.parse(`${to}T00:00:00Z`) - Date.parse(`${from}T00:00:00Z`)) / DAY_MS);
}

/**
 * What a period ended early gives back: its whole days not yet begun on `asOf` (the day of the
 * cancellation counts as used), as a share of what the period cost, rounded half away from zero
 * to the minor unit. A period that has not begun gives back everything; one that is over, nothing.
 */
export function unusedPeriodCredit(paid: number, period: { start: string; end: string }, asOf: string): number {
  const total = daysBetween(period.start, period.end);
  if (paid <= 0 || total <= 0) return 0;
  const firstUnused = asOf < period.start ? period.start : addDays(asOf, 1);
  const unused = Math.min(total, Math.max(0, daysBetween(firstUnused, period.end)));
  const numerator = BigInt(paid) * BigInt(unused);
  const denominator = BigInt(total);
  // Half away from zero, in integers: no float ever touches money.
  return Number((2n * numerator + denominator) / (2n * denominator));
}

export function addDays(date: string, days: number): string {
  return new Date(Date.parse(`${date}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}
