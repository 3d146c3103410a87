import fc from 'fast-check';
import { addDays, unusedPeriodCredit } from '../../domain/subscription-calendar';
import type { SubscriptionStatus } from '../../domain/subscription-state';
import { subscriptionProgressQuery } from '../../workflows/subscription-messages';
import { orderClient } from '../helpers/order-client';
import { type HttpAnswer, sleep, violation, withDeadline } from './http';
import { checkAfterStep, MAX_ACTIVITY_ATTEMPTS } from './invariants';
import {
  amountDue,
  applyCancellation,
  describeOrder,
  expectCancellation,
  type Model,
  type ModelCancellation,
  type ModelOrder,
  netPaid,
  placedOrder,
} from './model';
import { api, type Real } from './world';

// Subscriptions in the model (issue 13): a run buys some of the catalogue's three-day subscription
// and lets them renew on their own while the other commands run. A renewal is an order of its own:
// the model adds it when it appears (predicting what it must be: paid with the kept card,
// invoiced, or declined into dunning) and every order invariant applies to it. Time moves a
// subscription on by itself (past due → suspended → cancelled unpaid; cancelled at the period
// end); the model accepts exactly those moves and checks everything else it predicts.

/** How long a day of a subscription's calendar lasts in the model's stack (a three-day period renews every 3×). */
export const SUBSCRIPTION_DAY_MS = Number(process.env.MODEL_SUBSCRIPTION_DAY_MS ?? 1_500);
const MAX_SUBSCRIPTIONS = Number(process.env.MODEL_MAX_SUBSCRIPTIONS ?? 2);
const SETTLE_TIMEOUT_MS = Number(process.env.MODEL_SETTLE_TIMEOUT_MS ?? 20_000);
/** How many days a renewal's order stays payable (workflows/subscription/renewal.ts). */
const RENEWAL_PAYMENT_DAYS = 14;
const KEPT_CARD = '4242424242424242';
/** Kept with the buyer's consent, but every charge made without the buyer is declined. */
const DECLINING_CARD = '4000000000000341';

/** card: kept 4242 card; declining: kept 0341 card (renewals go into dunning); invoice. */
export type SubscriptionKind = 'card' | 'declining' | 'invoice';

export interface ModelSubscription {
  label: string;
  kind: SubscriptionKind;
  id: string;
  number: number;
  workflowId: string;
  status: SubscriptionStatus;
  cancelAtPeriodEnd: boolean;
  /** The order paying each period, by cycle sequence (1 = the order that bought it). */
  cycles: Map<number, ModelOrder>;
  /** A pause lets renewal dates lapse: the next period may start later than the last one ended. */
  everPaused: boolean;
  /** Cancelled at once: what it credited and refunded on which cycle's order. */
  cancelledNow: { sequence: number | null; credit: number; refund: number } | null;
}

export interface CycleRow {
  sequence: number;
  status: 'pending' | 'paid' | 'unpaid' | 'cancelled';
  order_id: string;
  start_date: string;
  end_date: string;
  created_at: Date;
  order_status: string | null;
}

// ---------------------------------------------------------------------------------------------
// the real side: a subscription at rest

/** Where the subscription workflow waits between its steps (anything else is in the middle of one). */
function resting(waitingFor: string | null | undefined): boolean {
  return (
    waitingFor === 'the renewal date' ||
    waitingFor === 'the renewal notice' ||
    waitingFor === 'the subscription to be resumed' ||
    waitingFor === 'the renewal order to be paid' ||
    (waitingFor ?? '').startsWith('dunning attempt')
  );
}

export async function readSubscription(real: Real, sub: ModelSubscription) {
  const { db } = real.stack.database;
  const [row, cycles] = await Promise.all([
    db.selectFrom('subscriptions').selectAll().where('id', '=', sub.id).executeTakeFirstOrThrow(),
    db
      .selectFrom('subscription_cycles as c')
      .leftJoin('orders as o', 'o.id', 'c.order_id')
      .select(['c.sequence', 'c.status', 'c.order_id', 'c.start_date', 'c.end_date', 'c.created_at'])
      .select('o.status as order_status')
      .where('c.subscription_id', '=', sub.id)
      .orderBy('c.sequence')
      .execute() as Promise<CycleRow[]>,
  ]);
  return { row, cycles };
}

