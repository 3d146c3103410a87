import type { ModelSubscription } from './subscriptions';

// The model of the order orchestrator: what each order should be after a sequence of operations,
// kept deliberately small (per order: method, total, money captured and refunded, fees,
// cancelled participants, expected status, documents and emails). Amounts come from the API's
// own pricing (the model does not re-price); money movements follow the documented rules.

export type ModelStatus =
  | 'awaiting_approval'
  | 'awaiting_payment'
  | 'payment_failed'
  | 'needs_attention'
  | 'completed'
  | 'invoiced'
  | 'expired'
  | 'cancelled';

export interface ModelLine {
  participantIndex: number | null;
  occurrenceId: string | null;
  quantity: number;
  inclVat: number;
  description: string;
}

export interface ModelCancellation {
  full: boolean;
  part: number;
  feePercent: number;
  fee: number;
  credit: number;
  refund: number;
  cardRefund: number;
  manualRefund: number;
  via: 'card' | 'manual' | null;
  creditNote: boolean;
}

export interface ModelOrder {
  label: string;
  id: string;
  number: number;
  workflowId: string;
  method: 'card' | 'invoice' | 'free' | 'prepaid';
  status: ModelStatus;
  total: number;
  currency: string;
  externalId: string;
  /** Placed through the API with the short preliminary window. */
  shortWindow: boolean;
  lines: ModelLine[];
  participants: number;
  cancelled: Set<number>;
  /** The card session the customer pays on now (null when none is open). */
  session: { id: string; redirectUrl: string } | null;
  /** Sessions closed by a change, a new attempt, a cancellation or the deadline. */
  closedSessions: { id: string; redirectUrl: string }[];
  /** What the provider captured (sum over the order's paid sessions). */
  captured: number;
  /** What the provider should have refunded (documented rules). */
  cardRefunded: number;
  /** What another provider took before the order reached us (a prepaid order's whole total). */
  prepaid: number;
  /** Bank payments recorded against the invoice (each reference once). */
  invoicePaid: number;
  invoicePayments: { reference: string; amount: number }[];
  /** Refunds an operator owes by bank transfer (a manual refund in the ledger). */
  manualRefunded: number;
  /** What cancellations (and an expiry, which credits everything) credited. */
  credited: number;
  cancellations: ModelCancellation[];
  document: 'receipt' | 'invoice' | null;
  invoiceStatus: 'open' | 'paid' | 'credited' | null;
  notes: Record<string, string>;
  /** Email kinds the order's outbox must hold, each exactly once. */
  emails: Set<string>;
  /** Email kinds it may hold (at most once each), e.g. `order_received` a minute after placing. */
  optionalEmails: Set<string>;
  latePaid: boolean;
  /** The provider sent webhooks for this order (something to redeliver). */
  webhooks: boolean;
  campaignCode: string | null;
}

export interface Fixtures {
  runId: string;
  tenantId: string;
  tenantSlug: string;
  clientKey: string;
  opsKey: string;
  feePercent: number;
  latePolicy: 'refund' | 'rebook';
  eurRate: string;
  /** HELD is of a product that asks for an operator's approval. */
  occurrences: { A: string; B: string; FREE: string; HELD: string };
  capacities: Record<string, number>;
  products: { course: string; workshop: string; lunch: string; freeEvent: string; freeItem: string; diving: string };
  /** The subscription product and its one period (price excluding VAT; 25 % VAT). */
  subscription: { productId: string; periodCode: string; periodDays: number; price: number };
}

export interface Model {
  fx: Fixtures;
  orders: ModelOrder[];
  /** Subscriptions bought in the run (test/model/subscriptions.ts); their orders are not in `orders`. */
  subscriptions: ModelSubscription[];
  /** A counter for unique references, codes and emails within the run. */
  seq: number;
}

/** Every order of the run: those placed by commands and those paying subscription periods. */
export function allOrders(model: Model): ModelOrder[] {
  return [...model.orders, ...model.subscriptions.flatMap((s) => [...s.cycles.values()])];
}

/** round-half-up(amount × percent / 100) with exact integers (percent has at most 2 decimals). */
export function feeOf(amount: number, percent: number): number {
  const bp = BigInt(Math.round(percent * 100));
  return Number((BigInt(amount) * bp + 5_000n) / 10_000n);
}

