import { allocateProportionally, roundHalfAwayFromZero } from './money';

// The money rules of an order after it was taken: what it still owes, what may be refunded,
// what a cancellation credits and keeps. All amounts are integer minor units of the order's
// currency. The rules are written out in docs/payments.md ("Money rules").

/** What the ledger says about one order. */
export interface OrderLedger {
  /** The order's total incl. VAT as priced. */
  total: number;
  /** Sum of every cancellation's credit so far (the cancelled value less the fees kept). */
  credited: number;
  /** Captured by the provider or received by bank transfer (succeeded charges). */
  captured: number;
  /** Given back or owed back: succeeded refunds plus manual refunds an operator still has to make. */
  refunded: number;
}

/** What the customer owes now: the total less what cancellations credited. */
export function amountDue(ledger: OrderLedger): number {
  return Math.max(0, ledger.total - ledger.credited);
}

/** Money the seller holds for this order. */
export function netPaid(ledger: OrderLedger): number {
  return ledger.captured - ledger.refunded;
}

/** Still to be paid; a live order that is overpaid owes nothing (the excess is refundable). */
export function leftToPay(ledger: OrderLedger): number {
  return Math.max(0, amountDue(ledger) - netPaid(ledger));
}

/** Paid beyond what is due: this, and never more, may be refunded. */
export function refundable(ledger: OrderLedger): number {
  return Math.max(0, netPaid(ledger) - amountDue(ledger));
}

/** Fee of a cancelled part: percent of its value, rounded half away from zero to the minor unit. */
export function cancellationFee(partValue: number, feePercent: number): number {
  if (partValue <= 0 || feePercent <= 0) return 0;
  const basisPoints = BigInt(Math.round(Math.min(feePercent, 100) * 100));
  return Number(roundHalfAwayFromZero(BigInt(partValue) * basisPoints, 10_000n));
}

export interface CancellationMoney {
  /** The fee the policy asks for on this part. */
  fee: number;
  /** What this cancellation credits (the credit note's total). */
  credit: number;
  /** What goes back to the customer now. */
  refund: number;
}

/**
 * One cancellation. A partial one credits the cancelled part less its fee; the order goes on
 * and whatever was paid beyond the new amount due is refunded. A full one closes the order:
 * the seller keeps the fees (this one and earlier ones) only out of money actually received,
 * everything else is credited, and the rest of what was paid goes back. Composed over any
 * sequence, the refunds never exceed what was paid and a paid order cancelled in full with
 * fee f refunds exactly paid − f.
 */
export function cancellationMoney(
  ledger: OrderLedger,
  part: { value: number; feePercent: number; full: boolean },
): CancellationMoney {
  const fee = Math.min(cancellationFee(part.value, part.feePercent), part.value);
  const due = amountDue(ledger);
  const held = Math.max(0, netPaid(ledger));
  if (!part.full) {
    const credit = Math.min(part.value - fee, due);
    const refund = Math.max(0, held - (due - credit));
    return { fee, credit, refund };
  }
  // Earlier partial cancellations left their fees in what is due; with this fee, that is
  // all the seller may keep, and never more than it received.
  const feesOwed = Math.max(0, due - part.value) + fee;
  const keep = Math.min(held, feesOwed, due);
  return { fee, credit: due - keep, refund: held - keep };
}

/**
 * Spreads a credit over lines in proportion to what each line has not been credited yet, so
 * no line is ever credited beyond its value.
 */
export function allocateCredit(credit: number, uncredited: readonly number[]): number[] {
  const room = uncredited.reduce((n, v) => n + Math.max(0, v), 0);
  if (credit > room) throw new RangeError(`credit ${credit} exceeds the lines' uncredited value ${room}`);
  if (credit === 0 || room === 0) return uncredited.map(() => 0);
  return allocateProportionally(
    credit,
    uncredited.map((v) => Math.max(0, v)),
  );
}

/** Splits a refund over the card sessions that can take it; what no card can take is manual. */
export function planRefunds(
  amount: number,
  charges: readonly { sessionId: string; refundable: number }[],
): { card: { sessionId: string; amount: number }[]; manual: number } {
  const card: { sessionId: string; amount: number }[] = [];
  let left = amount;
  for (const charge of charges) {
    if (left <= 0) break;
    const take = Math.min(left, charge.refundable);
    card.push({ sessionId: charge.sessionId, amount: take });
    left -= take;
  }
  return { card, manual: left };
}
