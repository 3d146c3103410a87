import type { SearchAttributeUpdatePair } from '@temporalio/common';
import { ApplicationFailure, condition, setCurrentDetails, upsertSearchAttributes } from '@temporalio/workflow';
import type { SubscriptionTerm } from '../../db/queries/subscription-renewals';
import { addDays, daysBetween } from '../../domain/subscription-calendar';
import type { OrderStatus } from '../../domain/order-status';
import {
  maySubscription,
  nextSubscriptionStatus,
  type SubscriptionEvent,
  type SubscriptionRequest,
  type SubscriptionStatus,
} from '../../domain/subscription-state';
import { NextRenewalAtKey, SubscriptionStatusKey } from '../search-attributes';
import {
  type RenewalReport,
  SUBSCRIPTION_STATE_CONFLICT,
  type SubscriptionCarried,
  type SubscriptionProgress,
  type SubscriptionWorkflowStart,
} from '../subscription-messages';
import { subscriptionActivities as activities } from './activities';

const DAY_MS = 86_400_000;

/**
 * One subscription's process: its status (through the transition function only), the term it
 * sleeps on (read from PostgreSQL, which owns it), the deadlines it keeps, and what renewal
 * orders reported. Phases and Update handlers share it.
 */
export class SubscriptionProcess {
  readonly scope: { tenantId: string; subscriptionId: string };
  readonly dayMs: number;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  /** When the current period began on this workflow's clock (the day-length override counts from it). */
  periodStartedAtMs: number;
  renewals: number;
  /** Undefined only until the run has read it (its first activity). */
  term!: SubscriptionTerm;
  waitingFor: string | null = null;
  /** The latest status each renewal order reported. */
  readonly reports = new Map<string, OrderStatus>();
  private readonly reportSequences = new Map<string, number>();
  /** The renewal notice of this period went out (a run holds one period). */
  noticeSent = false;
  /** A change arrived: the main loop re-plans its deadlines. */
  version = 0;
  /** A renewal is being placed or charged (a cancellation waits for it, a pause is refused). */
  renewing = false;
  /** The renewal placed and not yet decided: its order, so a cancellation can withdraw it. */
  currentRenewal: { orderId: string; orderWorkflowId: string } | null = null;
  private updateRunning = false;
  private readonly published = new Map<string, string>();

  constructor(readonly start: SubscriptionWorkflowStart) {
    this.scope = { tenantId: start.tenantId, subscriptionId: start.subscriptionId };
    this.dayMs = start.dayMsOverride ?? DAY_MS;
    this.status = start.carried?.status ?? 'active';
    this.cancelAtPeriodEnd = start.carried?.cancelAtPeriodEnd ?? false;
    this.periodStartedAtMs = start.carried?.periodStartedAtMs ?? Date.now();
    this.renewals = start.carried?.renewals ?? 0;
  }

  get isCancelled(): boolean {
    return this.status === 'cancelled';
  }

  /** Keeps an order's latest report; one that arrives after a later one is old news. */
  takeReport(report: RenewalReport): void {
    if ((this.reportSequences.get(report.orderId) ?? 0) >= report.sequence) return;
    this.reportSequences.set(report.orderId, report.sequence);
    this.reports.set(report.orderId, report.status);
  }

  /** Where an order is, as read from PostgreSQL: any report it sends from now on is newer. */
  assumeStatus(orderId: string, status: OrderStatus): void {
    if (!this.reports.has(orderId)) this.reports.set(orderId, status);
  }

  /** Reads the term from PostgreSQL; the database's status wins over a carried one (it is the owner). */
  async loadTerm(): Promise<void> {
    this.term = await activities.loadSubscriptionTerm(this.scope);
    this.status = this.term.status;
    this.cancelAtPeriodEnd = this.term.cancelAtPeriodEnd;
  }

  /** When the current period ends on this workflow's clock: the renewal is due then. */
  get renewalAt(): number {
    if (this.start.dayMsOverride === undefined) return Date.parse(`${this.term.periodEnd}T00:00:00Z`);
    return this.periodStartedAtMs + daysBetween(this.term.periodStart, this.term.periodEnd) * this.dayMs;
  }