/** Orders one run places at most (MODEL_MAX_ORDERS): commands pick among them by place. */
export const MAX_ORDERS = Number(process.env.MODEL_MAX_ORDERS ?? 3);

export const isOpen = (o: ModelOrder) => o.status === 'awaiting_payment' || o.status === 'payment_failed';
/** The order has a service date (a line on an occurrence): its workflow waits for it once completed. */
export const hasService = (o: ModelOrder) => o.lines.some((l) => l.occurrenceId !== null);
/**
 * The order's workflow has ended: a cancelled order's at once, a completed one when its service
 * starts — at once when it has no service date (docs/managing-orders.md).
 */
export const workflowClosed = (o: ModelOrder) =>
  o.status === 'cancelled' || (o.status === 'completed' && !hasService(o));
/** The order still holds its seats (held or booked). */
export const holdsSeats = (o: ModelOrder) => o.status !== 'cancelled' && o.status !== 'expired';

export function activeLines(o: ModelOrder): ModelLine[] {
  return o.lines.filter((l) => l.participantIndex === null || !o.cancelled.has(l.participantIndex));
}

/** Seats the order should hold per occurrence. */
export function expectedSeats(o: ModelOrder): Map<string, number> {
  const seats = new Map<string, number>();
  if (!holdsSeats(o)) return seats;
  for (const line of activeLines(o)) {
    if (line.occurrenceId) seats.set(line.occurrenceId, (seats.get(line.occurrenceId) ?? 0) + line.quantity);
  }
  return seats;
}

/** Money the seller holds: captured (card, bank, elsewhere) less refunded (at the provider or owed by hand). */
export const netPaid = (o: ModelOrder) => o.captured + o.prepaid + o.invoicePaid - o.cardRefunded - o.manualRefunded;

/** What the customer still owes on the order: the total less what was credited (docs/payments.md "Money rules"). */
export const amountDue = (o: ModelOrder) => o.total - o.credited;

/** amount_paid: the ledger's net paid. */
export const expectedAmountPaid = netPaid;

export const expectedLeftToPay = (o: ModelOrder) => Math.max(0, amountDue(o) - netPaid(o));
/** `POST …/payments` answers `200 {left_to_pay: 0}`: the order can take money but owes none (free, paid in full). */
export const nothingLeftToPay = (o: ModelOrder) =>
  o.status !== 'expired' && o.status !== 'cancelled' && expectedLeftToPay(o) === 0;

export type CancelRequest = { by: 'client' | 'operator'; indexes: number[] | null; feePercent: number };

export type CancelExpectation =
  | { ok: false; status: number; code: string }
  | {
      ok: true;
      full: boolean;
      positions: number[];
      seats: number;
      cancellation: ModelCancellation;
    };

/**
 * The documented cancellation rules (docs/managing-orders.md; docs/payments.md "Money rules"):
 * a partial cancellation credits its part less the fee and refunds what was paid beyond the new
 * due; a full one keeps the fees (this one's and the earlier ones') out of the money received,
 * credits the rest of what was due and refunds everything else paid.
 */
export function expectCancellation(o: ModelOrder, request: CancelRequest): CancelExpectation {
  if (request.indexes && new Set(request.indexes).size !== request.indexes.length) {
    return { ok: false, status: 422, code: 'participant_indexes_invalid' };
  }
  if (workflowClosed(o) || o.status === 'expired') return { ok: false, status: 409, code: 'order_not_cancellable' };
  if (request.indexes && (isOpen(o) || o.status === 'awaiting_approval'))
    return { ok: false, status: 409, code: 'partial_cancellation_not_allowed' };
  if (o.status === 'needs_attention' && request.by !== 'operator')
    return { ok: false, status: 409, code: 'order_not_cancellable' };
  const active = new Set([...Array(o.participants).keys()].filter((i) => !o.cancelled.has(i)));
  let positions: number[];
  let full = true;
  if (request.indexes) {
    const named = [...request.indexes].sort((a, b) => a - b);
    if (named.some((i) => !active.has(i))) return { ok: false, status: 409, code: 'participant_not_cancellable' };
    // Cancelling every remaining participant is cancelling the order.
    full = named.length === active.size;
    positions = named;
  } else {
    positions = [...active];
  }
  const affected = full
    ? activeLines(o)
    : o.lines.filter((l) => l.participantIndex !== null && positions.includes(l.participantIndex));
  const part = affected.reduce((n, l) => n + l.inclVat, 0);
  const fee = feeOf(part, request.feePercent);
  const paid = netPaid(o);
  const dueBefore = amountDue(o);
  let credit: number;
  let refund: number;
  if (full) {
    const fees = o.cancellations.reduce((n, c) => n + c.fee, 0) + fee;
    const kept = Math.max(0, Math.min(fees, paid));
    credit = dueBefore - kept;
    refund = Math.max(0, paid - kept);
  } else {
    credit = part - fee;
    refund = Math.max(0, paid - (dueBefore - credit));
  }
  // A refund goes to the card that captured the money; what no card can take is owed by hand.
  const cardRefund = Math.min(refund, Math.max(0, o.captured - o.cardRefunded));
  const via = cardRefund > 0 ? 'card' : refund > 0 ? 'manual' : null;
  const seats = full
    ? [...expectedSeats(o).values()].reduce((n, q) => n + q, 0)
    : affected.filter((l) => l.occurrenceId).reduce((n, l) => n + l.quantity, 0);
  return {
    ok: true,
    full,
    positions,
    seats,
    cancellation: {
      full,
      part,
      feePercent: request.feePercent,
      fee,
      credit,
      refund,
      cardRefund,
      manualRefund: refund - cardRefund,
      via,
      creditNote: o.document !== null && credit > 0,
    },
  };
}