/** What may change under the model while it checks: a renewal placed, a status moved by time. */
export async function subscriptionFingerprint(real: Real, model: Model): Promise<string> {
  const parts = await Promise.all(
    model.subscriptions.map(async (sub) => {
      const { row, cycles } = await readSubscription(real, sub);
      return [row.status, cycles.map((c) => `${c.sequence}:${c.status}:${c.order_status}`)];
    }),
  );
  return JSON.stringify(parts);
}

/**
 * Waits until the subscription's workflow rests between steps (no activity or workflow task
 * pending, waiting for a date or a payment, every cycle's order placed, the same picture twice)
 * and its progress query agrees with PostgreSQL.
 */
async function settleSubscription(real: Real, sub: ModelSubscription) {
  const deadline = Date.now() + SETTLE_TIMEOUT_MS;
  let previous: string | undefined;
  let last = '';
  for (;;) {
    const handle = real.stack.temporal.workflow.getHandle(sub.workflowId);
    const description = await handle.describe();
    const running = description.status.name === 'RUNNING';
    const pending = (description.raw.pendingActivities ?? []).map((a) => ({
      type: a.activityType?.name ?? '?',
      attempt: a.attempt ?? 0,
      failure: a.lastFailure?.message ?? '',
    }));
    const stuck = pending.find((a) => a.attempt > MAX_ACTIVITY_ATTEMPTS);
    if (stuck)
      violation(
        'no workflow is stuck',
        `${sub.label}: activity ${stuck.type} at attempt ${stuck.attempt}: ${stuck.failure}`,
      );
    const progress = running ? await handle.query(subscriptionProgressQuery).catch(() => null) : null;
    const seen = await readSubscription(real, sub);
    const quiet =
      !description.raw.pendingWorkflowTask &&
      pending.length === 0 &&
      (!running || (progress !== null && resting(progress.waitingFor))) &&
      seen.cycles.every((c) => c.order_status !== null && c.order_status !== 'received');
    const signature = JSON.stringify([
      seen.row.status,
      seen.row.cancel_at_period_end,
      seen.row.current_period_end,
      seen.cycles.map((c) => [c.sequence, c.status, c.order_status]),
      progress?.waitingFor ?? null,
      running,
    ]);
    last = `${signature} pending=${JSON.stringify(pending)}`;
    if (quiet && signature === previous) {
      if (running && progress?.status !== seen.row.status)
        violation(
          'subscription status agrees in PostgreSQL and its workflow',
          `${sub.label}: PostgreSQL ${seen.row.status}, workflow ${progress?.status}`,
        );
      if (!running && seen.row.status !== 'cancelled')
        violation('a subscription runs until it is cancelled', `${sub.label}: workflow closed, ${seen.row.status}`);
      return seen;
    }
    previous = quiet ? signature : undefined;
    if (Date.now() > deadline)
      violation(
        'subscription comes to rest',
        `${sub.label} did not come to rest within ${SETTLE_TIMEOUT_MS} ms: ${last}`,
      );
    await sleep(100);
  }
}

// ---------------------------------------------------------------------------------------------
// the model side

function periodOrder(
  real: Real,
  label: string,
  placed: { id: string; number: number; totals: { incl_vat: number } },
  method: 'card' | 'invoice',
): ModelOrder {
  return placedOrder(
    {
      label,
      id: placed.id,
      number: placed.number,
      workflowId: `order-${real.fx.tenantSlug}-${placed.number}`,
      total: placed.totals.incl_vat,
      currency: 'nok',
    },
    method,
  );
}

/** A card payment of the whole order went through: it completes with a receipt. */
function paidByCard(order: ModelOrder): void {
  order.status = 'completed';
  order.captured += order.total;
  order.document = 'receipt';
  order.invoiceStatus = null;
  order.emails.add('receipt');
  order.webhooks = true;
  order.session = null;
}

