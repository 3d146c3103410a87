import { type RawBuilder, sql } from 'kysely';

/**
 * The first day after a period of the subscription period `p` (joined as `p`) that starts on
 * `start`: a quarter is three months, and months clamp to the month's end as PostgreSQL's date
 * arithmetic does (domain/subscription-calendar.ts counts the same way).
 */
export function periodEndAfter(start: RawBuilder<unknown>): RawBuilder<string> {
  return sql<string>`(${start} + make_interval(
    days => CASE p.length_unit WHEN 'day' THEN p.length_count ELSE 0 END,
    months => CASE p.length_unit WHEN 'month' THEN p.length_count WHEN 'quarter' THEN 3 * p.length_count
              WHEN 'year' THEN 12 * p.length_count ELSE 0 END))::date::text`;
}

/** Joins the period a subscription `s` renews on next: the one a change asked for, else its own. */
export const renewingPeriod = sql<boolean>`p.id = coalesce(s.next_period_id, s.period_id)`;