/** Applies an accepted cancellation to the model. */
export function applyCancellation(o: ModelOrder, expected: Extract<CancelExpectation, { ok: true }>): void {
  const c = expected.cancellation;
  o.cancellations.push(c);
  o.credited += c.credit;
  o.cardRefunded += c.cardRefund;
  o.manualRefunded += c.manualRefund;
  const sequence = o.cancellations.length;
  o.emails.add(sequence > 1 ? `cancelled_${sequence}` : 'cancelled');
  if (expected.full) {
    for (let i = 0; i < o.participants; i++) o.cancelled.add(i);
    if (o.invoiceStatus === 'open') {
      // An open invoice is credited when the credit notes cover it, else paid (the fee kept was paid).
      const credits = o.cancellations.filter((x) => x.creditNote).reduce((n, x) => n + x.credit, 0);
      o.invoiceStatus = credits >= o.total ? 'credited' : 'paid';
    }
    if (o.session) o.closedSessions.push(o.session);
    o.session = null;
    o.status = 'cancelled';
  } else {
    for (const p of expected.positions) o.cancelled.add(p);
    if (o.status === 'invoiced' && expectedLeftToPay(o) === 0) {
      // What was paid already covers what is still due: the invoice is settled.
      o.status = 'completed';
      o.invoiceStatus = 'paid';
      o.emails.add('receipt');
    }
  }
}

export function describeOrder(o: ModelOrder): string {
  return (
    `${o.label}(#${o.number} ${o.method} ${o.status} total=${o.total} ${o.currency} captured=${o.captured}` +
    ` refunded=${o.cardRefunded} prepaid=${o.prepaid} invoicePaid=${o.invoicePaid} manualRefunded=${o.manualRefunded}` +
    ` credited=${o.credited}` +
    ` cancelled=[${[...o.cancelled].join(',')}])`
  );
}

/**
 * An order just placed by card (waiting for its payment) or by invoice (invoiced), as the model
 * starts it: nothing paid, nothing cancelled, the invoice mail owed when it is invoiced.
 */
export function placedOrder(
  placed: { label: string; id: string; number: number; workflowId: string; total: number; currency: string },
  method: 'card' | 'invoice',
): ModelOrder {
  return {
    ...placed,
    method,
    status: method === 'invoice' ? 'invoiced' : 'awaiting_payment',
    externalId: '',
    shortWindow: false,
    lines: [],
    participants: 0,
    cancelled: new Set(),
    session: null,
    closedSessions: [],
    captured: 0,
    cardRefunded: 0,
    prepaid: 0,
    invoicePaid: 0,
    invoicePayments: [],
    manualRefunded: 0,
    credited: 0,
    cancellations: [],
    document: method === 'invoice' ? 'invoice' : null,
    invoiceStatus: method === 'invoice' ? 'open' : null,
    notes: {},
    emails: new Set(method === 'invoice' ? ['invoice'] : []),
    optionalEmails: new Set(),
    latePaid: false,
    webhooks: false,
    campaignCode: null,
  };
}