/** The renewal placed while the subscription was not paid (dunning): the latest cycle, unpaid. */
function openRenewal(sub: ModelSubscription): ModelOrder | undefined {
  const sequence = Math.max(...sub.cycles.keys());
  const order = sub.cycles.get(sequence);
  return sequence > 1 && order && (order.status === 'payment_failed' || order.status === 'awaiting_payment')
    ? order
    : undefined;
}

/**
 * Brings the model up to the subscription at rest: renewals placed since the last look are added
 * as the model predicts them; a status that time moved on must be one of the moves time makes.
 */
export async function syncSubscription(real: Real, sub: ModelSubscription) {
  const seen = await settleSubscription(real, sub);
  for (const cycle of seen.cycles) {
    if (sub.cycles.has(cycle.sequence)) continue;
    if (cycle.sequence === 1) violation('subscription cycles', `${sub.label}: no first cycle in the model`);
    const where = `${sub.label}: renewal ${cycle.sequence}`;
    if (sub.status !== 'active' || sub.cancelAtPeriodEnd)
      violation(
        'only an active subscription renews',
        `${where} was placed while the model has it ${sub.status}${sub.cancelAtPeriodEnd ? ', ending' : ''}`,
      );
    const read = await api(real, 'GET', `/v1/orders/${cycle.order_id}`);
    if (read.status !== 200) violation('a renewal is an order', `${where}: GET its order answered ${read.status}`);
    const expectedTotal = Math.round(real.fx.subscription.price * 1.25);
    if (read.body.totals.incl_vat !== expectedTotal)
      violation(
        'a renewal costs the period price',
        `${where}: total ${read.body.totals.incl_vat}, expected ${expectedTotal}`,
      );
    const order = periodOrder(
      real,
      `${sub.label}.${cycle.sequence}`,
      read.body,
      sub.kind === 'invoice' ? 'invoice' : 'card',
    );
    if (sub.kind === 'card') paidByCard(order);
    if (sub.kind === 'declining') {
      // The kept card is declined off-session: the order waits for another card, the subscription is past due.
      order.status = 'payment_failed';
      sub.status = 'past_due';
    }
    sub.cycles.set(cycle.sequence, order);
    real.trace.push(`  (${where}: order #${order.number} ${order.status})`);
  }
  const { row } = seen;
  if (row.status !== sub.status) {
    const from = sub.status;
    const to = row.status;
    const unpaid =
      (from === 'past_due' || from === 'suspended') && to === 'cancelled' && row.cancel_reason === 'unpaid';
    const lapsed =
      from === 'active' &&
      sub.cancelAtPeriodEnd &&
      to === 'cancelled' &&
      row.cancel_reason === 'cancelled_at_period_end';
    if (!(from === 'past_due' && to === 'suspended') && !unpaid && !lapsed)
      violation(
        'subscription follows the model',
        `${sub.label}: ${row.status} (${row.cancel_reason ?? 'no reason'}), model ${from}` +
          `${sub.cancelAtPeriodEnd ? ' ending' : ''}`,
      );
    if (unpaid) {
      // The renewal's payment window closed: the order expired (crediting all of it), the period unpaid.
      const renewal = openRenewal(sub);
      if (!renewal)
        violation('subscription follows the model', `${sub.label}: cancelled unpaid without an open renewal`);
      renewal.status = 'expired';
      renewal.credited = renewal.total;
    }
    real.trace.push(`  (${sub.label}: ${from} → ${to} with time)`);
    sub.status = to;
    if (to === 'cancelled') sub.cancelAtPeriodEnd = false;
  }
  return seen;
}

// ---------------------------------------------------------------------------------------------
// commands

function expectAnswer(answer: HttpAnswer, status: number, what: string, code?: string): void {
  if (answer.status !== status || (code !== undefined && answer.body?.code !== code))
    violation(
      'answers follow the model',
      `${what}: expected ${status}${code ? ` ${code}` : ''}, got ${answer.status}` +
        ` ${JSON.stringify(answer.body)?.slice(0, 400)}`,
    );
}

