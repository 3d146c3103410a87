import { type ExpressionBuilder, type Kysely, sql } from 'kysely';
import type { OrderLedger } from '../../domain/order-money';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database } from '../schema';
import { batchesOf } from './batches';

/** A refund an operator makes by bank transfer: owed as soon as it is recorded. */
export const MANUAL_REFUND_PROVIDER = 'manual';

export interface CardCharge {
  provider: string;
  sessionId: string;
  /** What this session captured less what was refunded on it. */
  refundable: number;
}

/**
 * What the ledger has captured and refunded for the query's order (`orders`), as columns `captured` and `refunded`.
 * `refunded` counts refunds that succeeded and manual refunds still owed, so nothing is ever promised back twice.
 */
export function ledgerColumns(eb: ExpressionBuilder<Database, 'orders'>) {
  return [
    eb
      .selectFrom('payments')
      .select(sql<number>`coalesce(sum(amount), 0)::bigint`.as('n'))
      .whereRef('payments.order_id', '=', 'orders.id')
      .where('kind', '=', 'charge')
      .where('status', '=', 'succeeded')
      .as('captured'),
    eb
      .selectFrom('payments')
      .select(sql<number>`coalesce(sum(amount), 0)::bigint`.as('n'))
      .whereRef('payments.order_id', '=', 'orders.id')
      .where('kind', '=', 'refund')
      .where((w) =>
        w.or([
          w('status', '=', 'succeeded'),
          w.and([w('status', '=', 'pending'), w('provider', '=', MANUAL_REFUND_PROVIDER)]),
        ]),
      )
      .as('refunded'),
  ] as const;
}

// Built once (db/compiled-query.ts): every payment and document reads it.
const orderLedger = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db
    .selectFrom('orders')
    .select((eb) => ['orders.total_incl_vat', 'orders.credited', 'orders.currency', ...ledgerColumns(eb)])
    .where('orders.id', '=', slot('orderId')),
);

/** The order's money as the ledger has it (ledgerColumns). */
export async function loadOrderLedger(
  db: Kysely<Database>,
  orderId: string,
): Promise<OrderLedger & { currency: string }> {
  const row = await orderLedger.one(db, { orderId });
  return { ...ledgerFromColumns(row), currency: row.currency };
}

/** The ledger of a row that selected the order's total and credit with ledgerColumns. */
export function ledgerFromColumns(row: {
  total_incl_vat: number;
  credited: number;
  captured: number | null;
  refunded: number | null;
}): OrderLedger {
  return {
    total: row.total_incl_vat,
    credited: row.credited,
    captured: Number(row.captured ?? 0),
    refunded: Number(row.refunded ?? 0),
  };
}

/** Card sessions that captured money, with what each can still refund, largest first. */
export async function loadRefundableCardCharges(db: Kysely<Database>, orderId: string): Promise<CardCharge[]> {
  const rows = await db
    .selectFrom('payments as c')
    .select((eb) => [
      'c.provider',
      'c.provider_session_id',
      'c.amount',
      eb
        .selectFrom('payments as r')
        .select(sql<number>`coalesce(sum(r.amount), 0)::bigint`.as('n'))
        .whereRef('r.order_id', '=', 'c.order_id')
        .whereRef('r.provider_session_id', '=', 'c.provider_session_id')
        .where('r.kind', '=', 'refund')
        .where('r.status', '=', 'succeeded')
        .as('refunded'),
    ])
    .where('c.order_id', '=', orderId)
    .where('c.kind', '=', 'charge')
    .where('c.status', '=', 'succeeded')
    .where('c.provider', 'not in', ['invoice', MANUAL_REFUND_PROVIDER])
    .where('c.provider_session_id', 'is not', null)
    .execute();
  return rows
    .map((r) => ({
      provider: r.provider,
      sessionId: r.provider_session_id!,
      refundable: r.amount - Number(r.refunded ?? 0),
    }))
    .filter((c) => c.refundable > 0)
    .sort((a, b) => b.refundable - a.refundable);
}

/** The same ledger from rows already loaded (the order and all its payments). */
export function ledgerOf(
  order: { total_incl_vat: number; credited: number },
  payments: readonly { kind: string; status: string; provider: string; amount: number }[],
): OrderLedger {
  const sum = (keep: (p: (typeof payments)[number]) => boolean) =>
    payments.filter(keep).reduce((n, p) => n + p.amount, 0);
  return {
    total: order.total_incl_vat,
    credited: order.credited,
    captured: sum((p) => p.kind === 'charge' && p.status === 'succeeded'),
    refunded: sum(
      (p) =>
        p.kind === 'refund' &&
        (p.status === 'succeeded' || (p.status === 'pending' && p.provider === MANUAL_REFUND_PROVIDER)),
    ),
  };
}

/** Adds each line's share of a credit, a statement per batch (an order may have thousands of lines). */
export async function addLineCredits(
  db: Kysely<Database>,
  credits: readonly { lineId: string; amount: number }[],
): Promise<void> {
  for (const batch of batchesOf(credits)) {
    const values = sql.join(batch.map((c) => sql`(${c.lineId}::uuid, ${c.amount}::bigint)`));
    await sql`UPDATE order_lines SET credited = order_lines.credited + v.amount
              FROM (VALUES ${values}) AS v(id, amount) WHERE order_lines.id = v.id`.execute(db);
  }
}
