import { type Kysely, sql } from 'kysely';
import type { Database, PaymentMethod } from '../schema';

// What the Prometheus metrics read (runtime/metrics.ts): an order's labels and age when it
// changes state, and the worker's gauges at scrape time.

/** What an order's transition metric is labelled and measured with. */
export interface OrderMetricFacts {
  paymentMethod: PaymentMethod;
  /** From orders.created_at to now. */
  ageSeconds: number;
}

/** The order's age, as a column a status write can return (so the metric needs no read of its own). */
export const orderAgeSeconds = sql<number>`extract(epoch from now() - orders.created_at)::float8`;

export function toOrderMetricFacts(row: { payment_method: PaymentMethod; age_seconds: number }): OrderMetricFacts {
  return { paymentMethod: row.payment_method, ageSeconds: Math.max(0, row.age_seconds) };
}

/** The order's payment method and its age in seconds (from orders.created_at to now). */
export async function loadOrderMetricFacts(
  db: Kysely<Database>,
  orderId: string,
): Promise<OrderMetricFacts | undefined> {
  const row = await db
    .selectFrom('orders')
    .select(['payment_method', orderAgeSeconds.as('age_seconds')])
    .where('id', '=', orderId)
    .executeTakeFirst();
  return row && toOrderMetricFacts(row);
}

export interface WorkerGaugeFacts {
  /** E-mails waiting to be sent (status pending). */
  outboxPending: number;
  /** Age of the oldest of them in seconds; 0 when none waits. */
  oldestPendingAgeSeconds: number;
  /** Seats held (reservations not booked or released yet). */
  seatsHeld: number;
}

export async function loadWorkerGaugeFacts(db: Kysely<Database>): Promise<WorkerGaugeFacts> {
  const { rows } = await sql<{ outbox_pending: number; oldest_age: number | null; seats_held: number }>`
    SELECT
      (SELECT count(*) FROM email_outbox WHERE status = 'pending')::int8 AS outbox_pending,
      (SELECT extract(epoch from now() - min(created_at)) FROM email_outbox WHERE status = 'pending')::float8
        AS oldest_age,
      (SELECT coalesce(sum(quantity), 0) FROM reservations WHERE status = 'held')::int8 AS seats_held
  `.execute(db);
  const row = rows[0];
  return {
    outboxPending: Number(row?.outbox_pending ?? 0),
    oldestPendingAgeSeconds: Math.max(0, Number(row?.oldest_age ?? 0)),
    seatsHeld: Number(row?.seats_held ?? 0),
  };
}