export class Subscribe implements fc.AsyncCommand<Model, Real> {
  constructor(readonly kind: SubscriptionKind) {}
  check(model: Readonly<Model>): boolean {
    return model.subscriptions.length < MAX_SUBSCRIPTIONS;
  }
  toString(): string {
    return `subscribe(${this.kind})`;
  }
  async run(model: Model, real: Real): Promise<void> {
    real.trace.push(this.toString());
    model.seq += 1;
    const label = `s${model.subscriptions.length}`;
    const externalId = `sub-${real.fx.runId}-${model.seq}`;
    const answer = await api(real, 'POST', '/v1/orders', {
      body: {
        payment_method: this.kind === 'invoice' ? 'invoice' : 'card',
        external_id: externalId,
        booker: { name: 'Model Subscriber', email: `subscriber${model.seq}-${real.fx.runId}@example.com` },
        lines: [{ product_id: real.fx.subscription.productId, period: real.fx.subscription.periodCode }],
      },
    });
    expectAnswer(answer, 201, 'subscribe');
    const order = periodOrder(real, `${label}.1`, answer.body, this.kind === 'invoice' ? 'invoice' : 'card');
    order.externalId = externalId;
    const { db } = real.stack.database;
    if (this.kind === 'invoice') {
      // The subscription starts when its first order is paid: the invoice is paid in full.
      const client = orderClient(real.stack, real.fx.clientKey);
      const invoiced = await withDeadline(
        client.waitForStatus(order.id, 'invoiced'),
        `${order.label} invoiced`,
        20_000,
      );
      const invoice = invoiced.documents.find((d: { kind: string }) => d.kind === 'invoice');
      if (!invoice) violation('answers follow the model', `${order.label}: invoiced without an invoice`);
      const reference = `bank-${externalId}`;
      const paid = await api(real, 'PUT', `/v1/invoices/${invoice.id}/paid`, {
        body: { amount: order.total, reference },
      });
      expectAnswer(paid, 204, 'subscribe: mark the first invoice paid');
      order.invoicePayments.push({ reference, amount: order.total });
      order.invoicePaid = order.total;
      order.status = 'completed';
      order.invoiceStatus = 'paid';
      order.emails.add('receipt');
    } else {
      const card = this.kind === 'declining' ? DECLINING_CARD : KEPT_CARD;
      const client = orderClient(real.stack, real.fx.clientKey);
      const page = await withDeadline(
        client.actOnPaymentPage(answer.body.payment.redirect_url, 'pay', card, { save_card: '1' }),
        `payment page of ${order.label}`,
      );
      if (page.status !== 303) violation('answers follow the model', `payment page answered ${page.status}`);
      order.optionalEmails.add('order_received');
      paidByCard(order);
    }
    // The subscription is made when the order completes, and its workflow started.
    const deadline = Date.now() + SETTLE_TIMEOUT_MS;
    let row: { id: string; number: number; workflow_id: string | null } | undefined;
    while (!row?.workflow_id) {
      if (Date.now() > deadline)
        violation('a paid subscription order starts a subscription', `${order.label}: no subscription workflow`);
      await sleep(100);
      row = await db
        .selectFrom('subscriptions')
        .select(['id', 'number', 'workflow_id'])
        .where('order_id', '=', order.id)
        .executeTakeFirst();
    }
    const sub: ModelSubscription = {
      label,
      kind: this.kind,
      id: row.id,
      number: row.number,
      workflowId: row.workflow_id,
      status: 'active',
      cancelAtPeriodEnd: false,
      cycles: new Map([[1, order]]),
      everPaused: false,
      cancelledNow: null,
    };
    model.subscriptions.push(sub);
    real.trace.push(`  → ${label} #${sub.number} (order #${order.number} total ${order.total})`);
    await checkAfterStep(real, model, order);
  }
}