  get noticeAt(): number {
    return this.renewalAt - this.term.noticeDays * this.dayMs;
  }

  /** The subscription's calendar day now (with the day-length override, counted from the period start). */
  today(): string {
    if (this.start.dayMsOverride === undefined) return new Date(Date.now()).toISOString().slice(0, 10);
    const elapsed = Math.floor((Date.now() - this.periodStartedAtMs) / this.dayMs);
    return addDays(this.term.periodStart, elapsed);
  }

  /** Moves through the transition table and records the new state where the API reads it. */
  async move(event: SubscriptionEvent, cancelReason?: string): Promise<void> {
    this.status = nextSubscriptionStatus(this.status, event);
    await this.record(cancelReason);
  }

  async record(cancelReason?: string): Promise<void> {
    await activities.recordSubscriptionState({
      ...this.scope,
      status: this.status,
      cancelAtPeriodEnd: this.cancelAtPeriodEnd,
      ...(cancelReason !== undefined ? { cancelReason } : {}),
    });
    this.publish();
  }

  assertMay(request: SubscriptionRequest): void {
    const refusal = maySubscription(
      { status: this.status, cancelAtPeriodEnd: this.cancelAtPeriodEnd, renewing: this.renewing },
      request,
    );
    if (refusal)
      throw ApplicationFailure.create({
        type: SUBSCRIPTION_STATE_CONFLICT,
        message: refusal.message,
        details: [refusal.code],
        nonRetryable: true,
      });
  }

  /** Updates run one at a time, and not while the main loop is in the middle of a renewal step. */
  async inUpdateTurn<T>(run: () => Promise<T>): Promise<T> {
    // An Update may arrive as a run starts (right after continue-as-new): it waits for the term.
    await condition(() => this.term !== undefined && !this.updateRunning);
    this.updateRunning = true;
    try {
      return await run();
    } finally {
      this.updateRunning = false;
      this.version += 1;
      this.publish();
    }
  }

  async awaitUpdates(): Promise<void> {
    await condition(() => !this.updateRunning);
  }

  /** Waits for a condition, or a change, until a deadline; true when the condition (or change) came first. */
  async wait(until: () => boolean, timeoutMs: number | undefined, waitingFor: string): Promise<boolean> {
    this.waitingFor = waitingFor;
    this.publish();
    if (timeoutMs === undefined) {
      await condition(until);
      return true;
    }
    return condition(until, Math.max(0, timeoutMs), { summary: waitingFor });
  }

  carry(): SubscriptionCarried {
    return {
      status: this.status,
      cancelAtPeriodEnd: this.cancelAtPeriodEnd,
      periodStartedAtMs: this.periodStartedAtMs,
      renewals: this.renewals,
    };
  }

  nextRenewal(): number | null {
    if (this.status === 'cancelled' || this.status === 'paused' || this.cancelAtPeriodEnd || !this.term) return null;
    return this.renewalAt;
  }

  progress(): SubscriptionProgress {
    const next = this.nextRenewal();
    return {
      status: this.status,
      waitingFor: this.waitingFor,
      nextRenewalAt: next === null ? null : new Date(next).toISOString(),
      cancelAtPeriodEnd: this.cancelAtPeriodEnd,
      renewals: this.renewals,
    };
  }

  /** Search attributes only when they change (each upsert is an event in the history). */
  publish(): void {
    const next = this.nextRenewal();
    const wanted: [string, SearchAttributeUpdatePair][] = [
      [SubscriptionStatusKey.name, { key: SubscriptionStatusKey, value: this.status }],
      [NextRenewalAtKey.name, { key: NextRenewalAtKey, value: next === null ? null : new Date(next) }],
    ];
    const changed = wanted.filter(([name, pair]) => this.published.get(name) !== String(pair.value));
    if (changed.length > 0) {
      upsertSearchAttributes(changed.map(([, pair]) => pair));
      for (const [name, pair] of changed) this.published.set(name, String(pair.value));
    }
    const renewal = next === null ? '' : ` · renews ${new Date(next).toISOString()}`;
    setCurrentDetails(`${this.status}${renewal}${this.waitingFor ? ` · waiting for ${this.waitingFor}` : ''}`);
  }
}
