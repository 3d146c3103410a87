import type { Kysely } from 'kysely';
import {
  allocateCredit,
  amountDue,
  cancellationMoney,
  leftToPay,
  netPaid,
  planRefunds,
  refundable,
} from '../domain/order-money';
import {
  cancelParticipants,
  listOrderLines,
  listParticipantStates,
  loadFirstStart,
  lockOrder,
  releaseParticipantSeats,
} from '../db/queries/cancellations';
import { closeCreditedDocument, findCreditedDocument, insertCreditNote } from '../db/queries/credit-notes';
import { takeDocumentNumber } from '../db/queries/document-numbers';
import { appendOrderEvent } from '../db/queries/order-events';
import { findOrderEvent } from '../db/queries/order-event-lookup';
import { addLineCredits, loadOrderLedger, loadRefundableCardCharges } from '../db/queries/order-ledger';
import { giveBackOrderHolds } from '../db/queries/order-contents';
import { markOrderInvoicePaid } from '../db/queries/order-documents';
import { addOrderCredit, markOrderCancelled } from '../db/queries/order-status';
import { insertManualRefund } from '../db/queries/payments';
import { loadCancellationPolicy } from '../db/queries/tenant-settings';
import { findSubscriptionPaidBy } from '../db/queries/subscription-renewals';
import type { Database } from '../db/schema';
import type { CancelOrderRequest } from '../workflows/order-messages';
import { recordOrderTransition } from '../runtime/metrics';
import type { ActivityDeps } from './activity-deps';

export type CancellationDecision =
  | {
      allowed: true;
      feePercent: number;
      participantPositions: number[] | null;
      /** A subscription ended early: only this much of its line is credited (docs/subscriptions.md). */
      subscriptionCredit?: { amount: number; lineId: string };
    }
  | { allowed: false; code: string; message: string };

export interface CancellationOutcome {
  full: boolean;
  seatsReleased: number;
  /** The fee the policy asked for on the cancelled part. */
  fee: number;
  /** What this cancellation credited (the credit note's total). */
  creditAmount: number;
  /** What goes back to the customer: on the card sessions that took it, and the rest by hand. */
  refundAmount: number;
  cardRefunds: { sessionId: string; amount: number }[];
  manualRefund: number;
  refundVia: 'card' | 'manual' | null;
  creditNoteNumber: string | null;
  /** What the order still owes in total after this cancellation (before subtracting payments). */
  amountDue: number;
  /** What is left to pay after this cancellation and its refunds. */
  leftToPay: number;
}

interface CancelInput {
  tenantId: string;
  orderId: string;
  cancellationId: string;
  request: CancelOrderRequest;
  decision: {
    feePercent: number;
    participantPositions: number[] | null;
    subscriptionCredit?: { amount: number; lineId: string };
  };
  /** `manual`: an operator refunds by bank transfer, even where a card could take it. */
  refundVia?: 'provider' | 'manual';
}