/** Common frame of the commands on one subscription: pick it, bring the model up to it, act, check. */
abstract class SubscriptionCommand implements fc.AsyncCommand<Model, Real> {
  constructor(readonly pick: number) {}
  abstract name(): string;
  abstract applies(sub: ModelSubscription): boolean;
  abstract act(model: Model, real: Real, sub: ModelSubscription): Promise<void>;
  protected target(model: Readonly<Model>): ModelSubscription | undefined {
    const sub = model.subscriptions[this.pick];
    return sub && this.applies(sub) ? sub : undefined;
  }
  check(model: Readonly<Model>): boolean {
    return this.target(model) !== undefined;
  }
  async run(model: Model, real: Real): Promise<void> {
    const sub = this.target(model)!;
    real.trace.push(`${this.toString()}  [${sub.label} was ${sub.status}${sub.cancelAtPeriodEnd ? ', ending' : ''}]`);
    await syncSubscription(real, sub);
    await this.act(model, real, sub);
    await checkAfterStep(real, model, null);
  }
  toString(): string {
    return `${this.name()} on s${this.pick}`;
  }
}

type Prediction = { status: 200 } | { status: 409; code: string };

/**
 * Sends a change and checks the answer against the model's prediction. A renewal being charged
 * right then is refused (`renewal_in_progress`): sent again a moment later. Time may have moved
 * the subscription on between the look and the request (into dunning, suspended, ended): a
 * refusal the moved-on state predicts is accepted once the model has taken that move.
 */
async function sendChange(
  real: Real,
  sub: ModelSubscription,
  path: string,
  body: unknown,
  predict: (sub: ModelSubscription) => Prediction,
): Promise<{ answer: HttpAnswer; before: Awaited<ReturnType<typeof readSubscription>> }> {
  const matches = (answer: HttpAnswer, p: Prediction) =>
    answer.status === p.status && (p.status === 200 || answer.body?.code === p.code);
  for (let attempt = 1; ; attempt++) {
    const before = await readSubscription(real, sub);
    const expected = predict(sub);
    const answer = await api(real, 'POST', `/v1/subscriptions/${sub.id}/${path}`, body === undefined ? {} : { body });
    real.trace.push(`  → ${answer.status} ${answer.body?.code ?? answer.body?.status ?? ''}`);
    if (answer.status === 409 && answer.body?.code === 'renewal_in_progress' && attempt < 20) {
      await sleep(250);
      await syncSubscription(real, sub);
      continue;
    }
    if (matches(answer, expected)) return { answer, before };
    if (answer.status === 409) {
      await syncSubscription(real, sub);
      if (matches(answer, predict(sub))) return { answer, before };
    }
    const want = expected.status === 200 ? '200' : `409 ${expected.code}`;
    violation(
      'subscription changes follow the rules',
      `${sub.label} ${path}: expected ${want}, got ${answer.status} ${JSON.stringify(answer.body)?.slice(0, 300)}`,
    );
  }
}

function refusal(sub: ModelSubscription, request: 'cancel_end' | 'cancel_now' | 'pause' | 'resume'): Prediction {
  if (sub.status === 'cancelled') return { status: 409, code: 'subscription_cancelled' };
  switch (request) {
    case 'cancel_end':
      return sub.status === 'active' || sub.status === 'paused'
        ? { status: 200 }
        : { status: 409, code: 'subscription_not_active' };
    case 'cancel_now':
      return { status: 200 };
    case 'pause':
      if (sub.status !== 'active') return { status: 409, code: 'subscription_not_active' };
      if (sub.cancelAtPeriodEnd) return { status: 409, code: 'subscription_ending' };
      return { status: 200 };
    case 'resume':
      return sub.status === 'paused' ? { status: 200 } : { status: 409, code: 'subscription_not_paused' };
  }
}

