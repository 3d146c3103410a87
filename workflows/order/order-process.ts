import type { SearchAttributeUpdatePair } from '@temporalio/common';
import {
  ApplicationFailure,
  condition,
  getExternalWorkflowHandle,
  setCurrentDetails,
  upsertSearchAttributes,
} from '@temporalio/workflow';
import type { BusinessError } from '../../domain/business-error';
import {
  type Attention,
  isOpenForPayment,
  mayOrder,
  nextStatus,
  type OrderEvent,
  type OrderRequestKind,
  type OrderState,
  settledStatus,
} from '../../domain/order-state';
import type { OrderStatus } from '../../domain/order-status';
import type { OrderPaymentMethod } from '../../domain/order-request';
import type { ApprovalHold } from '../../domain/order-draft';
import {
  type CompletionScope,
  type InvoicePaidSignal,
  ORDER_STATE_CONFLICT,
  type OrderProgress,
  type OrderWorkflowStart,
  type PaymentResultSignal,
} from '../order-messages';
import { CustomerEmailKey, OrderStatusKey, PaymentMethodKey } from '../search-attributes';
import { renewalReportSignal } from '../subscription-messages';

export type PaymentMethod = OrderPaymentMethod;

/** The few facts the process decides on; everything else about the order is in PostgreSQL. */
export interface OrderFacts {
  paymentMethod: PaymentMethod;
  /** What the process still expects to be paid (the ledger's left to pay, as last reported). */
  amountDue: number;
  total: number;
  /** Epoch ms; null once the order no longer has a payment deadline. */
  preliminaryUntil: number | null;
  /** How far a content change pushes the deadline. */
  windowMs: number;
  /** Until then a completed order still takes cancellations. */
  serviceStartsAt: number | null;
  sellsGiftVouchers: boolean;
  /** The order has subscription lines: their workflows start once it completes (or is invoiced). */
  sellsSubscriptions?: boolean;
  /** Set while the order is (or was) held for an operator's approval. */
  approval: ApprovalHold | null;
}

/** What arrived from outside and is not handled yet (signals are recorded, never acted on, in handlers). */
export class OrderInbox {
  readonly payments: PaymentResultSignal[] = [];
  readonly invoicePayments: InvoicePaidSignal[] = [];
  private readonly seenPayments = new Set<string>();
  private readonly seenInvoicePayments = new Set<string>();

  /** Providers redeliver webhooks, and a check can find what a webhook also reports: each event once. */
  addPayment(event: PaymentResultSignal | null | undefined): boolean {
    if (!this.claimPayment(event)) return false;
    this.payments.push(event!);
    return true;
  }

  /** Marks an event as handled by whoever found it (true the first time). */
  claimPayment(event: PaymentResultSignal | null | undefined): boolean {
    if (!event || this.seenPayments.has(event.eventId)) return false;
    this.seenPayments.add(event.eventId);
    return true;
  }

  /** The same bank payment reported twice (same invoice and reference) counts once. */
  addInvoicePayment(payment: InvoicePaidSignal): void {
    const key = `${payment.invoiceId}:${payment.reference}`;
    if (this.seenInvoicePayments.has(key)) return;
    this.seenInvoicePayments.add(key);
    this.invoicePayments.push(payment);
  }
}

export type IntakeState =
  | { phase: 'waiting' }
  | { phase: 'running' }
  | { phase: 'taken' }
  | { phase: 'refused'; errors: BusinessError[] }
  | { phase: 'failed' };

function stateConflict(refusal: { code: string; message: string }): ApplicationFailure {
  return ApplicationFailure.create({
    type: ORDER_STATE_CONFLICT,
    message: refusal.message,
    details: [refusal.code],
    nonRetryable: true,
  });
}

/**
 * One order's process: its explicit state (status through the transition function, the facts
 * it decides on), what arrived, and whose turn it is. Phases and Update handlers share it.
 */
export class OrderProcess {
  readonly scope: { tenantId: string; orderId: string };
  readonly inbox = new OrderInbox();
  state: OrderState = { status: 'received', attention: null };
  facts: OrderFacts = {
    paymentMethod: 'card',
    amountDue: 0,
    total: 0,
    preliminaryUntil: null,
    windowMs: 0,
    serviceStartsAt: null,
    sellsGiftVouchers: false,
    approval: null,
  };
  intake: IntakeState = { phase: 'waiting' };
  waitingFor: string | null = 'the order to be submitted';
  /** Keys of the activities each kind of request runs (so a retried activity does its work once). */
  readonly sequence = { changes: 0, cancellations: 0, settlements: 0, paymentAttempts: 1 };
  /** Contents changed (new amount, maybe a later deadline): the card phase re-plans its notices. */
  contentVersion = 0;
  private remark: string | null = null;
  private reportsSent = 0;
  private updateRunning = false;
  private stepRunning = false;
  private readonly published = new Map<string, string>();
  private readonly pending = new Map<string, SearchAttributeUpdatePair>();

  /**
   * What the completion transaction must look at beyond seats and the receipt: the intake knows
   * whether the order sells gift vouchers (a run older than that fact does not say: then look) or
   * subscriptions (said only when it does, since they came), and a renewal moves its subscription on.
   */
  get completionScope(): CompletionScope {
    return {
      giftVouchers: this.facts.sellsGiftVouchers !== false,
      subscriptions: this.facts.sellsSubscriptions === true || this.start.renewal !== undefined,
    };
  }

  constructor(readonly start: OrderWorkflowStart) {
    this.scope = { tenantId: start.tenantId, orderId: start.orderId };
  }

  get status(): OrderStatus {
    return this.state.status;
  }

  get isCancelled(): boolean {
    return settledStatus(this.state) === 'cancelled';
  }