export function createOrderCancellationActivities({ db }: ActivityDeps) {
  return {
    /**
     * What an operator's settlement gives back: everything paid beyond what is due, on the
     * cards that took it (or all by hand). Planned from the ledger, keyed by the settlement.
     */
    async planSettlementRefund(input: {
      tenantId: string;
      orderId: string;
      settlementId: string;
      refundVia: 'provider' | 'manual';
    }): Promise<{ amount: number; cardRefunds: { sessionId: string; amount: number }[]; manualRefund: number }> {
      return db.transaction().execute(async (trx) => {
        const eventKey = `settlement_refund:${input.settlementId}`;
        const done = await findOrderEvent(trx, input.orderId, eventKey);
        if (done)
          return done.data as {
            amount: number;
            cardRefunds: { sessionId: string; amount: number }[];
            manualRefund: number;
          };
        await lockOrder(trx, input);
        const ledger = await loadOrderLedger(trx, input.orderId);
        const amount = refundable(ledger);
        const cards = input.refundVia === 'manual' ? [] : await loadRefundableCardCharges(trx, input.orderId);
        const plan = planRefunds(amount, cards);
        await recordManualRefund(trx, input, plan.manual, ledger.currency, `settlement:${input.settlementId}`);
        const result = { amount, cardRefunds: plan.card, manualRefund: plan.manual };
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey,
          type: 'order.settlement_refund',
          message:
            `${amount} ${ledger.currency} to refund after an operator's ` +
            `settlement${plan.manual > 0 ? ` (${plan.manual} by hand)` : ''}`,
          data: result,
        });
        return result;
      });
    },

    /**
     * The tenant's cancellation policy: a client may cancel until N hours before the first
     * occurrence starts, for a fee percent; an operator may override both, with a reason.
     */
    async evaluateCancellation(input: {
      tenantId: string;
      orderId: string;
      request: CancelOrderRequest;
    }): Promise<CancellationDecision> {
      const { request } = input;
      if (request.bySubscription) {
        const { bySubscription } = request;
        return bySubscription.kind === 'withdraw'
          ? { allowed: true, feePercent: 0, participantPositions: null }
          : {
              allowed: true,
              feePercent: 0,
              participantPositions: null,
              subscriptionCredit: { amount: bySubscription.amount, lineId: bySubscription.lineId },
            };
      }
      const [tenant, startsAt, participants, ledger, subscription] = await Promise.all([
        loadCancellationPolicy(db, input.tenantId),
        loadFirstStart(db, input.orderId),
        listParticipantStates(db, input.orderId),
        loadOrderLedger(db, input.orderId),
        findSubscriptionPaidBy(db, input),
      ]);
      if (subscription)
        return {
          allowed: false,
          code: 'subscription_order',
          message:
            `This order pays for a period of subscription ${subscription.number}: cancel the subscription ` +
            `instead (POST /v1/subscriptions/${subscription.id}/cancel)`,
        };
      let positions: number[] | null = null;
      if (request.participantIndexes && request.participantIndexes.length > 0) {
        const active = new Set(participants.filter((p) => p.status === 'active').map((p) => p.position));
        const unknown = request.participantIndexes.filter((i) => !active.has(i));
        if (unknown.length > 0) {
          return {
            allowed: false,
            code: 'participant_not_cancellable',
            message: `Participant index ${unknown.join(', ')} is not an active participant of this order`,
          };
        }
        // Cancelling every remaining participant is cancelling the order.
        const distinct = [...new Set(request.participantIndexes)].sort((a, b) => a - b);
        positions = distinct.length === active.size ? null : distinct;
      }
      if (request.by === 'operator' && request.override) {
        const fee = request.feePercent ?? (request.tenantFee ? Number(tenant.cancellation_fee_percent) : 0);
        return { allowed: true, feePercent: fee, participantPositions: positions };
      }
      // Seed 003's rule, per tenant: a debited order is not deleted (nor partly cancelled) by a
      // client; an operator's override above still cancels and refunds it. Money still in
      // flight is not "taken" yet: the workflow closes the session and refunds what slips through.
      if (tenant.paid_order_deletion === 'refuse' && netPaid(ledger) > 0) {
        return {
          allowed: false,
          code: 'paid_order_not_deletable',
          message:
            `The order has been paid (${netPaid(ledger)} ${ledger.currency} taken) and this seller does not ` +
            'cancel paid orders through the API; ask the seller to cancel and refund it',
        };
      }
      if (startsAt) {
        const deadline = startsAt.getTime() - tenant.cancellation_deadline_hours * 3_600_000;
        if (Date.now() > deadline) {
          return {
            allowed: false,
            code: 'cancellation_deadline_passed',
            message:
              `Cancellation is possible until ${tenant.cancellation_deadline_hours} hours before ` +
              `the start (${new Date(deadline).toISOString()})`,
          };
        }
      }
      return { allowed: true, feePercent: Number(tenant.cancellation_fee_percent), participantPositions: positions };
    },

    /**
     * One transaction: seats back, participants or the order cancelled, the credit worked out
     * from the ledger (domain/order-money.ts) and written per line, a credit note for the issued
     * document, and the refund planned (card sessions first, the rest by hand). Keyed by the
     * cancellation id, so a retry answers what the first attempt did.
     */
    async cancelOrder(input: CancelInput): Promise<CancellationOutcome> {
      let cancelledNow = false;
      const result = await db.transaction().execute(async (trx) => {
        const eventKey = `cancellation:${input.cancellationId}`;
        const done = await findOrderEvent(trx, input.orderId, eventKey);
        if (done) return done.data as CancellationOutcome;

        const order = await lockOrder(trx, input);
        const positions = input.decision.participantPositions;
        const subscriptionCredit = input.decision.subscriptionCredit;
        const full = positions === null && subscriptionCredit === undefined;
        const participants = await listParticipantStates(trx, input.orderId);
        const active = new Set(participants.filter((p) => p.status === 'active').map((p) => p.id));
        const affectedParticipantIds = full
          ? [...active]
          : participants
              .filter((p) => (positions ?? []).includes(p.position) && p.status === 'active')
              .map((p) => p.id);
        const lines = await listOrderLines(trx, input.orderId);
        const isLive = (l: (typeof lines)[number]) => l.participant_id === null || active.has(l.participant_id);
        const affectedLines = full
          ? lines.filter(isLive)
          : subscriptionCredit !== undefined
            ? lines.filter((l) => l.id === subscriptionCredit.lineId)
            : lines.filter((l) => l.participant_id !== null && affectedParticipantIds.includes(l.participant_id));

        const seatsReleased = full
          ? await releaseAll(trx, input, order)
          : await releaseParticipantSeats(trx, input.orderId, affectedLines);
        await cancelParticipants(trx, affectedParticipantIds);

        const ledger = await loadOrderLedger(trx, input.orderId);
        const lineValue = affectedLines.reduce((n, l) => n + l.incl_vat - l.credited, 0);
        // A subscription ended early gives back the unused share of its line, never more than is left of it.
        const partValue = subscriptionCredit === undefined ? lineValue : Math.min(subscriptionCredit.amount, lineValue);
        const money = cancellationMoney(ledger, { value: partValue, feePercent: input.decision.feePercent, full });
        // A full cancellation may also give up fees kept on earlier parts (when they were never
        // paid), so its credit spreads over every line with value left, not only the live ones.
        const creditedLines = full ? lines : affectedLines;
        const shares = allocateCredit(
          money.credit,
          creditedLines.map((l) => l.incl_vat - l.credited),
        );
        const lineCredits = creditedLines
          .map((line, i) => ({ line, amount: shares[i] ?? 0 }))
          .filter((c) => c.amount > 0);
        await addLineCredits(
          trx,
          lineCredits.map(({ line, amount }) => ({ lineId: line.id, amount })),
        );
        await addOrderCredit(trx, input.orderId, money.credit);
        const creditNoteNumber = await issueCreditNote(trx, input, lineCredits, money.credit, full);

        const cards = input.refundVia === 'manual' ? [] : await loadRefundableCardCharges(trx, input.orderId);
        const plan = planRefunds(money.refund, cards);
        await recordManualRefund(trx, input, plan.manual, order.currency, `cancellation:${input.cancellationId}`);
        if (full)
          await markOrderCancelled(trx, input.orderId, input.request.reason ?? `cancelled by ${input.request.by}`);
        cancelledNow = full;
        const after = { ...ledger, credited: ledger.credited + money.credit, refunded: ledger.refunded + money.refund };
        if (!full && leftToPay(after) === 0) {
          // Nothing is left to pay on the part that goes on: its open invoice is settled.
          await markOrderInvoicePaid(trx, input.orderId);
        }
        const outcome: CancellationOutcome = {
          full,
          seatsReleased,
          fee: money.fee,
          creditAmount: money.credit,
          refundAmount: money.refund,
          cardRefunds: plan.card,
          manualRefund: plan.manual,
          refundVia: money.refund === 0 ? null : plan.manual > 0 ? 'manual' : 'card',
          creditNoteNumber,
          amountDue: amountDue(after),
          leftToPay: leftToPay(after),
        };
        const currency = order.currency;
        await appendOrderEvent(trx, {
          tenantId: input.tenantId,
          orderId: input.orderId,
          eventKey,
          type: full
            ? 'order.cancelled'
            : subscriptionCredit !== undefined
              ? 'order.subscription_credited'
              : 'order.participants_cancelled',
          message:
            `${cancelledWhat(full, subscriptionCredit, positions)} cancelled by ${input.request.by}` +
            `${input.request.reason ? ` (${input.request.reason})` : ''}; ${seatsReleased} seat(s) released` +
            `${money.fee > 0 ? `, fee ${money.fee} ${currency}` : ''}, ${money.credit} ${currency} credited` +
            `${money.refund > 0 ? `, ${money.refund} ${currency} to refund (${outcome.refundVia})` : ''}` +
            `${creditNoteNumber ? `, credit note ${creditNoteNumber}` : ''}`,
          data: outcome as unknown as Record<string, unknown>,
        });
        return outcome;
      });
      if (cancelledNow) await recordOrderTransition(db, input.orderId, 'cancelled');
      return result;
    },
  };
}