function expectBody(answer: HttpAnswer, sub: ModelSubscription, what: string): void {
  const got = { status: answer.body?.status, cancel_at_period_end: answer.body?.cancel_at_period_end };
  const want = { status: sub.status, cancel_at_period_end: sub.cancelAtPeriodEnd };
  if (JSON.stringify(got) !== JSON.stringify(want))
    violation(
      'subscription changes follow the rules',
      `${sub.label} ${what}: answered ${JSON.stringify(got)}, model ${JSON.stringify(want)}`,
    );
}

/**
 * Waits for what the subscription's clock does next: an active one's next cycle decided (paid, or
 * the subscription leaves `active`), one ending with its period ended, one in dunning moved on
 * (suspended after the last retry, or cancelled unpaid when the renewal's 14 days are over).
 */
export class Renew extends SubscriptionCommand {
  name() {
    return 'renew';
  }
  applies(sub: ModelSubscription) {
    return sub.status === 'active' || sub.status === 'past_due' || sub.status === 'suspended';
  }
  async act(_model: Model, real: Real, sub: ModelSubscription) {
    const dunning = sub.status !== 'active';
    // Bounded: the period (or the renewal's payment window) and two days more, and 10 s for a busy machine.
    const days = (dunning ? RENEWAL_PAYMENT_DAYS : real.fx.subscription.periodDays) + 2;
    const limit = days * SUBSCRIPTION_DAY_MS + 10_000;
    const deadline = Date.now() + limit;
    const next = Math.max(...sub.cycles.keys()) + 1;
    const ending = sub.cancelAtPeriodEnd;
    const from = sub.status;
    for (;;) {
      const { row, cycles } = await readSubscription(real, sub);
      const cycle = cycles.find((c) => c.sequence === next);
      if (dunning && row.status !== from) break;
      if (!dunning && ending && row.status === 'cancelled') break;
      if (!dunning && !ending && cycle && (cycle.status === 'paid' || row.status !== 'active')) break;
      if (Date.now() > deadline)
        violation(
          'renewals come on time',
          `${sub.label}: ${dunning ? `still ${from}` : ending ? 'not ended' : `cycle ${next} not decided`}` +
            ` after ${limit} ms (${row.status}, cycles ${JSON.stringify(cycles.map((c) => [c.sequence, c.status]))})`,
        );
      await sleep(150);
    }
    real.trace.push(`  → ${dunning ? 'dunning moved on' : ending ? 'ended with its period' : `cycle ${next} decided`}`);
  }
}

export type SubscriptionCancelMode = 'period_end' | 'now' | 'order';

export class CancelSubscription extends SubscriptionCommand {
  constructor(
    pick: number,
    readonly mode: SubscriptionCancelMode,
  ) {
    super(pick);
  }
  name() {
    return this.mode === 'order' ? 'cancel a period order directly' : `subscription cancel(${this.mode})`;
  }
  applies(sub: ModelSubscription) {
    return this.mode !== 'order' || periodOrders(sub).length > 0;
  }
  async act(_model: Model, real: Real, sub: ModelSubscription) {
    if (this.mode === 'order') {
      // An order that pays a period is cancelled through its subscription only.
      const order = periodOrders(sub).at(-1)!;
      const answer = await api(real, 'POST', `/v1/orders/${order.id}/cancel`, { body: { reason: 'cannot attend' } });
      real.trace.push(`  → ${order.label}: ${answer.status} ${answer.body?.code ?? ''}`);
      expectAnswer(answer, 409, `cancel ${order.label}`, 'subscription_order');
      return;
    }
    const request = this.mode === 'now' ? 'cancel_now' : 'cancel_end';
    const { answer, before } = await sendChange(real, sub, 'cancel', { at: this.mode }, (s) => refusal(s, request));
    if (answer.status !== 200) return;
    if (this.mode === 'period_end' && sub.status === 'active') {
      sub.cancelAtPeriodEnd = true;
      expectBody(answer, sub, 'cancel at the period end');
      return;
    }
    // At once (also a paused one asked to end with its period: it has no period running).
    cancelNow(sub, answer, before.cycles);
    expectBody(answer, sub, 'cancel now');
  }
}