  get isOpenForPayment(): boolean {
    return isOpenForPayment(this.state.status);
  }

  /** Moves through the transition table (an illegal move fails the workflow task: a bug, not a state). */
  move(event: OrderEvent, waitingFor: string | null, to?: OrderStatus): void {
    this.state = { status: nextStatus(this.state.status, event, to), attention: null };
    this.waitingFor = waitingFor;
    this.remark = null;
    this.setAttribute(OrderStatusKey.name, { key: OrderStatusKey, value: this.state.status });
    this.reportToSubscription();
  }

  /**
   * A renewal tells its subscription where it is (taken, paid, given up); a subscription that
   * has ended meanwhile has nothing to hear, so a failed signal is dropped.
   */
  private reportToSubscription(): void {
    const renewal = this.start.renewal;
    if (!renewal) return;
    this.reportsSent += 1;
    const report = { orderId: this.scope.orderId, status: this.state.status, sequence: this.reportsSent };
    getExternalWorkflowHandle(renewal.subscriptionWorkflowId)
      .signal(renewalReportSignal, report)
      .catch(() => undefined);
  }

  /** With an operator: remembers why and where the order returns once settled. */
  moveToAttention(event: 'payment_differs' | 'refund_refused', attention: Attention, reason: string): void {
    const previous = this.state.attention;
    const status = this.state.status === 'needs_attention' ? 'needs_attention' : nextStatus(this.state.status, event);
    // Parked again while parked (a refund refused during a settlement): it returns where it first would.
    this.state = { status, attention: previous ? { ...attention, resumeTo: previous.resumeTo } : attention };
    this.waitingFor = `an operator: ${reason}`;
    this.remark = null;
    this.setAttribute(OrderStatusKey.name, { key: OrderStatusKey, value: status });
  }

  /** An operator's decision changed where a parked order returns to (e.g. it was cancelled meanwhile). */
  returnTo(status: OrderStatus): void {
    if (this.state.attention) this.state = { ...this.state, attention: { ...this.state.attention, resumeTo: status } };
  }

  setPaymentMethod(method: PaymentMethod): void {
    this.facts.paymentMethod = method;
    this.setAttribute(PaymentMethodKey.name, { key: PaymentMethodKey, value: method });
  }

  setCustomerEmail(email: string): void {
    this.setAttribute(CustomerEmailKey.name, { key: CustomerEmailKey, value: email });
  }

  /**
   * Refuses (as an Update validator does) what the order's state does not allow now. While a
   * step runs (a payment being booked) the state is about to move: the handler decides after it.
   */
  assertMay(request: OrderRequestKind): void {
    if (this.stepRunning) return;
    const refusal = mayOrder(this.state, request);
    if (refusal) throw stateConflict(refusal);
  }

  /** Refuses a second Update while one is running (they would decide on the same state). */
  assertNoUpdateRunning(code: string, message: string): void {
    if (this.updateRunning) throw stateConflict({ code, message });
  }

  /**
   * Runs an Update's work in its turn: after a running step of the main process, before the
   * next one. The validators refuse a second Update meanwhile.
   */
  async inUpdateTurn<T>(run: () => Promise<T>): Promise<T> {
    this.updateRunning = true;
    try {
      await condition(() => !this.stepRunning);
      return await run();
    } finally {
      this.updateRunning = false;
      this.publish();
    }
  }

  /** Runs a step of the main process unless the order was cancelled; answers whether it is still live. */
  async step(run: () => Promise<void>): Promise<boolean> {
    await condition(() => !this.updateRunning);
    if (this.isCancelled) return false;
    this.stepRunning = true;
    try {
      await run();
    } finally {
      this.stepRunning = false;
    }
    return !this.isCancelled;
  }

  /** Waits for no Update to be running (an Update may still change what the process decides next). */
  async awaitUpdates(): Promise<void> {
    await condition(() => !this.updateRunning);
  }

  /**
   * The process waits here: what changed is published first (search attributes batched into
   * one upsert, the UI's details), so operators see every status the order rests in.
   */
  async wait(until: () => boolean, timeoutMs?: number, summary?: string): Promise<boolean> {
    this.publish();
    if (timeoutMs === undefined) {
      await condition(until);
      return true;
    }
    return summary ? condition(until, Math.max(0, timeoutMs), { summary }) : condition(until, Math.max(0, timeoutMs));
  }

  /** Publishes now, with a remark shown next to the status until the order moves on. */
  publish(remark?: string): void {
    if (remark !== undefined) this.remark = remark;
    const changed = [...this.pending].filter(([name, pair]) => this.published.get(name) !== String(pair.value));
    this.pending.clear();
    if (changed.length > 0) {
      upsertSearchAttributes(changed.map(([, pair]) => pair));
      for (const [name, pair] of changed) this.published.set(name, String(pair.value));
    }
    setCurrentDetails(this.remark ? `${this.describe()} — ${this.remark}` : this.describe());
  }

  progress(): OrderProgress {
    const until = this.facts.preliminaryUntil;
    return {
      status: this.state.status,
      waitingFor: this.waitingFor,
      preliminaryUntil: until ? new Date(until).toISOString() : null,
    };
  }

  private describe(): string {
    if (!this.waitingFor) return `**${this.status}**`;
    const until = this.facts.preliminaryUntil;
    const deadline = until && this.isOpenForPayment ? ` (until ${new Date(until).toISOString()})` : '';
    return `**${this.status}** — waiting for ${this.waitingFor}${deadline}`;
  }

  /** Upserted at the next rest, unless the order already shows that value. */
  private setAttribute(name: string, pair: SearchAttributeUpdatePair): void {
    this.pending.set(name, pair);
  }
}
