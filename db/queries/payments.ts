import { type Kysely, type Selectable, sql } from 'kysely';
import { compiledQuery, type SlotOf } from '../compiled-query';
import type { Database, PaymentsTable } from '../schema';
import { MANUAL_REFUND_PROVIDER } from './order-ledger';
import type { OrderScope } from './order-scope';

// The payments table: card charges (one row per provider session), refunds and invoice
// payments. Every insert is keyed by idempotency_key, so a retried activity writes it once.

export type PaymentRow = Selectable<PaymentsTable>;

/** The ledger's provider for payments taken elsewhere before the order reached us. */
export const PREPAYMENT_PROVIDER = 'prepaid';

const latestCharge = compiledQuery((db, slot: SlotOf<{ orderId: string }>) =>
  db
    .selectFrom('payments')
    .selectAll()
    .where('order_id', '=', slot('orderId'))
    .where('kind', '=', 'charge')
    .orderBy('created_at', 'desc')
    .limit(1),
);

/** The order's newest card charge (its current payment attempt). */
export async function findLatestCharge(db: Kysely<Database>, orderId: string): Promise<PaymentRow | undefined> {
  return latestCharge.first(db, { orderId });
}

export async function findChargeBySession(
  db: Kysely<Database>,
  orderId: string,
  sessionId: string,
): Promise<Pick<PaymentRow, 'provider' | 'amount' | 'currency' | 'status'> | undefined> {
  return db
    .selectFrom('payments')
    .select(['provider', 'amount', 'currency', 'status'])
    .where('order_id', '=', orderId)
    .where('kind', '=', 'charge')
    .where('provider_session_id', '=', sessionId)
    .executeTakeFirst();
}

/** The provider sessions of the order's card charges (to close them when the order goes away). */
export async function listChargeSessions(
  db: Kysely<Database>,
  orderId: string,
): Promise<{ provider: string; sessionId: string }[]> {
  const charges = await db
    .selectFrom('payments')
    .select(['provider', 'provider_session_id'])
    .where('order_id', '=', orderId)
    .where('kind', '=', 'charge')
    .execute();
  return charges.flatMap((c) =>
    c.provider_session_id ? [{ provider: c.provider, sessionId: c.provider_session_id }] : [],
  );
}

export interface PendingCharge extends OrderScope {
  provider: string;
  sessionId: string;
  redirectUrl: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
  /** The kept card the charge is made with (an off-session charge), if any. */
  savedCardId?: string;
}