/** Orders paying a period that are settled (the ones a client might try to cancel by hand). */
function periodOrders(sub: ModelSubscription): ModelOrder[] {
  return [...sub.cycles.values()].filter((o) => o.status === 'completed' || o.status === 'invoiced');
}

/**
 * Cancelled at once: an unpaid renewal is withdrawn (nothing to pay after the end; no order mail,
 * the subscription's own says it); the paid period's order is credited the unused whole days of
 * its subscription line (domain/subscription-calendar.ts) and otherwise stays as it was, its refund
 * what was paid beyond what stays due. Which day it is on the subscription's calendar is
 * known to ±1 day (the period's start on the workflow's clock is the cycle's creation).
 */
function cancelNow(sub: ModelSubscription, answer: HttpAnswer, cycles: CycleRow[]): void {
  const who = `${sub.label} cancel now`;
  const withdrawn = sub.status === 'past_due' || sub.status === 'suspended' ? openRenewal(sub) : undefined;
  if (withdrawn) {
    const expected = expectCancellation(withdrawn, { by: 'operator', indexes: null, feePercent: 0 });
    if (!expected.ok) violation('answers follow the model', `${who}: the open renewal must be cancellable`);
    applyCancellation(withdrawn, expected as Extract<typeof expected, { ok: true }>);
    const sequence = withdrawn.cancellations.length;
    withdrawn.emails.delete(sequence > 1 ? `cancelled_${sequence}` : 'cancelled');
  }
  const paid = cycles.filter((c) => c.status === 'paid').at(-1);
  const order = paid ? sub.cycles.get(paid.sequence) : undefined;
  const credit = answer.body?.credit ?? null;
  let candidates = [0];
  if (paid && order && order.status !== 'cancelled') {
    // The period began on the workflow's clock when its cycle was made (a renewal is placed when
    // it is due), so the day is at least the period's first: never a day before it.
    const day = Math.floor((Date.now() - paid.created_at.getTime()) / SUBSCRIPTION_DAY_MS);
    const period = { start: paid.start_date, end: paid.end_date };
    candidates = [day - 1, day, day + 1].map((d) =>
      unusedPeriodCredit(amountDue(order), period, addDays(paid.start_date, Math.max(0, d))),
    );
  }
  const amount = credit?.amount ?? 0;
  if (!candidates.includes(amount))
    violation(
      'cancelled at once credits the unused days',
      `${who}: credit ${JSON.stringify(credit)}, expected one of [${candidates}] (the unused days of cycle` +
        ` ${paid?.sequence} ${paid?.start_date} – ${paid?.end_date}; its order ${order ? describeOrder(order) : '-'})`,
    );
  sub.status = 'cancelled';
  sub.cancelAtPeriodEnd = false;
  sub.cancelledNow = { sequence: amount > 0 ? paid!.sequence : null, credit: amount, refund: 0 };
  if (amount === 0 || !order) {
    if (credit !== null && credit.amount !== 0)
      violation('cancelled at once credits the unused days', `${who}: ${JSON.stringify(credit)}`);
    return;
  }
  const refund = Math.max(0, netPaid(order) - (amountDue(order) - amount));
  if (credit.refund_amount !== refund)
    violation(
      'a credit is refunded as paid',
      `${who}: refund ${credit.refund_amount}, expected ${refund} of ${amount}`,
    );
  if ((typeof credit.credit_note_number === 'string') !== (order.document !== null))
    violation('a credit has a credit note', `${who}: credit note ${credit.credit_note_number}`);
  sub.cancelledNow.refund = refund;
  const cardRefund = Math.min(refund, Math.max(0, order.captured - order.cardRefunded));
  const cancellation: ModelCancellation = {
    full: false,
    part: amount,
    feePercent: 0,
    fee: 0,
    credit: amount,
    refund,
    cardRefund,
    manualRefund: refund - cardRefund,
    via: cardRefund > 0 ? 'card' : refund > 0 ? 'manual' : null,
    creditNote: order.document !== null,
  };
  applyCancellation(order, { ok: true, full: false, positions: [], seats: 0, cancellation });
}