function cancelledWhat(full: boolean, subscriptionCredit: object | undefined, positions: number[] | null): string {
  if (full) return 'Order';
  if (subscriptionCredit !== undefined) return 'The unused part of the subscription period';
  return `Participant(s) ${positions?.join(', ')}`;
}

/** A refund an operator owes by bank transfer: in the ledger at once, so it is never promised twice. */
async function recordManualRefund(
  trx: Kysely<Database>,
  ref: { tenantId: string; orderId: string },
  amount: number,
  currency: string,
  key: string,
): Promise<void> {
  if (amount <= 0) return;
  await insertManualRefund(trx, { ...ref, amount, currency, idempotencyKey: `${ref.orderId}:refund:manual:${key}` });
}

/** Everything the order holds goes back once: seats (held or booked), the campaign use and the voucher. */
async function releaseAll(
  trx: Kysely<Database>,
  input: CancelInput,
  order: { campaign_code: string | null; voucher_code: string | null; voucher_applied: number },
) {
  return giveBackOrderHolds(trx, input.tenantId, input.orderId, order, ['held', 'booked']);
}

/** A credit note refers to the issued invoice or receipt; an open invoice that is fully credited is closed. */
async function issueCreditNote(
  trx: Kysely<Database>,
  input: CancelInput,
  credits: {
    line: {
      id: string;
      product_id: string;
      occurrence_id: string | null;
      inventory_date: string | null;
      description: string;
      quantity: number;
      unit_price: number;
      vat_rate_bp: number;
    };
    amount: number;
  }[],
  creditAmount: number,
  full: boolean,
): Promise<string | null> {
  const original = await findCreditedDocument(trx, input.orderId);
  if (!original || creditAmount <= 0) return null;
  // The credited document's lines say what each order line was (its type is the catalogue's at issue).
  const typeOf = new Map(
    (Array.isArray(original.lines) ? (original.lines as { order_line_id?: string; product_type?: string }[]) : []).map(
      (l) => [l.order_line_id, l.product_type ?? null],
    ),
  );
  const creditLines = credits.map(({ line, amount: incl }) => {
    const vat = Math.round((incl * line.vat_rate_bp) / (10_000 + line.vat_rate_bp));
    return {
      order_line_id: line.id,
      product_id: line.product_id,
      product_type: typeOf.get(line.id) ?? null,
      occurrence_id: line.occurrence_id,
      date: line.inventory_date,
      description: `Credit: ${line.description}`,
      quantity: line.quantity,
      unit_price: line.unit_price,
      vat_rate_bp: line.vat_rate_bp,
      excl_vat: incl - vat,
      vat,
      incl_vat: incl,
    };
  });
  const byRate = new Map<number, { base: number; amount: number }>();
  for (const l of creditLines) {
    const row = byRate.get(l.vat_rate_bp) ?? { base: 0, amount: 0 };
    row.base += l.excl_vat;
    row.amount += l.vat;
    byRate.set(l.vat_rate_bp, row);
  }
  const totalVat = creditLines.reduce((n, l) => n + l.vat, 0);
  const number = await takeDocumentNumber(trx, input.tenantId);
  await insertCreditNote(trx, {
    tenantId: input.tenantId,
    orderId: input.orderId,
    number,
    original,
    lines: creditLines,
    totalVat,
    totalInclVat: creditAmount,
    vatSummary: [...byRate]
      .sort((a, b) => b[0] - a[0])
      .map(([rate_bp, r]) => ({ rate_bp, base: r.base, amount: r.amount })),
  });
  // A full cancellation leaves nothing to collect on the document.
  if (full && original.status === 'open') await closeCreditedDocument(trx, original);
  return number.documentNumber;
}