type PendingChargeValues = Omit<PendingCharge, 'savedCardId'> & { id: string; savedCardId: string | null };
const pendingCharge = compiledQuery((db, slot: SlotOf<PendingChargeValues>) =>
  db
    .insertInto('payments')
    .values({
      id: slot('id'),
      tenant_id: slot('tenantId'),
      order_id: slot('orderId'),
      kind: 'charge',
      provider: slot('provider'),
      provider_session_id: slot('sessionId'),
      amount: slot('amount'),
      currency: slot('currency'),
      status: 'pending',
      redirect_url: slot('redirectUrl'),
      idempotency_key: slot('idempotencyKey'),
      saved_card_id: slot('savedCardId'),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing()),
);

export async function insertPendingCharge(db: Kysely<Database>, charge: PendingCharge): Promise<void> {
  await pendingCharge.affected(db, { ...charge, id: crypto.randomUUID(), savedCardId: charge.savedCardId ?? null });
}

export interface ChargeOutcome {
  orderId: string;
  sessionId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  failureReason: string | null;
  /** What the provider captured (a success only): the ledger holds what was taken. */
  captured?: { amount: number; currency: string };
}

type OutcomeValues = Omit<ChargeOutcome, 'captured'>;

const chargeOutcomeUpdate = (db: Kysely<Database>, slot: SlotOf<OutcomeValues>) =>
  db
    .updateTable('payments')
    .set({ status: slot('status'), updated_at: sql`now()`, failure_reason: slot('failureReason') })
    .where('order_id', '=', slot('orderId'))
    .where('kind', '=', 'charge')
    .where('provider_session_id', '=', slot('sessionId'))
    .where('status', '<>', 'succeeded');
// Two statements: only a capture writes the amount and currency the provider took.
const chargeOutcome = compiledQuery(chargeOutcomeUpdate);
const chargeCaptured = compiledQuery((db, slot: SlotOf<OutcomeValues & { amount: number; currency: string }>) =>
  chargeOutcomeUpdate(db, slot).set({ amount: slot('amount'), currency: slot('currency') }),
);

/** Out-of-order delivery: a late "failed" never downgrades a recorded success. */
export async function recordChargeOutcome(db: Kysely<Database>, outcome: ChargeOutcome): Promise<void> {
  const { orderId, sessionId, status, failureReason, captured } = outcome;
  if (captured) await chargeCaptured.affected(db, { orderId, sessionId, status, failureReason, ...captured });
  else await chargeOutcome.affected(db, { orderId, sessionId, status, failureReason });
}

const cancelCharge = compiledQuery((db, slot: SlotOf<{ orderId: string; sessionId: string }>) =>
  db
    .updateTable('payments')
    .set({ status: 'cancelled', failure_reason: 'session closed', updated_at: sql`now()` })
    .where('order_id', '=', slot('orderId'))
    .where('provider_session_id', '=', slot('sessionId'))
    .where('status', '=', 'pending'),
);

/** The session was closed unpaid: its pending charge will never be taken. */
export async function cancelPendingCharge(db: Kysely<Database>, orderId: string, sessionId: string): Promise<void> {
  await cancelCharge.affected(db, { orderId, sessionId });
}

export interface ProviderRefund extends OrderScope {
  provider: string;
  sessionId: string;
  refundId: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
}

export async function insertProviderRefund(db: Kysely<Database>, refund: ProviderRefund): Promise<void> {
  await db
    .insertInto('payments')
    .values({
      id: crypto.randomUUID(),
      tenant_id: refund.tenantId,
      order_id: refund.orderId,
      kind: 'refund',
      provider: refund.provider,
      provider_session_id: refund.sessionId,
      provider_payment_id: refund.refundId,
      amount: refund.amount,
      currency: refund.currency,
      status: 'succeeded',
      idempotency_key: refund.idempotencyKey,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

/** A refund an operator owes by bank transfer: pending until done, but owed (in the ledger) from now. */
export async function insertManualRefund(
  db: Kysely<Database>,
  refund: OrderScope & { amount: number; currency: string; idempotencyKey: string },
): Promise<void> {
  await db
    .insertInto('payments')
    .values({
      id: crypto.randomUUID(),
      tenant_id: refund.tenantId,
      order_id: refund.orderId,
      kind: 'refund',
      provider: MANUAL_REFUND_PROVIDER,
      amount: refund.amount,
      currency: refund.currency,
      status: 'pending',
      idempotency_key: refund.idempotencyKey,
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing())
    .execute();
}

type InvoicePayment = {
  tenantId: string;
  orderId: string;
  reference: string;
  amount: number;
  currency: string;
  idempotencyKey: string;
};
const invoicePayment = compiledQuery((db, slot: SlotOf<InvoicePayment & { id: string }>) =>
  db
    .insertInto('payments')
    .values({
      id: slot('id'),
      tenant_id: slot('tenantId'),
      order_id: slot('orderId'),
      kind: 'charge',
      provider: 'invoice',
      provider_payment_id: slot('reference'),
      amount: slot('amount'),
      currency: slot('currency'),
      status: 'succeeded',
      idempotency_key: slot('idempotencyKey'),
    })
    .onConflict((oc) => oc.column('idempotency_key').doNothing()),
);

/** A payment against an invoice, booked as a succeeded charge with the payer's reference. */
export async function insertInvoicePayment(
  db: Kysely<Database>,
  payment: OrderScope & { reference: string; amount: number; currency: string; idempotencyKey: string },
): Promise<void> {
  await invoicePayment.affected(db, { ...payment, id: crypto.randomUUID() });
}

export interface Prepayment {
  amount: number;
  currency: string;
  method: string;
  transactionCode: string;
  provider: string | null;
  paidAt: string | null;
}

/**
 * A payment taken by another provider before the order reached us: a succeeded charge in the
 * ledger (so refunds of it are owed by hand, as for a bank payment). False when the tenant
 * already recorded that transaction code for another order.
 */
export async function insertPrepayment(db: Kysely<Database>, payment: OrderScope & Prepayment): Promise<boolean> {
  const inserted = await db
    .insertInto('payments')
    .values({
      id: crypto.randomUUID(),
      tenant_id: payment.tenantId,
      order_id: payment.orderId,
      kind: 'charge',
      provider: PREPAYMENT_PROVIDER,
      provider_payment_id: payment.transactionCode,
      amount: payment.amount,
      currency: payment.currency,
      status: 'succeeded',
      method: payment.method,
      external_provider: payment.provider,
      paid_at: payment.paidAt ?? sql<Date>`now()`,
      idempotency_key: `prepayment:${payment.orderId}`,
    })
    // The unique index decides, also between two orders racing with one code. (A retried
    // placement never gets here: it finds its order placed, payment and all.)
    .onConflict((oc) =>
      oc.columns(['tenant_id', 'provider_payment_id']).where('provider', '=', PREPAYMENT_PROVIDER).doNothing(),
    )
    .executeTakeFirst();
  return Number(inserted.numInsertedOrUpdatedRows ?? 0) > 0;
}