export class PauseSubscription extends SubscriptionCommand {
  name() {
    return 'pause';
  }
  applies() {
    return true;
  }
  async act(_model: Model, real: Real, sub: ModelSubscription) {
    const { answer } = await sendChange(real, sub, 'pause', undefined, (s) => refusal(s, 'pause'));
    if (answer.status !== 200) return;
    sub.status = 'paused';
    sub.everPaused = true;
    expectBody(answer, sub, 'pause');
  }
}

export class ResumeSubscription extends SubscriptionCommand {
  name() {
    return 'resume';
  }
  applies() {
    return true;
  }
  async act(_model: Model, real: Real, sub: ModelSubscription) {
    const { answer } = await sendChange(real, sub, 'resume', {}, (s) => refusal(s, 'resume'));
    if (answer.status !== 200) return;
    sub.status = 'active';
    expectBody(answer, sub, 'resume');
  }
}

/** A past-due subscriber pays the renewal with another card on the link of the latest dunning mail. */
export class PayDunningLink extends SubscriptionCommand {
  name() {
    return 'pay dunning link';
  }
  applies(sub: ModelSubscription) {
    return sub.status === 'past_due' || sub.status === 'suspended';
  }
  async act(_model: Model, real: Real, sub: ModelSubscription) {
    const renewal = openRenewal(sub);
    if (!renewal) violation('subscription follows the model', `${sub.label} is ${sub.status} without an open renewal`);
    const mail = await real.stack.database.db
      .selectFrom('email_outbox')
      .select(['kind', 'text'])
      .where('tenant_id', '=', real.fx.tenantId)
      .where((eb) =>
        eb.or([
          eb('kind', 'like', `subscription_payment_failed_%.${sub.id}`),
          eb('kind', 'like', `subscription_suspended_%.${sub.id}`),
        ]),
      )
      .orderBy('created_at', 'desc')
      .executeTakeFirst();
    const url = mail?.text?.match(/https?:\/\/\S+\/psp\/sandbox\/pay\/\S+/)?.[0];
    if (!url) violation('a dunning mail carries a pay link', `${sub.label}: ${mail?.kind ?? 'no mail'}`);
    const client = orderClient(real.stack, real.fx.clientKey);
    const page = await withDeadline(client.actOnPaymentPage(url, 'pay', KEPT_CARD), `dunning link of ${sub.label}`);
    real.trace.push(`  → ${mail!.kind.replace(`.${sub.id}`, '')}: ${page.status}`);
    if (page.status !== 303) {
      // Only a renewal given up (its window closed) takes no payment any more.
      await syncSubscription(real, sub);
      if (sub.status !== 'cancelled' || page.status !== 410)
        violation('a dunning link takes the payment', `${sub.label}: the page answered ${page.status} (${sub.status})`);
      return;
    }
    paidByCard(renewal);
    sub.status = 'active';
  }
}

// ---------------------------------------------------------------------------------------------
// arbitraries

export function subscriptionArbitraries(pickMax: number): [string, fc.Arbitrary<fc.AsyncCommand<Model, Real>>][] {
  const pick = fc.nat({ max: Math.max(0, pickMax - 1) });
  const subscribe = fc
    .constantFrom<SubscriptionKind>('card', 'card', 'declining', 'invoice')
    .map((kind) => new Subscribe(kind));
  const cancel = fc
    .tuple(pick, fc.constantFrom<SubscriptionCancelMode>('period_end', 'now', 'now', 'order'))
    .map(([p, m]) => new CancelSubscription(p, m));
  return [
    ['subscribe', subscribe],
    ['subscribe', subscribe],
    ['renew', pick.map((p) => new Renew(p))],
    ['renew', pick.map((p) => new Renew(p))],
    ['subscription-cancel', cancel],
    ['pause', pick.map((p) => new PauseSubscription(p))],
    ['resume', pick.map((p) => new ResumeSubscription(p))],
    ['dunning', pick.map((p) => new PayDunningLink(p))],
  ];
}

export { MAX_SUBSCRIPTIONS };
